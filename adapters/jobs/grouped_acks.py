"""Acknowledgements from many worker threads share one Redis round trip.

Dramatiq acknowledges each message from the worker thread that ran it: one call of its Lua
dispatch script, one round trip, per job. Here the first thread to acknowledge sends every
acknowledgement waiting at that moment in one pipeline (still Dramatiq's own script, once per
message, so an ack still removes the message only if this worker still holds it); threads that
arrive meanwhile wait for the next pipeline. Each thread returns only once its own ack has been
sent, or raises that pipeline's error, exactly as with its own call, so Dramatiq's retry of a
failed ack is unchanged. Under a steady flow the sending thread may go on sending for the others
for a while (its own ack went in its first pipeline): in effect one worker thread acknowledges
for all, which costs far less than every thread making its own round trip.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

Ack = tuple[str, str]  # (queue name, Redis message id)


class _Waiter:
    __slots__ = ("_done", "error")

    def __init__(self) -> None:
        self._done = threading.Event()
        self.error: BaseException | None = None

    def settle(self, error: BaseException | None = None) -> None:
        self.error = error
        self._done.set()

    def wait(self) -> None:
        self._done.wait()
        if self.error is not None:
            raise self.error


class GroupedAcks:
    def __init__(self, send: Callable[[Sequence[Ack]], None], *, max_batch: int = 500) -> None:
        self._send = send  # sends the acks in one round trip, or raises
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._pending: list[tuple[Ack, _Waiter]] = []
        self._sending = False

    def ack(self, queue_name: str, redis_message_id: str) -> None:
        waiter = _Waiter()
        with self._lock:
            self._pending.append(((queue_name, redis_message_id), waiter))
            lead, self._sending = not self._sending, True
        if lead:
            self._send_pending()
        waiter.wait()

    def _send_pending(self) -> None:
        batch: list[tuple[Ack, _Waiter]] = []
        try:
            while True:
                with self._lock:
                    batch = self._pending[: self._max_batch]
                    del self._pending[: self._max_batch]
                    if not batch:
                        self._sending = False
                        return
                try:
                    self._send([ack for ack, _ in batch])
                except Exception as exc:  # noqa: BLE001 - each waiting thread raises it
                    for _, waiter in batch:
                        waiter.settle(exc)
                else:
                    for _, waiter in batch:
                        waiter.settle()
        except BaseException as exc:
            # Interrupted (an asynchronous exception in this thread): nobody may be left waiting.
            with self._lock:
                stranded, self._pending, self._sending = batch + self._pending, [], False
            for _, waiter in stranded:
                waiter.settle(exc)
            raise
