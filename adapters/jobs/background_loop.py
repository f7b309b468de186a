"""An event loop on a thread of its own, for sync callers of async adapters.

Dramatiq's middleware hooks, sync job functions and scripts are plain threads; the database
adapters are async (asyncpg). asyncpg connections belong to the loop that opened them, so each
process keeps one such loop, with its own engine, and sync code hands coroutines to it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self, name: str = "cap-background-loop") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coroutine`` on the background loop and wait for its result (or exception)."""
        loop = self._started()
        if _running_loop() is loop:
            coroutine.close()
            raise RuntimeError("BackgroundLoop.run called from its own loop; await the coroutine instead")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start ``coroutine`` on the background loop; an async caller awaits the result with
        ``asyncio.wrap_future`` (its own loop keeps running meanwhile)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._started())

    @property
    def started(self) -> bool:
        return self._loop is not None

    def stop(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(target=_serve, args=(loop, ready), name=self._name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop


def _serve(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    loop.run_forever()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
