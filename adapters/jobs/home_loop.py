"""The event loop a process already lives on (the web server's, the scheduler's), for a ``.delay()``
made outside a unit of work, so such a process needs no event-loop thread of its own.

- Called on that loop (an async route, a scheduler task), ``.delay()`` is a plain function that
  cannot wait for the loop it runs on: the row's write and the message's send become a task on the
  loop, kept here until it ends, and ``drain`` waits for the unfinished ones at shutdown. The id
  is returned at once; ``await job.adelay(...)`` waits for the commit instead.
- Called from another thread (a sync route's worker thread, a thread the code started), the call
  hands the write to the loop and waits for it there, so the row is committed when it returns.

``attach`` at startup, ``drain`` then ``detach`` at shutdown; while detached ``serving`` is false
and callers use their other path (``StandaloneWrites``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

logger = logging.getLogger("cap_portal.jobs")
T = TypeVar("T")


class HomeLoop:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[asyncio.Task[Any], str] = {}

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def detach(self) -> None:
        self._loop = None

    @property
    def serving(self) -> bool:
        return self._loop is not None and self._loop.is_running()

    def running_here(self) -> bool:
        """Whether the caller runs on the home loop (and so must not wait for it)."""
        try:
            return self._loop is not None and asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    @property
    def pending(self) -> int:
        return len(self._pending)

    def start(self, coroutine: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``coroutine`` as a task on the home loop, from the home loop; ``what`` names it in the
        log if it fails (nobody else is there to see the error)."""
        task = self._require().create_task(coroutine)
        self._pending[task] = what
        task.add_done_callback(self._ended)

    def wait(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the home loop from another thread and wait for its result."""
        if self.running_here():
            coroutine.close()
            raise RuntimeError("HomeLoop.wait called on the home loop; await the coroutine instead")
        return asyncio.run_coroutine_threadsafe(coroutine, self._require()).result()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await ``coroutine`` on the home loop, from any loop."""
        if self.running_here():
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._require()))

    async def drain(self, seconds: float) -> None:
        """Wait (on the home loop) for the started tasks, those started meanwhile included, for up to
        ``seconds``; any still running then are named in the log and cancelled."""
        deadline = time.monotonic() + seconds
        while self._pending and (left := deadline - time.monotonic()) > 0:
            await asyncio.wait(list(self._pending), timeout=left)
        if self._pending:
            logger.error(
                "jobs still being written at shutdown were given up",
                extra={"jobs": sorted(self._pending.values())[:20], "count": len(self._pending)},
            )
            for task in list(self._pending):
                task.cancel()

    def _require(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the process's event loop is not attached to its job queue")
        return self._loop

    def _ended(self, task: asyncio.Task[Any]) -> None:
        what = self._pending.pop(task, "?")
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            # The caller already has its id; the log (and so Sentry) is the only place this shows.
            logger.error(
                "a job asked for outside a unit of work was not written",
                extra={"job": what, "reason": repr(error)},
                exc_info=error,
            )
