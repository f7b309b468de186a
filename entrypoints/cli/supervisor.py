"""The process supervision behind `cap-portal dev`: restart what dies, stop everything on a signal.

Each child runs in its own process group (its own session), so a Ctrl-C in the terminal reaches only
the supervisor, and stopping a child can reach everything it started: Dramatiq's worker processes and
Granian's workers stay in their parent's group even when the parent is gone, so after a child dies
(however it died) its whole group gets SIGKILL before it is started again, and no orphan survives.

A child that dies is restarted after a backoff that doubles from 1 s up to 30 s while it keeps dying
soon after starting; one that ran for a while is restarted after 1 s. A child that dies quickly too
many times in a row is not going to get better by itself: the supervisor says so in one line and
stops everything. Embedded servers (Postgres, Redis) are watched the same way and restarted on the
port they had, so the children's URLs stay valid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from subprocess import PIPE, STDOUT, Popen
from typing import IO, Protocol


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    first_delay: float = 1.0
    max_delay: float = 30.0
    # A run shorter than this counts as a quick death; a longer one resets the backoff.
    quick_seconds: float = 10.0
    # This many quick deaths in a row and the supervisor gives up (stops everything).
    max_quick_deaths: int = 5

    def delay(self, quick_deaths: int) -> float:
        """Seconds to wait before the next start, after ``quick_deaths`` quick deaths in a row."""
        if quick_deaths <= 1:
            return self.first_delay
        return float(min(self.max_delay, self.first_delay * 2.0 ** (quick_deaths - 1)))


class Server(Protocol):
    """An embedded server the supervisor can watch (EmbeddedPostgres, EmbeddedRedis)."""

    @property
    def url(self) -> str: ...

    def running(self) -> bool: ...

    def start(self) -> str: ...

    def stop(self) -> None: ...


Say = Callable[[str], None]


class GaveUp(Exception):
    """A child or server kept dying; the message is the one line the operator sees."""


class _Backoff:
    def __init__(self, name: str, policy: RestartPolicy) -> None:
        self.name = name
        self.policy = policy
        self.quick_deaths = 0
        self.next_start = 0.0

    def died(self, ran_for: float, now: float) -> float:
        """Record a death; the delay until the next start. Raises GaveUp past the limit."""
        self.quick_deaths = self.quick_deaths + 1 if ran_for < self.policy.quick_seconds else 0
        if self.quick_deaths >= self.policy.max_quick_deaths:
            raise GaveUp(
                f"{self.name} died {self.quick_deaths} times in a row within "
                f"{self.policy.quick_seconds:.0f}s of starting; stopping everything (see its output above)"
            )
        delay = self.policy.delay(self.quick_deaths)
        self.next_start = now + delay
        return delay


class Child:
    """One supervised command, its output relayed line by line with a ``name |`` prefix."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], policy: RestartPolicy) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.process: Popen[str] | None = None
        self.started_at = 0.0
        self.backoff = _Backoff(name, policy)

    def start(self) -> None:
        self.process = Popen(
            self.argv,
            env=dict(self.env),
            stdin=None,
            stdout=PIPE,
            stderr=STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # its own process group: see the module docstring
        )
        self.started_at = time.monotonic()
        threading.Thread(target=_relay, args=(self.name, self.process.stdout), daemon=True).start()

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        """SIGTERM to the main process only: it stops its own workers in order."""
        if self.running():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)

    def kill_group(self) -> None:
        """SIGKILL to the whole group: the main process if alive, and anything it left behind."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _relay(name: str, stream: IO[str] | None) -> None:
    if stream is None:
        return
    with contextlib.suppress(ValueError, OSError):  # our stdout closed under us: nothing to do
        for line in stream:
            sys.stdout.write(f"{name:<9} | {line}")
            sys.stdout.flush()


class _WatchedServer:
    def __init__(self, name: str, server: Server, policy: RestartPolicy) -> None:
        self.name = name
        self.server = server
        self.backoff = _Backoff(name, policy)
        self.started_at = time.monotonic()
        self.down_since: float | None = None


class Supervisor:
    """Starts the children, keeps them (and the watched servers) running until told to stop."""

    def __init__(self, say: Say, policy: RestartPolicy | None = None, poll_seconds: float = 0.2) -> None:
        self._say = say
        self._policy = policy or RestartPolicy()
        self._poll = poll_seconds
        self.children: dict[str, Child] = {}
        self._servers: list[_WatchedServer] = []

    def add_child(self, name: str, argv: list[str], env: Mapping[str, str]) -> Child:
        child = Child(name, argv, env, self._policy)
        self.children[name] = child
        return child

    def watch_server(self, name: str, server: Server) -> None:
        self._servers.append(_WatchedServer(name, server, self._policy))

    def start_all(self) -> None:
        for child in self.children.values():
            child.start()

    def run(self, stopping: threading.Event) -> None:
        """Watch until ``stopping`` is set. Raises GaveUp when something keeps dying."""
        while not stopping.wait(self._poll):
            self.check_once()

    def check_once(self) -> None:
        now = time.monotonic()
        for watched in self._servers:
            self._check_server(watched, now)
        for child in self.children.values():
            self._check_child(child, now)

    def _check_child(self, child: Child, now: float) -> None:
        if child.process is None:
            if now >= child.backoff.next_start:
                self._say(f"starting {child.name} again")
                child.start()
            return
        code = child.exit_code()
        if code is None:
            return
        child.kill_group()  # whatever it started dies with it (Dramatiq's worker processes)
        ran_for = now - child.started_at
        child.process = None
        delay = child.backoff.died(ran_for, now)
        self._say(f"{child.name} exited ({_describe(code)}) after {ran_for:.0f}s; restarting in {delay:.0f}s")

    def _check_server(self, watched: _WatchedServer, now: float) -> None:
        server = watched.server
        if watched.down_since is None:
            if server.running():
                return
            watched.down_since = now
            ran_for = now - watched.started_at
            delay = watched.backoff.died(ran_for, now)
            self._say(f"embedded {watched.name} died; restarting it in {delay:.0f}s")
            return
        if now < watched.backoff.next_start:
            return
        old_url = server.url if _has_url(server) else None
        server.stop()
        try:
            url = server.start()
        except Exception as exc:  # noqa: BLE001 - any failure to start is reported and retried
            first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
            delay = watched.backoff.died(0.0, now)
            self._say(f"embedded {watched.name} did not restart ({first_line}); trying again in {delay:.0f}s")
            return
        watched.down_since = None
        watched.started_at = time.monotonic()
        self._say(f"embedded {watched.name} restarted at {url}")
        if old_url is not None and url != old_url:
            self._say(f"embedded {watched.name} has a new URL; restarting the processes that use it")
            self._restart_children_with(old_url, url)

    def _restart_children_with(self, old_url: str, new_url: str) -> None:
        for child in self.children.values():
            env = {k: (new_url if v == old_url else v) for k, v in child.env.items()}
            child.env = env
            child.terminate()

    def stop_all(self, grace: float, hurry: threading.Event) -> None:
        """SIGTERM every child, wait up to ``grace`` seconds (or until ``hurry``), then SIGKILL groups."""
        for child in self.children.values():
            child.terminate()
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and not hurry.is_set():
            if not any(child.running() for child in self.children.values()):
                break
            time.sleep(0.05)
        for child in self.children.values():
            if child.running():
                reason = "asked to stop at once" if hurry.is_set() else f"did not stop in {grace:.0f}s"
                self._say(f"{child.name} {reason}; killing it")
            child.kill_group()  # also ends anything a child left behind


def _has_url(server: Server) -> bool:
    try:
        server.url  # noqa: B018 - raises when the server is not running
    except Exception:  # noqa: BLE001
        return False
    return True


def _describe(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"code {code}"
