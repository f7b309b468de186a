"""Grouped acks: worker threads' acknowledgements share a round trip, each thread returns only once
its own ack was sent (or raises the send's error), and no thread is left waiting."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from adapters.jobs.grouped_acks import Ack, GroupedAcks


class GatedRedis:
    """Records each pipeline; the first one waits for the test to open the gate."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.pipelines: list[list[Ack]] = []
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.error = error

    def send(self, acks: Sequence[Ack]) -> None:
        self.pipelines.append(list(acks))
        self.entered.set()
        assert self.gate.wait(5)
        if self.error is not None:
            raise self.error


def ack_in_thread(acks: GroupedAcks, redis_id: str, outcomes: dict[str, object]) -> threading.Thread:
    def run() -> None:
        try:
            acks.ack("default", redis_id)
        except BaseException as exc:  # recorded for the test to look at
            outcomes[redis_id] = exc
        else:
            outcomes[redis_id] = "acked"

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until_queued(acks: GroupedAcks, count: int) -> None:
    for _ in range(500):
        if len(acks._pending) >= count:
            return
        threading.Event().wait(0.01)
    raise AssertionError("acks were not queued")


def test_acks_arriving_during_a_send_share_the_next_one_and_each_thread_waits_for_its_own() -> None:
    redis = GatedRedis()
    acks = GroupedAcks(redis.send)
    outcomes: dict[str, object] = {}
    first = ack_in_thread(acks, "a", outcomes)
    assert redis.entered.wait(5)  # sent at once, alone
    later = [ack_in_thread(acks, i, outcomes) for i in ("b", "c", "d")]
    wait_until_queued(acks, 3)
    assert outcomes == {}  # nobody returns before its ack is sent
    redis.gate.set()
    for thread in [first, *later]:
        thread.join(5)
    assert outcomes == dict.fromkeys("abcd", "acked")
    assert redis.pipelines[0] == [("default", "a")]
    assert sorted(redis.pipelines[1]) == [("default", i) for i in "bcd"]


def test_a_failed_send_raises_in_every_thread_of_that_pipeline() -> None:
    redis = GatedRedis(error=ConnectionError("redis gone"))
    acks = GroupedAcks(redis.send)
    outcomes: dict[str, object] = {}
    first = ack_in_thread(acks, "a", outcomes)
    assert redis.entered.wait(5)
    second = ack_in_thread(acks, "b", outcomes)
    wait_until_queued(acks, 1)
    redis.gate.set()
    first.join(5)
    second.join(5)
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes.values())
    assert len(outcomes) == 2


def test_an_interrupted_sender_leaves_nobody_waiting_and_the_next_ack_sends_again() -> None:
    class Interrupt(BaseException):
        pass

    calls: list[list[Ack]] = []

    def send(batch: Sequence[Ack]) -> None:
        calls.append(list(batch))
        if len(calls) == 1:
            raise Interrupt()

    acks = GroupedAcks(send)
    with pytest.raises(Interrupt):
        acks.ack("default", "a")
    acks.ack("default", "b")  # not stuck behind a sender that never finished
    assert calls == [[("default", "a")], [("default", "b")]]
