"""`cap-portal dev` supervises its processes: what dies comes back, and a stop leaves nothing behind.

Each `dev` run (about 15 s to start) carries several fault checks in order; every wait for something to
happen is on a line, a pid or a job's status, not on the machine's speed. The restart policy itself is
tested against small throwaway children in test_supervisor.py.
"""

from __future__ import annotations

import asyncio
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
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis import Redis

from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests import jobs_for_tests as test_jobs
from tests.e2e.test_dev_command import _free_port
from tests.infrastructure import asyncpg_dsn
from tests.job_processes import JOB_MODULE, ROOT
from tests.jobs_for_tests import EFFECTS_TABLE

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

    def __init__(
        self,
        data_dir: Path,
        port: int,
        extra_env: dict[str, str] | None = None,
        modules: tuple[str, ...] = (),
    ) -> None:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "CAP_DATA_DIR": str(data_dir),
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.port = port
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "dev", "--port", str(port)]
            + [part for module in modules for part in ("--import", module)],
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
                # python -m entrypoints.cli <command> [--import module ...]
                if cmdline(pid)[2:4] == ["entrypoints.cli", command] and os.getpgid(pid) == pid:
                    return pid
            except ProcessLookupError:  # gone between the listing and the look
                continue
        return None

    def health(self, timeout: float = 5) -> int:
        try:
            url = f"http://127.0.0.1:{self.port}/health"
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except OSError:
            return 0


class HealthWatch:
    """Asks dev's /health again and again in the background while a test kills things, keeping every
    answer: the web API answered throughout, not only at the moments the test looked."""

    def __init__(self, dev: Dev) -> None:
        self._dev = dev
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._ask, daemon=True)
        self.answers: list[int] = []

    def __enter__(self) -> HealthWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def _ask(self) -> None:
        while not self._stop.is_set():
            # A generous timeout: a slow answer on a loaded machine is still an answer.
            self.answers.append(self._dev.health(timeout=30))
            self._stop.wait(0.2)  # pacing between questions, not a wait for anything


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


WORKER_THREADS = 8  # `cap-portal worker`'s default, which dev runs


def _sql(database_url: str, query: str, *args: object) -> list[dict[str, Any]]:
    async def fetch() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            return [dict(row) for row in await connection.fetch(query, *args)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def _statuses(database_url: str, ids: list[str]) -> dict[str, str]:
    rows = _sql(database_url, "SELECT id::text, status FROM jobs WHERE id = ANY($1::uuid[])", ids)
    return {row["id"]: row["status"] for row in rows}


def test_jobs_survive_killed_worker_and_scheduler_under_dev_and_take_effect_exactly_once(
    data_dir: Path,
) -> None:
    """Each job inserts one row (its effect) once released. Jobs that finished before the worker
    was SIGKILLed are not run again; jobs it was running (blocked before their effect) and the ones
    it had prefetched are redelivered to the worker dev restarts. Delayed jobs asked for before the
    scheduler was SIGKILLed, and others asked for once it was dead (so only the scheduler dev starts
    again can queue them), are sent once each. In the end every job is finished and every effect is
    in exactly once, and the web API answered every time it was asked, throughout."""
    env = {"PYTHONPATH": str(ROOT), "JOB_REDELIVERY_SECONDS": "3", "SCHEDULER_RECONCILE_SECONDS": "5"}
    dev = Dev(data_dir, _free_port(), env, modules=(JOB_MODULE,))
    runtime = None
    try:
        dev.wait_for_line("| ready:")
        urls = json.loads((data_dir / "dev-urls.json").read_text())
        database_url, redis = urls["database_url"], Redis.from_url(urls["redis_url"])
        _sql(database_url, EFFECTS_TABLE)
        runtime = build_job_runtime(
            Settings(database_url=database_url, redis_url=urls["redis_url"]), job_manager
        )
        job_manager.use(runtime.queue)
        jobs: dict[str, str] = {}  # key -> job id

        def delay(key: str, *, released: bool, later: timedelta | None = None) -> None:
            if released:
                redis.set(f"release:{key}", 1)
            job = test_jobs.record_effect_when_released
            jobs[key] = job.delay_in(later, key) if later else job.delay(key)

        for n in range(5):
            delay(f"before-{n}", released=True)
        before = [jobs[f"before-{n}"] for n in range(5)]
        eventually(lambda: set(_statuses(database_url, before).values()) == {"finished"}, "the first jobs")

        with HealthWatch(dev) as health:
            running = _kill_the_worker_while_it_runs_jobs(dev, redis, database_url, jobs, delay)
            due_after_the_kill = _kill_the_scheduler_around_delayed_jobs(dev, jobs, delay)
            eventually(
                lambda: set(_statuses(database_url, list(jobs.values())).values()) == {"finished"},
                "every job finished",
                seconds=120,
            )
        assert len(health.answers) >= 2, health.answers
        assert set(health.answers) == {200}, health.answers

        effects = _sql(database_url, "SELECT key, count(*) AS n FROM test_job_effects GROUP BY key")
        assert {row["key"]: row["n"] for row in effects} == {key: 1 for key in jobs}
        records = {
            row["id"]: row
            for row in _sql(
                database_url,
                "SELECT id::text, attempts, scheduled_for, queued_at FROM jobs WHERE id = ANY($1::uuid[])",
                list(jobs.values()),
            )
        }
        assert {key for key in jobs if records[jobs[key]]["attempts"] > 1} == running  # only those ran again
        assert all(redis.llen(f"started:{key}") == 2 for key in running)
        assert all(redis.llen(f"started:{key}") == 1 for key in set(jobs) - running)
        # The jobs only the restarted scheduler could queue: queued once, when due, run once.
        for key in due_after_the_kill:
            record = records[jobs[key]]
            assert record["attempts"] == 1, key
            assert record["queued_at"] >= record["scheduled_for"], key
            assert int(redis.get(f"runs:{key}") or 0) == 1, key
        assert dev.health() == 200
        started_processes = descendants(dev.process.pid) | {postgres_pid(data_dir)}
    finally:
        job_manager.use(None)
        if runtime is not None:
            runtime.close()
        dev.process.send_signal(signal.SIGTERM)
        dev.process.wait(60)
    assert dev.process.returncode == 0, dev.output()
    eventually(lambda: not any(alive(pid) for pid in started_processes), "every process gone", seconds=10)


Delay = Callable[..., None]


def _kill_the_worker_while_it_runs_jobs(
    dev: Dev, redis: Redis, database_url: str, jobs: dict[str, str], delay: Delay
) -> set[str]:
    """More jobs than the worker has threads, none released: every thread is running one (blocked
    before its effect) and the rest wait, prefetched, when the worker dies. Returns the running ones."""
    during = [f"during-{n}" for n in range(WORKER_THREADS + 4)]
    for key in during:
        delay(key, released=False)
    # Each job says so in Redis once it runs (its record says `started` a moment before).
    eventually(
        lambda: sum(1 for key in during if redis.llen(f"started:{key}")) == WORKER_THREADS,
        "every worker thread running a job",
    )
    running = {key for key in during if redis.llen(f"started:{key}")}
    assert set(_statuses(database_url, [jobs[k] for k in running]).values()) == {"started"}
    worker = dev.child_pid("worker")
    os.kill(worker, signal.SIGKILL)
    dev.wait_for_line("worker exited (killed by SIGKILL)")
    eventually(lambda: dev.child_pid_if_any("worker") not in (None, worker), "a new worker")
    for key in during:
        redis.set(f"release:{key}", 1)
    return running


def _kill_the_scheduler_around_delayed_jobs(dev: Dev, jobs: dict[str, str], delay: Delay) -> list[str]:
    """Delayed jobs asked for before the kill (the dead scheduler may have had their timers), and
    others asked for once dev has seen it die: nothing but a scheduler moves a job from `scheduled`
    to `queued` (``claim_due``), and dev runs one, so only the restarted one can send these. Returns
    the keys of the latter."""
    for n in range(5):
        delay(f"delayed-{n}", released=True, later=timedelta(seconds=8))
    scheduler = dev.child_pid("scheduler")
    os.kill(scheduler, signal.SIGKILL)
    dev.wait_for_line("scheduler exited (killed by SIGKILL)")  # dev has reaped it: it is gone
    due_after_the_kill = [f"due-after-the-kill-{n}" for n in range(3)]
    for key in due_after_the_kill:
        delay(key, released=True, later=timedelta(seconds=3))
    dev.wait_for_line("starting scheduler again")
    eventually(lambda: dev.child_pid_if_any("scheduler") not in (None, scheduler), "a new scheduler")
    return due_after_the_kill
