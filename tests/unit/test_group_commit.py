"""Group commit: concurrent writes share a flush, each caller gets its own result or error, the
first write is not held back, and one bad write cannot fail its neighbours."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from adapters.jobs.group_commit import GroupCommit


class BadWrite(Exception):
    pass


class GatedStore:
    """Records each flush; a flush waits for the test to open the gate (a commit in flight)."""

    def __init__(self, *, bad: set[str] | None = None, fail_with: BaseException | None = None) -> None:
        self.flushes: list[list[str]] = []
        self.gate = asyncio.Event()
        self.bad = bad or set()
        self.fail_with = fail_with

    async def flush(self, writes: Sequence[str]) -> list[str]:
        self.flushes.append(list(writes))
        await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        if self.bad & set(writes):
            raise BadWrite(f"bad write among {sorted(writes)}")
        return [f"done:{write}" for write in writes]


def group(store: GatedStore, max_batch: int = 500) -> GroupCommit[str, str]:
    return GroupCommit(
        store.flush, key=lambda w: w.split("#")[0], retry_alone_on=(BadWrite,), max_batch=max_batch
    )


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_the_first_write_is_flushed_at_once_and_later_ones_share_the_next_flush() -> None:
    store = GatedStore()
    commit = group(store)
    first = asyncio.create_task(commit.submit("a"))
    await settle()
    assert store.flushes == [["a"]]  # not held back waiting for company
    later = [asyncio.create_task(commit.submit(w)) for w in ("b", "c", "d")]
    await settle()
    assert store.flushes == [["a"]]  # waiting for the flush in flight
    store.gate.set()
    assert await first == "done:a"
    assert [await task for task in later] == ["done:b", "done:c", "done:d"]
    assert store.flushes == [["a"], ["b", "c", "d"]]


async def test_a_caller_returns_only_after_its_own_flush() -> None:
    store = GatedStore()
    commit = group(store)
    task = asyncio.create_task(commit.submit("a"))
    await settle()
    assert not task.done()
    store.gate.set()
    assert await task == "done:a"


async def test_a_failed_flush_fails_every_caller_of_that_batch() -> None:
    store = GatedStore(fail_with=ConnectionError("database gone"))
    commit = group(store)
    tasks = [asyncio.create_task(commit.submit(w)) for w in ("a", "b")]
    store.gate.set()
    for task in tasks:
        with pytest.raises(ConnectionError):
            await task
    assert store.flushes == [["a", "b"]]  # no retry one by one for a lost connection


async def test_a_bad_write_fails_alone_and_its_batch_mates_succeed() -> None:
    store = GatedStore(bad={"c"})
    commit = group(store)
    first = asyncio.create_task(commit.submit("a"))
    await settle()
    batch = [asyncio.create_task(commit.submit(w)) for w in ("b", "c", "d")]
    store.gate.set()
    assert await first == "done:a"
    assert await batch[0] == "done:b"
    with pytest.raises(BadWrite):
        await batch[1]
    assert await batch[2] == "done:d"
    assert store.flushes == [["a"], ["b", "c", "d"], ["b"], ["c"], ["d"]]


async def test_two_writes_for_the_same_key_never_share_a_flush() -> None:
    store = GatedStore()
    commit = group(store)
    tasks = [asyncio.create_task(commit.submit(w)) for w in ("x", "job#start", "other", "job#finish")]
    store.gate.set()
    await asyncio.gather(*tasks)
    assert store.flushes == [["x", "job#start", "other"], ["job#finish"]]


async def test_batches_are_capped() -> None:
    store = GatedStore()
    commit = group(store, max_batch=2)
    tasks = [asyncio.create_task(commit.submit(w)) for w in "abcde"]
    store.gate.set()
    assert await asyncio.gather(*tasks) == [f"done:{w}" for w in "abcde"]
    assert store.flushes == [["a", "b"], ["c", "d"], ["e"]]


async def test_a_flush_returning_the_wrong_number_of_results_fails_its_callers_instead_of_hanging() -> None:
    async def short(writes: Sequence[str]) -> list[str]:
        return []

    commit: GroupCommit[str, str] = GroupCommit(short, key=lambda w: w)
    with pytest.raises(RuntimeError, match="0 results for 1 writes"):
        await asyncio.wait_for(commit.submit("a"), 1)
