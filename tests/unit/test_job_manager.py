"""The developer API: what ``@job_manager.job`` accepts and refuses at call time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.jobs.manager import JobManager, JobOptions, UnknownJob
from domain.jobs import JobArgumentsError
from tests.fakes import FakeJobQueue


@pytest.fixture
def queue() -> FakeJobQueue:
    return FakeJobQueue()


@pytest.fixture
def manager(queue: FakeJobQueue) -> JobManager:
    manager = JobManager()
    manager.use(queue)
    return manager


def test_the_readme_examples_work_as_written(manager: JobManager, queue: FakeJobQueue) -> None:
    @manager.job
    def my_background_job(arg1: str, arg2: str) -> None: ...

    assert my_background_job.delay("hello", "world") == "job-1"
    before = datetime.now(UTC)
    assert my_background_job.delay_in(timedelta(hours=1), "hello", "world") == "later-1"
    assert my_background_job.schedule_cron("0 0 * * *", "hello", "world") == "schedule-1"

    name = f"{__name__}.test_the_readme_examples_work_as_written.<locals>.my_background_job"
    assert queue.enqueued == [(name, ("hello", "world"), {})]
    when, job_name, args, _ = queue.enqueued_at[0]
    assert (job_name, args) == (name, ("hello", "world"))
    assert before + timedelta(hours=1) <= when <= datetime.now(UTC) + timedelta(hours=1)
    assert queue.schedules == [("0 0 * * *", name, ("hello", "world"), {})]


def test_a_job_is_still_a_plain_function(manager: JobManager) -> None:
    @manager.job(name="sum")
    def add(a: int, b: int) -> int:
        return a + b

    assert add(2, 3) == 5


@pytest.mark.parametrize(
    "args",
    [
        (datetime.now(UTC),),
        (Decimal("1.5"),),
        (object(),),
        ({1: "int key"},),
        ([{"nested": {2}}],),
        (float("nan"),),
    ],
)
def test_arguments_json_cannot_carry_are_refused_at_call_time(
    manager: JobManager, queue: FakeJobQueue, args: tuple[object, ...]
) -> None:
    @manager.job(name="takes_anything")
    def takes_anything(value: object) -> None: ...

    with pytest.raises(JobArgumentsError, match="takes_anything: argument 0"):
        takes_anything.delay(*args)
    with pytest.raises(JobArgumentsError):
        takes_anything.delay_in(timedelta(seconds=1), *args)
    with pytest.raises(JobArgumentsError):
        takes_anything.schedule_cron("* * * * *", *args)
    assert (queue.enqueued, queue.enqueued_at, queue.schedules) == ([], [], [])


def test_keyword_arguments_are_checked_by_name(manager: JobManager) -> None:
    @manager.job(name="named")
    def named(*, when: object) -> None: ...

    with pytest.raises(JobArgumentsError, match="argument 'when'"):
        named.delay(when=datetime.now(UTC))


def test_a_call_that_does_not_fit_the_signature_is_refused(manager: JobManager, queue: FakeJobQueue) -> None:
    @manager.job(name="two")
    def two(a: int, b: int) -> None: ...

    with pytest.raises(JobArgumentsError, match="two: missing a required argument"):
        two.delay(1)  # type: ignore[call-arg]  # the missing argument is the point: refused at run time
    with pytest.raises(JobArgumentsError):
        two.delay(1, 2, c=3)  # type: ignore[call-arg]  # an unknown keyword, refused at run time
    assert queue.enqueued == []


def test_delay_in_needs_a_timedelta_and_delay_at_an_aware_datetime(manager: JobManager) -> None:
    @manager.job(name="later")
    def later() -> None: ...

    with pytest.raises(JobArgumentsError):
        later.delay_in(60)  # type: ignore[arg-type]  # the wrong type is the point: refused at run time
    with pytest.raises(JobArgumentsError):
        later.delay_at(datetime(2030, 1, 1))


def test_async_functions_are_jobs_too(manager: JobManager, queue: FakeJobQueue) -> None:
    @manager.job(name="async_job")
    async def async_job(x: int) -> int:
        return x

    async_job.delay(1)
    assert queue.enqueued == [("async_job", (1,), {})]


def test_options_have_documented_defaults_and_can_be_set(manager: JobManager) -> None:
    @manager.job(name="plain")
    def plain() -> None: ...

    @manager.job(name="tuned", queue="slow", max_retries=0, time_limit=timedelta(hours=1))
    def tuned() -> None: ...

    assert plain.definition.options == JobOptions()
    assert JobOptions() == JobOptions(
        "default", 3, timedelta(minutes=10), timedelta(seconds=15), timedelta(hours=1)
    )
    assert (tuned.definition.options.queue, tuned.definition.options.max_retries) == ("slow", 0)
    assert manager.queue_of("tuned") == "slow"
    assert manager.queue_names() == ["default", "slow"]
    with pytest.raises(UnknownJob):
        manager.queue_of("nope")
    with pytest.raises(TypeError):
        manager.job(name="bad", retries=3)(lambda: None)


def test_two_different_functions_cannot_share_a_name(manager: JobManager) -> None:
    manager.job(name="same")(lambda: None)
    with pytest.raises(ValueError, match="same"):
        manager.job(name="same")(lambda: 1)


def test_jobs_registered_later_are_announced_to_listeners(manager: JobManager) -> None:
    manager.job(name="early")(lambda: None)
    seen: list[str] = []
    manager.on_register(lambda definition: seen.append(definition.name))
    manager.job(name="late")(lambda: None)
    assert seen == ["early", "late"]


def test_job_max_backoff_seconds_caps_every_job_s_retry_backoff(manager: JobManager) -> None:
    from dramatiq.brokers.stub import StubBroker

    from entrypoints.jobs.runtime import declare_actors

    @manager.job(name="slow_retries", min_backoff=timedelta(seconds=30), max_backoff=timedelta(hours=1))
    def slow_retries() -> None: ...

    capped, uncapped = StubBroker(), StubBroker()
    declare_actors(capped, manager, max_backoff_seconds=1)
    declare_actors(uncapped, manager)
    options = capped.get_actor("slow_retries").options
    assert (options["min_backoff"], options["max_backoff"]) == (1_000, 1_000)
    options = uncapped.get_actor("slow_retries").options
    assert (options["min_backoff"], options["max_backoff"]) == (30_000, 3_600_000)


async def test_the_awaitable_variants_check_the_same_way_and_reach_the_queue(
    manager: JobManager, queue: FakeJobQueue
) -> None:
    @manager.job(name="greet")
    def greet(name: str) -> None: ...

    assert await greet.adelay("world") == "job-1"
    assert await greet.adelay_in(timedelta(minutes=5), "later") == "later-1"
    assert await greet.adelay_at(datetime(2030, 1, 1, tzinfo=UTC), "then") == "later-2"
    assert await greet.aschedule_cron("0 0 * * *", "daily") == "schedule-1"
    assert queue.enqueued == [("greet", ("world",), {})]
    later = [(name, args) for _, name, args, _ in queue.enqueued_at]
    assert later == [("greet", ("later",)), ("greet", ("then",))]
    with pytest.raises(JobArgumentsError):
        await greet.adelay(object())  # type: ignore[arg-type]
    with pytest.raises(JobArgumentsError):
        await greet.adelay("a", "b")  # type: ignore[call-arg]
    with pytest.raises(JobArgumentsError):
        await greet.adelay_in(5, "x")  # type: ignore[arg-type]
    with pytest.raises(JobArgumentsError):
        await greet.adelay_at(datetime(2030, 1, 1), "naive")
    assert len(queue.enqueued) == 1
