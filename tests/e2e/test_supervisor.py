"""The restart policy and process-group handling of `cap-portal dev`'s supervisor, on tiny children."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from entrypoints.cli.supervisor import GaveUp, RestartPolicy, Supervisor
from tests.e2e.test_dev_supervision import alive, eventually

FAST = RestartPolicy(first_delay=0.05, max_delay=0.2, quick_seconds=5, max_quick_deaths=4)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_backoff_doubles_up_to_the_limit() -> None:
    policy = RestartPolicy()
    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_child_that_keeps_dying_quickly_makes_the_supervisor_give_up() -> None:
    said: list[str] = []
    supervisor = Supervisor(said.append, FAST, poll_seconds=0.01)
    supervisor.add_child("broken", python("raise SystemExit(3)"), os.environ)
    supervisor.start_all()
    with pytest.raises(GaveUp, match=r"^broken died 4 times in a row within 5s of starting; stopping"):
        supervisor.run(threading.Event())
    assert sum("broken exited (code 3)" in line for line in said) == 3
    supervisor.stop_all(1, threading.Event())


def test_a_dead_child_is_restarted_and_takes_what_it_started_with_it(tmp_path: Path) -> None:
    """The child starts a grandchild in its group, writes both pids, then dies by itself; the
    grandchild must not outlive it, and the child comes back."""
    pids = tmp_path / "pids"
    code = (
        "import os, subprocess, sys, time\n"
        "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"with open({str(pids)!r}, 'a') as f: f.write(f'{{os.getpid()}} {{grandchild.pid}}\\n')\n"
        "time.sleep(0.3); os._exit(1)\n"
    )
    said: list[str] = []
    supervisor = Supervisor(said.append, FAST, poll_seconds=0.01)
    supervisor.add_child("flaky", python(code), os.environ)
    supervisor.start_all()
    stopping = threading.Event()
    watcher = threading.Thread(target=_run_until_gave_up, args=(supervisor, stopping))
    watcher.start()
    try:
        eventually(lambda: pids.exists() and len(pids.read_text().splitlines()) >= 2, "a restart")
    finally:
        stopping.set()
        watcher.join(10)
        supervisor.stop_all(1, threading.Event())
    first_child, first_grandchild = map(int, pids.read_text().splitlines()[0].split())
    assert not alive(first_child)
    assert not alive(first_grandchild)
    assert "flaky exited (code 1)" in said[0]


def test_stop_all_ends_a_child_that_ignores_sigterm_when_hurried(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    said: list[str] = []
    supervisor = Supervisor(said.append, FAST)
    code = (
        "import pathlib, signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    child = supervisor.add_child("stubborn", python(code), os.environ)
    supervisor.start_all()
    eventually(ready.exists, "the child ignoring SIGTERM")
    hurry = threading.Event()
    threading.Timer(0.3, hurry.set).start()
    started = time.monotonic()
    supervisor.stop_all(30, hurry)
    assert time.monotonic() - started < 5
    assert child.process is not None
    assert child.process.returncode == -9
    assert said == ["stubborn asked to stop at once; killing it"]


def _run_until_gave_up(supervisor: Supervisor, stopping: threading.Event) -> None:
    try:
        supervisor.run(stopping)
    except GaveUp:
        stopping.set()


class _UnrestartableServer:
    """An embedded server that dies and will not come back (its data directory gone, say)."""

    url = "redis://127.0.0.1:1/0"

    def __init__(self) -> None:
        self.starts = 0

    def running(self) -> bool:
        return False

    def start(self) -> str:
        self.starts += 1
        raise RuntimeError("redis-server exited at once\nsecond line of its output")

    def stop(self) -> None:
        pass


def test_an_embedded_server_that_cannot_restart_makes_the_supervisor_say_so_in_one_line() -> None:
    said: list[str] = []
    server = _UnrestartableServer()
    supervisor = Supervisor(said.append, FAST, poll_seconds=0.01)
    supervisor.watch_server("Redis", server)
    with pytest.raises(GaveUp, match=r"^Redis died 4 times in a row within 5s of starting; stopping") as gave:
        supervisor.run(threading.Event())
    assert "\n" not in str(gave.value)
    assert said[0] == "embedded Redis died; restarting it in 0s"
    tries = [line for line in said if line.startswith("embedded Redis did not restart")]
    assert len(tries) == 2  # the death and three failed starts make four quick deaths: the last gives up
    assert all("(redis-server exited at once)" in line for line in tries)  # its first line only
    assert server.starts == len(tries) + 1  # the last failed start is the one that gave up
