"""`cap-portal dev` supervises its processes: what dies comes back, and a stop leaves nothing behind.

Each `dev` run (about 15 s to start) carries several fault checks in order; every wait for something to
happen is on a line, a pid or a job's status, not on the machine's speed. The restart policy itself is
tested against small throwaway children in test_supervisor.py.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_dev_command import _free_port

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Under /tmp, not pytest's tmp_path: the embedded Postgres runs as another user when we are root,
    # and pytest's directories are private to us.
    path = Path(tempfile.mkdtemp(prefix="cap-dev-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Dev:
    """A running `cap-portal dev`, its output collected in the background."""

    def __init__(self, data_dir: Path, port: int, extra_env: dict[str, str] | None = None) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "CAP_DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.port = port
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "dev", "--port", str(port)],
            env=env,
            cwd=data_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for_line(self, fragment: str, seconds: float = 90) -> str:
        deadline = time.monotonic() + seconds
        with self._changed:
            while True:
                for line in self.lines:
                    if fragment in line:
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"no line with {fragment!r}; output:\n{''.join(self.lines)}")
                self._changed.wait(min(left, 0.5))

    def output(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def child_pid(self, command: str) -> int:
        """The pid of the `cap-portal <command>` child `dev` started (the group leader)."""
        pid = self.child_pid_if_any(command)
        if pid is None:
            raise AssertionError(f"no {command} child; output:\n{self.output()}")
        return pid

    def child_pid_if_any(self, command: str) -> int | None:
        # dev says "starting worker again" just before it spawns it: a moment without one is normal.
        for pid in descendants(self.process.pid):
            try:
                if cmdline(pid)[-1:] == [command] and os.getpgid(pid) == pid:
                    return pid
            except ProcessLookupError:  # gone between the listing and the look
                continue
        return None

    def health(self) -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def descendants(root: int) -> set[int]:
    parents = {int(p.name): _ppid(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def eventually(check: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def postgres_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "pgdata" / "postmaster.pid").read_text().split()[0])


def test_dev_restarts_what_dies_and_leaves_nothing_behind(data_dir: Path) -> None:
    dev = Dev(data_dir, _free_port())
    try:
        dev.wait_for_line("| ready:")
        urls = json.loads((data_dir / "dev-urls.json").read_text())
        assert urls["pid"] == dev.process.pid

        # The worker's main process killed: its own worker process (an orphan now) is ended too,
        # a new worker comes up, and the web API answered throughout.
        worker = dev.child_pid("worker")
        worker_processes = descendants(worker)
        assert worker_processes, "Dramatiq runs its workers in child processes"
        answers: list[int] = []
        os.kill(worker, signal.SIGKILL)
        dev.wait_for_line("worker exited (killed by SIGKILL)")
        eventually(lambda: not any(alive(pid) for pid in worker_processes), "the orphaned worker process")
        answers.append(dev.health())
        dev.wait_for_line("starting worker again")
        eventually(lambda: dev.child_pid_if_any("worker") not in (None, worker), "a new worker")
        answers.append(dev.health())
        assert answers == [200, 200]

        # The scheduler too.
        scheduler = dev.child_pid("scheduler")
        os.kill(scheduler, signal.SIGKILL)
        dev.wait_for_line("starting scheduler again")

        # Embedded Redis killed: restarted on the same URL, so the API becomes healthy again.
        redis_pid = next(
            pid for pid in descendants(dev.process.pid) if "redis-server" in " ".join(cmdline(pid))
        )
        os.kill(redis_pid, signal.SIGKILL)
        restarted = dev.wait_for_line("embedded Redis restarted at")
        assert restarted.split()[-1] == urls["redis_url"]
        eventually(lambda: dev.health() == 200, "healthy after the Redis restart")

        # Everything dev started, and the Postgres server (not a child: pg_ctl detaches it).
        started = descendants(dev.process.pid) | {postgres_pid(data_dir)}
    finally:
        # Ctrl-C twice: the second one means "now"; still nothing may stay behind.
        dev.process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        dev.process.send_signal(signal.SIGINT)
        dev.process.wait(60)
    output = dev.output()
    assert "| stopped" in output, output
    assert dev.process.returncode == 0, output
    eventually(lambda: not any(alive(pid) for pid in started), "every process gone", seconds=10)
    assert not (data_dir / "dev-urls.json").exists()


def test_commands_beside_dev_find_the_running_system(data_dir: Path) -> None:
    dev = Dev(data_dir, _free_port())
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CAP_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "entrypoints.cli", "allocations", "create", "--dry-run", "--json"]
    month = time.strftime("%Y-%m")
    try:
        dev.wait_for_line("| ready:")
        beside = subprocess.run(
            [*command, "--month", month], env=env, cwd=data_dir, capture_output=True, text=True, timeout=60
        )
        assert beside.returncode == 0, beside.stderr
        assert json.loads(beside.stdout)["dry_run"] is True
    finally:
        dev.process.send_signal(signal.SIGTERM)
        dev.process.wait(60)
    assert dev.process.returncode == 0, dev.output()
    # With dev stopped: one line saying what to do, exit 2.
    alone = subprocess.run(
        [*command, "--month", month], env=env, cwd=data_dir, capture_output=True, text=True, timeout=60
    )
    assert alone.returncode == 2
    assert alone.stderr.count("\n") == 1, alone.stderr
    assert alone.stderr.startswith("cap-portal: configuration error: DATABASE_URL: not set"), alone.stderr
    assert "no `cap-portal dev` is running" in alone.stderr


def _call(
    dev: Dev, method: str, path: str, body: dict[str, object] | None = None
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{dev.port}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "X-API-Key": (dev.data_dir / "dev-api-key").read_text().strip(),
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read() or b"{}")


def _finished(dev: Dev, job_id: str) -> bool:
    status, body = _call(dev, "GET", f"/jobs/{job_id}/status")
    return status == 200 and body["status"] == "finished"


def test_dev_with_a_hung_redis_a_dead_worker_process_and_a_dead_postgres(data_dir: Path) -> None:
    dev = Dev(data_dir, _free_port())
    try:
        dev.wait_for_line("| ready:")
        first = _call(dev, "POST", "/example-job", {})[1]["job_id"]
        eventually(lambda: _finished(dev, first), "the first job finished")

        # One of Dramatiq's worker processes (a child of the worker dev started) killed: jobs still run.
        worker = dev.child_pid("worker")
        os.kill(min(descendants(worker)), signal.SIGKILL)
        after_kill = _call(dev, "POST", "/example-job", {})[1]["job_id"]
        eventually(lambda: _finished(dev, after_kill), "a job after the worker process died")

        # Redis hung (SIGSTOP): enqueue answers within the send timeout, the row committed; /health
        # says 503 within its own; once Redis answers again the relay sends the job and it runs.
        redis_pid = next(
            pid for pid in descendants(dev.process.pid) if "redis-server" in " ".join(cmdline(pid))
        )
        os.kill(redis_pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            status, body = _call(dev, "POST", "/example-job", {})
            assert status == 202, body
            assert time.monotonic() - started < 10  # JOB_SEND_TIMEOUT_SECONDS is 2
            assert dev.health() == 503
        finally:
            os.kill(redis_pid, signal.SIGCONT)
        eventually(lambda: _finished(dev, str(body["job_id"])), "the job sent by the relay", seconds=90)

        # Postgres killed: noticed and restarted; the API answers again.
        os.kill(postgres_pid(data_dir), signal.SIGKILL)
        dev.wait_for_line("embedded Postgres restarted at")
        eventually(lambda: dev.health() == 200, "healthy after the Postgres restart")
        last = _call(dev, "POST", "/example-job", {})[1]["job_id"]
        eventually(lambda: _finished(dev, last), "a job after the Postgres restart")
        started_processes = descendants(dev.process.pid) | {postgres_pid(data_dir)}
    finally:
        dev.process.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        dev.process.send_signal(signal.SIGTERM)
        dev.process.wait(60)
    assert dev.process.returncode == 0, dev.output()
    eventually(lambda: not any(alive(pid) for pid in started_processes), "every process gone", seconds=10)
