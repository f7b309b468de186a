"""The lifecycle both embedded servers share.

One owner per data dir at a time (a directory lock, so a second instance in any process gets
EmbeddedServerError); a free loopback port, tried again when another process takes it between
our choosing and the server binding it; an atexit hook that stops the server when asked; and
use as a context manager. Each server supplies how it prepares its directory, starts on a port,
and shuts down.
"""

from __future__ import annotations

import atexit
import logging
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from adapters.embedded._process import (
    DirectoryLock,
    EmbeddedServerError,
    free_tcp_port,
    log_offset,
    log_since,
)

_logger = logging.getLogger(__name__)

_PORT_ATTEMPTS = 3  # a free port can be taken between choosing and binding it


class EmbeddedServer(ABC):
    name: ClassVar[str]  # "Postgres", "Redis": for messages
    # What the server writes to its log when the port was taken; any other failure is final.
    port_taken_marker: ClassVar[str]

    def __init__(self, data_dir: Path, *, log_name: str, lock_name: str, stop_on_exit: bool) -> None:
        self._data_dir = data_dir.resolve()
        self._log = self._data_dir / log_name
        self._lock = DirectoryLock(self._data_dir / lock_name)
        self._stop_on_exit = stop_on_exit
        self._port: int | None = None
        self._last_port: int | None = None  # a restart tries it first, so clients keep their URL

    @property
    def url(self) -> str:
        if self._port is None:
            raise EmbeddedServerError(f"embedded {self.name} is not running; call start() first")
        return self._url(self._port)

    @property
    def data_dir(self) -> Path:
        return self._data_dir

    def start(self) -> str:
        """Start the server (keeping what an earlier run saved) and return its URL.

        After a stop (or a crash followed by stop()), start() tries the port it had before, so
        processes holding the old URL reconnect to the restarted server.
        """
        if self._port is not None:
            return self.url
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._lock.acquire()
        try:
            self._prepare()
            self._port = self._launch()
            self._last_port = self._port
            if self._stop_on_exit:
                atexit.register(self.stop)
            self._after_start()
        except BaseException:
            self.stop()
            raise
        return self.url

    def running(self) -> bool:
        """Whether the server this instance started is still alive (False once it died or stopped)."""
        return self._port is not None and self._alive()

    def stop(self) -> None:
        """Stop the server; safe to call twice, and a no-op when this instance never started it."""
        self._port = None
        if not self._lock.held:
            return  # never started, or already stopped: the server, if any, is not ours
        atexit.unregister(self.stop)
        try:
            self._shut_down()
        finally:
            self._lock.release()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _launch(self) -> int:
        for attempt in range(_PORT_ATTEMPTS):
            port = self._last_port if attempt == 0 and self._last_port is not None else free_tcp_port()
            offset = log_offset(self._log)
            failure = self._start_on(port)
            if failure is None:
                return port
            server_log = log_since(self._log, offset)
            if self.port_taken_marker not in server_log:
                raise EmbeddedServerError(f"{self.name} did not start:\n{failure}\n{server_log}".rstrip())
            _logger.info("port %s was taken before %s bound it; trying another", port, self.name)
        raise EmbeddedServerError(f"{self.name} found no free port in {_PORT_ATTEMPTS} attempts")

    @abstractmethod
    def _url(self, port: int) -> str: ...

    @abstractmethod
    def _prepare(self) -> None:
        """Make the data dir ready (and stop a server a dead run left on it); we hold the lock."""

    @abstractmethod
    def _start_on(self, port: int) -> str | None:
        """Start on ``port`` and wait until it serves: None when it does, else what went wrong."""

    def _after_start(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """Work that needs the running server (Postgres creates its database)."""

    @abstractmethod
    def _shut_down(self) -> None: ...

    @abstractmethod
    def _alive(self) -> bool:
        """Whether the server process is still running."""
