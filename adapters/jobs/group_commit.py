"""Group commit: concurrent writes of one kind share one statement and one commit.

The hot job-record writes (a caller's new job row, a worker's ``started`` and ``finished``) come
from many threads at once. Each commit waits for the WAL to reach the disk, and each statement
costs a round trip and a parse on both sides; sharing them is what lets one worker process keep up.

- The first write goes out at once: an idle system adds no latency.
- Writes that arrive while a flush is in flight wait for it and then go together in the next one.
- Each caller returns only when its own write is committed (or fails with the batch's error), so
  batching weakens no guarantee: a job is recorded ``started`` before it runs and ``finished``
  before its message is acknowledged, exactly as with one transaction per write.
- A batch that fails on bad data is retried one write at a time, so one bad write cannot fail the
  writes that happened to share its batch.
- Two writes for the same key never share a batch (an UPDATE ... FROM a list applies a row only
  once): the second waits for the next flush, as it would have waited for its own transaction.

Use from one event loop (the process's background loop); ``submit`` is not thread-safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Flush = Callable[[Sequence[T]], Awaitable[Sequence[R]]]


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        flush: Flush[T, R],
        *,
        key: Callable[[T], Hashable],
        retry_alone_on: tuple[type[BaseException], ...] = (),
        max_batch: int = 500,
    ) -> None:
        self._flush = flush  # one result per write, in order
        self._key = key
        self._retry_alone_on = retry_alone_on
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._draining = False

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                await self._flush_batch(self._take_batch())
        finally:
            self._draining = False

    def _take_batch(self) -> list[tuple[T, asyncio.Future[R]]]:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        later: list[tuple[T, asyncio.Future[R]]] = []
        keys: set[Hashable] = set()
        for entry in self._pending:
            key = self._key(entry[0])
            if len(batch) >= self._max_batch or key in keys:
                later.append(entry)
            else:
                keys.add(key)
                batch.append(entry)
        self._pending = later
        return batch

    async def _flush_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = list(await self._flush([item for item, _ in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"group commit: {len(results)} results for {len(batch)} writes")
        except BaseException as exc:
            if len(batch) > 1 and isinstance(exc, self._retry_alone_on):
                for entry in batch:
                    await self._flush_batch([entry])
                return
            for _, future in batch:  # every caller of the batch gets its error
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise  # cancelled (the loop is stopping): stop draining
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a caller that gave up (cancelled) no longer waits
                future.set_result(result)
