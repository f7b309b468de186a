"""Coalescing of concurrent calls to one async check: a burst of callers shares one run.

A caller never gets the result of a run that began before it arrived (that run may have passed
the moment a dependency died): it joins the next run, which starts as soon as the one in flight
ends. So at most one run is in flight per process, a burst of N callers costs at most two runs
instead of N, and every answer is at least as fresh as the request that asked for it. Nothing is
cached: a caller arriving when nothing is in flight starts a run of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    def __init__(self, run: Callable[[], Awaitable[T]]) -> None:
        self._run = run
        self._running: asyncio.Future[T] | None = None  # began before anyone arriving now
        self._next: asyncio.Future[T] | None = None  # the run that starts when that one ends

    async def __call__(self) -> T:
        if self._running is None:
            outcome = self._start()
        else:
            if self._next is None:
                self._next = asyncio.get_running_loop().create_future()
            outcome = self._next
        # shield: a caller that gives up (client gone, timeout) does not cancel the others' run.
        return await asyncio.shield(outcome)

    def _start(self) -> asyncio.Future[T]:
        task = self._running = asyncio.ensure_future(self._run())
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Future[T]) -> None:
        if self._running is task:
            self._running = None
        waiting, self._next = self._next, None
        if waiting is not None:
            self._start().add_done_callback(lambda run: _copy_outcome(run, waiting))
        _retrieve(task)


def _copy_outcome(source: asyncio.Future[T], target: asyncio.Future[T]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (error := source.exception()) is not None:
        target.set_exception(error)
        target.add_done_callback(_retrieve)
    else:
        target.set_result(source.result())


def _retrieve(future: asyncio.Future[T]) -> None:
    # Mark a failure as seen: if every caller gave up, asyncio would log it as "never retrieved".
    if not future.cancelled():
        future.exception()
