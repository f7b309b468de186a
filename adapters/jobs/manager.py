"""The developer API: ``@job_manager.job`` turns a function into a background job.

    @job_manager.job
    def my_background_job(arg1, arg2): ...

    my_background_job.delay("hello", "world")                          # as soon as possible
    my_background_job.delay_in(timedelta(hours=1), "hello", "world")   # later
    my_background_job.schedule_cron("0 0 * * *", "hello", "world")     # on a cron

    job_id = await my_background_job.adelay("hello", "world")          # async code: once committed

The manager only knows job definitions and checks calls; sending goes through the ``JobQueue``
it is given (the outbox adapter in every real process, a fake in unit tests).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from domain.jobs import JobArgumentsError, check_json_arguments
from domain.ports import JobQueue

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class JobOptions:
    """Per-job options. Defaults: queue ``default``, 3 retries with exponential backoff from
    15 s up to 1 h, and a 10-minute time limit per attempt."""

    queue: str = "default"
    max_retries: int = 3
    time_limit: timedelta = timedelta(minutes=10)
    min_backoff: timedelta = timedelta(seconds=15)
    max_backoff: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class JobDefinition:
    name: str
    fn: Callable[..., Any]
    options: JobOptions
    cron: str | None = None  # a system schedule, declared next to the job
    cron_timezone: str | None = None


class UnknownJob(LookupError):
    pass


class DeveloperJobQueue(JobQueue, Protocol):
    """The ``JobQueue`` port plus what ``adelay`` and friends await: the same calls, returning only
    once the job's row is committed (at once inside a unit of work, where it joins the transaction)."""

    async def aenqueue(self, job_name: str, /, *args: Any, **kwargs: Any) -> str: ...

    async def aenqueue_at(self, when: datetime, job_name: str, /, *args: Any, **kwargs: Any) -> str: ...

    async def aschedule_cron(self, cron: str, job_name: str, /, *args: Any, **kwargs: Any) -> str: ...


class JobFunction(Generic[P, R]):
    """The decorated function: still callable directly, plus ``delay``, ``delay_in``, ``schedule_cron``."""

    def __init__(self, manager: JobManager, definition: JobDefinition) -> None:
        self._manager = manager
        self.definition = definition
        self.name = definition.name
        self.__doc__ = definition.fn.__doc__
        self.__wrapped__ = definition.fn
        self._signature = inspect.signature(definition.fn)  # once: every call is checked against it

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.definition.fn(*args, **kwargs)  # type: ignore[no-any-return]

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """Run as soon as a worker is free; returns the job id."""
        self._check(args, kwargs)
        return self._manager.queue.enqueue(self.name, *args, **kwargs)

    def delay_in(self, delay: timedelta, *args: P.args, **kwargs: P.kwargs) -> str:
        """Run after ``delay``; returns the job id."""
        return self.delay_at(self._after(delay), *args, **kwargs)

    def delay_at(self, when: datetime, *args: P.args, **kwargs: P.kwargs) -> str:
        """Run at ``when`` (timezone-aware); returns the job id."""
        self._check_when(when)
        self._check(args, kwargs)
        return self._manager.queue.enqueue_at(when, self.name, *args, **kwargs)

    def schedule_cron(self, cron: str, *args: P.args, **kwargs: P.kwargs) -> str:
        """Run on a 5-field cron (crontab rules, business timezone); returns the schedule id."""
        self._check(args, kwargs)
        return self._manager.queue.schedule_cron(cron, self.name, *args, **kwargs)

    # The same four for async code that must know the row is committed before it goes on (``.delay()``
    # called on a running event loop outside a unit of work returns the id first and writes just after).

    async def adelay(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """``delay``, returning once the job's row is committed."""
        self._check(args, kwargs)
        return await self._manager.queue.aenqueue(self.name, *args, **kwargs)

    async def adelay_in(self, delay: timedelta, *args: P.args, **kwargs: P.kwargs) -> str:
        """``delay_in``, returning once the job's row is committed."""
        return await self.adelay_at(self._after(delay), *args, **kwargs)

    async def adelay_at(self, when: datetime, *args: P.args, **kwargs: P.kwargs) -> str:
        """``delay_at``, returning once the job's row is committed."""
        self._check_when(when)
        self._check(args, kwargs)
        return await self._manager.queue.aenqueue_at(when, self.name, *args, **kwargs)

    async def aschedule_cron(self, cron: str, *args: P.args, **kwargs: P.kwargs) -> str:
        """``schedule_cron``, returning once the schedule's row is committed."""
        self._check(args, kwargs)
        return await self._manager.queue.aschedule_cron(cron, self.name, *args, **kwargs)

    def _after(self, delay: timedelta) -> datetime:
        if not isinstance(delay, timedelta):
            raise JobArgumentsError(f"{self.name}.delay_in: the first argument must be a timedelta")
        return datetime.now(UTC) + delay

    def _check_when(self, when: datetime) -> None:
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise JobArgumentsError(f"{self.name}.delay_at: `when` must be a timezone-aware datetime")

    def _check(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise JobArgumentsError(f"{self.name}: {exc}") from None
        check_json_arguments(self.name, args, kwargs)


class JobManager:
    def __init__(self) -> None:
        self._definitions: dict[str, JobDefinition] = {}
        self._queue: DeveloperJobQueue | None = None
        self._listeners: list[Callable[[JobDefinition], None]] = []

    @overload
    def job(self, fn: Callable[P, R], /) -> JobFunction[P, R]: ...
    @overload
    def job(
        self, fn: None = None, /, *, name: str | None = None, cron: str | None = None,
        cron_timezone: str | None = None, **options: Any,
    ) -> Callable[[Callable[P, R]], JobFunction[P, R]]: ...  # fmt: skip

    def job(
        self, fn: Callable[..., Any] | None = None, /, *, name: str | None = None, cron: str | None = None,
        cron_timezone: str | None = None, **options: Any,
    ) -> Any:  # fmt: skip
        """Register a job. Options: ``queue``, ``max_retries``, ``time_limit``, ``min_backoff``,
        ``max_backoff`` (see :class:`JobOptions`); ``cron`` declares a system schedule."""

        def register(function: Callable[..., Any]) -> JobFunction[Any, Any]:
            job_name = name or f"{function.__module__}.{function.__qualname__}"
            if job_name in self._definitions and self._definitions[job_name].fn is not function:
                raise ValueError(f"two different jobs are named {job_name!r}")
            definition = JobDefinition(job_name, function, JobOptions(**options), cron, cron_timezone)
            self._definitions[job_name] = definition
            for listener in self._listeners:
                listener(definition)
            return JobFunction(self, definition)

        return register(fn) if fn is not None else register

    @property
    def definitions(self) -> list[JobDefinition]:
        return list(self._definitions.values())

    def definition(self, name: str) -> JobDefinition:
        try:
            return self._definitions[name]
        except KeyError:
            raise UnknownJob(f"no job is registered under the name {name!r}") from None

    def queue_of(self, name: str) -> str:
        return self.definition(name).options.queue

    def queue_names(self) -> list[str]:
        return sorted({d.options.queue for d in self._definitions.values()} | {"default"})

    def on_register(self, listener: Callable[[JobDefinition], None]) -> None:
        """Call ``listener`` for every job, registered so far and later (the worker declares actors)."""
        self._listeners.append(listener)
        for definition in list(self._definitions.values()):
            listener(definition)

    def use(self, queue: DeveloperJobQueue | None) -> None:
        """Set where ``delay`` and friends send jobs (each process's composition root does this)."""
        self._queue = queue

    @property
    def queue(self) -> DeveloperJobQueue:
        if self._queue is None:
            raise RuntimeError(
                "job_manager has no job queue: the process's composition root calls job_manager.use(queue)"
            )
        return self._queue
