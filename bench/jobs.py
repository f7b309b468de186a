"""Background jobs benchmark: our stack (job records + outbox + Dramatiq) beside RQ 2.x, one run.

    python3 -m uv run --frozen --all-extras python -m bench.jobs

Starts embedded Postgres and Redis (or uses TEST_DATABASE_URL / TEST_REDIS_URL), one worker process
per stack (ours: `cap-portal worker -p 1`; RQ: `rq worker`, its default forking worker), and prints
Markdown tables: throughput and idle enqueue→start latency of both stacks, the lateness of delayed
jobs (ours), the CPU each process spent per job during the throughput run (the fairest figure
on a shared machine: wall clock moves with other load, CPU per job much less), and where each of our
idle `.delay()` calls spent its time (``DelayTimings``).

Waits poll one open connection at a modest rate, so the benchmark itself stays a small load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from redis import Redis

from adapters.postgres.migrations import upgrade
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests import infrastructure
from tests.infrastructure import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[1]
CALLERS = 8  # threads calling `.delay()` at once, each its own transaction
# RQ forgets a finished job after 500 s by default, and the run counts finished jobs: a slow RQ run
# (10,000 jobs on a busy machine) would otherwise lose its first jobs from the count and never end.
RQ_RESULT_TTL = 86_400


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
            "APP_ENV": "testing", "API_KEY": "bench-api-key-0123456789"}  # fmt: skip


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()


def _say(text: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class Probe:
    """One open Postgres connection for the benchmark's own reads (a new connection per poll
    would fork a Postgres backend each time and load the machine being measured)."""

    def __init__(self, database_url: str) -> None:
        self._runner = asyncio.Runner()
        self._connection: asyncpg.Connection = self._runner.run(asyncpg.connect(asyncpg_dsn(database_url)))

    def value(self, query: str, *args: object) -> Any:
        return self._runner.run(self._connection.fetchval(query, *args))

    def rows(self, query: str, *args: object) -> list[asyncpg.Record]:
        return self._runner.run(self._connection.fetch(query, *args))

    def close(self) -> None:
        self._runner.run(self._connection.close())
        self._runner.close()


def _until(check: Callable[[], bool], every: float, *, seconds: float = 1800) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark wait gave up after {seconds:.0f} s")
        time.sleep(every)


# --- CPU accounting -------------------------------------------------------------------------


@dataclass
class CpuMeter:
    """CPU seconds (user + system, reaped children included) of named process trees."""

    roots: dict[str, int] = field(default_factory=dict)

    def seconds(self) -> dict[str, float]:
        return {name: _tree_cpu(pid) for name, pid in self.roots.items()}


def _tree_cpu(pid: int) -> float:
    if pid == os.getpid():
        times = os.times()  # this process's threads; its own children are the servers, counted apart
        return times.user + times.system
    total = 0.0
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            with suppress(psutil.NoSuchProcess):  # ended meanwhile
                t = process.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
    except psutil.NoSuchProcess:
        return 0.0
    return total


def _server_pids(tmp: Path) -> dict[str, int]:
    """The embedded servers' main processes (absent when the run uses configured servers)."""
    found = {}
    for name, pattern in (("Postgres", "**/postmaster.pid"), ("Redis", "**/redis.pid")):
        for pid_file in tmp.glob(pattern):
            found[name] = int(pid_file.read_text().split()[0])
    return found


def _per_job(before: dict[str, float], after: dict[str, float], jobs: int) -> dict[str, float]:
    return {name: (after[name] - before[name]) * 1000 / jobs for name in before}


# --- our stack -------------------------------------------------------------------------------


@dataclass
class DelayTimings:
    """Where each idle `.delay()` of ours spends its time, to find what decides the idle p99.

    `.delay()` outside a transaction (the benchmark's callers) goes: the caller hands the row's INSERT
    to the private loop thread and waits (``loop.run``) → the group commit sends the INSERT and its
    COMMIT, which returns once the WAL is flushed (``new_jobs.insert``, inside that wait) → the caller
    sends the message to Redis (``send_now``) → the worker's consumer wakes, hands the job to a thread,
    which asks its loop to write ``started`` with the time it asked (``started_at``). The first three
    are timed here around those calls (wrapped for the idle part only); the last is ``started_at`` −
    the wall clock when ``send_now`` returned (one machine, one clock)."""

    samples: list[dict[str, float]] = field(default_factory=list)
    on: bool = False
    _current: dict[str, float] = field(default_factory=dict)

    def wrap(self, runtime: Any) -> None:
        standalone = runtime.queue.standalone
        run, insert, send_now = standalone.loop.run, standalone.new_jobs.insert, standalone.sender.send_now

        def timed_run(coroutine: Any, *args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return run(coroutine, *args, **kwargs)
            finally:
                self._note("row (caller's wait)", begin)

        async def timed_insert(job: Any) -> None:
            begin = time.perf_counter()
            try:
                await insert(job)
            finally:
                self._note("INSERT + COMMIT (on the loop)", begin)

        def timed_send(jobs: Any) -> int:
            begin = time.perf_counter()
            try:
                sent: int = send_now(jobs)
                return sent
            finally:
                self._note("message to Redis", begin)
                if self.on:
                    self._current["sent_at"] = time.time()

        standalone.loop.run = timed_run
        standalone.new_jobs.insert = timed_insert
        standalone.sender.send_now = timed_send

    def _note(self, step: str, begin: float) -> None:
        if self.on:
            self._current[step] = (time.perf_counter() - begin) * 1000

    def delay(self, call: Callable[[], str]) -> str:
        """One timed `.delay()`; ``finish`` adds the worker's part once the job's record has it."""
        self._current = {}
        begin = time.perf_counter()
        job_id = call()
        self._current["the whole .delay() call"] = (time.perf_counter() - begin) * 1000
        return job_id

    def finish(self, started_at_epoch: float, latency_ms: float) -> None:
        sample = dict(self._current)
        sample["thread hand-off (caller's wait − INSERT + COMMIT)"] = (
            sample["row (caller's wait)"] - sample["INSERT + COMMIT (on the loop)"]
        )
        sample["Redis → worker → `started` stamped"] = (started_at_epoch - sample.pop("sent_at")) * 1000
        sample["enqueue→start (the figure)"] = latency_ms
        self.samples.append(sample)

    def report(self) -> None:
        if not self.samples:
            return
        figure = "enqueue→start (the figure)"
        worst = sorted(self.samples, key=lambda sample: sample[figure])[-3:]
        print("\nOurs, idle `.delay()` step by step (ms; the three slowest samples by enqueue→start):\n")
        slowest = " | ".join(f"slow #{n}" for n in range(1, len(worst) + 1))
        print(f"| step | p50 | p99 | max | {slowest} |")
        print("|---|---|---|---|" + "---|" * len(worst))
        for step in self.samples[0]:
            values = [sample[step] for sample in self.samples]
            p50, p99 = _percentiles(values)
            slow = " | ".join(f"{sample[step]:.1f}" for sample in reversed(worst))
            print(f"| {step} | {p50:.1f} | {p99:.1f} | {max(values):.1f} | {slow} |")


def ours(
    database_url: str, redis_url: str, options: argparse.Namespace, servers: dict[str, int]
) -> dict[str, Any]:
    from bench.noop_jobs import noop_job

    env = _env(database_url, redis_url)
    runtime = build_job_runtime(Settings(database_url=database_url, redis_url=redis_url), job_manager)
    job_manager.use(runtime.queue)
    cli = [sys.executable, "-m", "entrypoints.cli"]
    worker_args = ["worker", "-p", "1", "-t", str(options.threads), "--import", "bench.noop_jobs"]
    worker = _start([*cli, *worker_args], env)
    scheduler = _start([*cli, "scheduler", "--import", "bench.noop_jobs"], env)
    probe = Probe(database_url)
    finished = "SELECT count(*) FROM jobs WHERE status = 'finished'"
    meter = CpuMeter({"worker": worker.pid, "bench (callers)": os.getpid(), **servers})
    timings = DelayTimings()
    timings.wrap(runtime)
    try:
        noop_job.delay()
        _until(lambda: probe.value(finished) >= 1, 0.05)
        _say(f"ours: idle latency, {options.latency} jobs one at a time")
        timings.on = True
        latencies = []
        for _ in range(options.latency):
            job_id = timings.delay(noop_job.delay)
            latency, started_at = _idle_start(probe, job_id)
            timings.finish(started_at, latency)
            latencies.append(latency)
        timings.on = False
        probe.value("TRUNCATE jobs CASCADE")
        _say(f"ours: throughput, {options.jobs:,} jobs")
        before, begin = meter.seconds(), time.perf_counter()
        with ThreadPoolExecutor(CALLERS) as pool:
            ids = list(pool.map(lambda _: noop_job.delay(), range(options.jobs)))
        _until(lambda: _finished(probe, ids[-1]), 0.005)  # jobs run about in order: a cheap poll first
        _until(lambda: probe.value(finished) >= options.jobs, 0.005)
        elapsed = time.perf_counter() - begin
        cpu = _per_job(before, meter.seconds(), options.jobs)
        _say(f"ours: {options.delayed:,} delayed jobs due at the same second")
        lateness = _delayed_lateness(probe, noop_job, options.delayed)
    finally:
        probe.close()
        _stop(scheduler)
        _stop(worker)
        runtime.close()
    p50, p99 = _percentiles(latencies)
    return {
        "throughput": options.jobs / elapsed,
        "p50": p50,
        "p99": p99,
        "cpu": cpu,
        "queued_late": _percentiles(lateness[0]),  # claimed and sent to Redis, after due
        "started_late": _percentiles(lateness[1]),  # started by the worker, after due
        "timings": timings,
    }


def _finished(probe: Probe, job_id: str) -> bool:
    return bool(probe.value("SELECT status = 'finished' FROM jobs WHERE id = $1", job_id))


def _idle_start(probe: Probe, job_id: str) -> tuple[float, float]:
    """Wait until the job has started (and finished: the next one then meets an idle worker); its
    enqueue→start in ms and its ``started_at`` (epoch seconds)."""
    query = "SELECT extract(epoch FROM started_at - created_at) AS latency,"
    query += " extract(epoch FROM started_at) AS started FROM jobs WHERE id = $1 AND status = 'finished'"
    while not (rows := probe.rows(query, job_id)):
        time.sleep(0.002)
    time.sleep(0.05)
    return float(rows[0]["latency"]) * 1000, float(rows[0]["started"])


def _delayed_lateness(probe: Probe, noop_job: Any, count: int) -> tuple[list[float], list[float]]:
    probe.value("TRUNCATE jobs CASCADE")
    due = (datetime.now(UTC) + timedelta(seconds=20)).replace(microsecond=0)
    with ThreadPoolExecutor(CALLERS) as pool:
        list(pool.map(lambda _: noop_job.delay_at(due), range(count)))
    _until(lambda: probe.value("SELECT count(*) FROM jobs WHERE status = 'finished'") >= count, 0.1)
    rows = probe.rows(
        "SELECT extract(epoch FROM queued_at - scheduled_for) AS queued,"
        " extract(epoch FROM started_at - scheduled_for) AS started FROM jobs"
    )
    return [float(row["queued"]) * 1000 for row in rows], [float(row["started"]) * 1000 for row in rows]


# --- RQ --------------------------------------------------------------------------------------


def rq(redis_url: str, options: argparse.Namespace, servers: dict[str, int]) -> dict[str, Any]:
    from rq import Queue
    from rq.job import Job

    from bench.rq_jobs import noop

    connection = Redis.from_url(redis_url)
    connection.flushdb()
    queue = Queue("bench", connection=connection)
    worker = _start(
        [sys.executable, "-m", "rq.cli", "worker", "bench", "--url", redis_url, "-q"], dict(os.environ)
    )
    meter = CpuMeter({"worker": worker.pid, "bench (callers)": os.getpid(), **servers})
    try:
        _wait_rq(queue.enqueue(noop, result_ttl=RQ_RESULT_TTL))
        _say(f"RQ: idle latency, {options.latency} jobs one at a time")
        latencies = []
        for _ in range(options.latency):
            job = queue.enqueue(noop, result_ttl=RQ_RESULT_TTL)
            _wait_rq(job)
            fetched = Job.fetch(job.id, connection=connection)
            latencies.append((fetched.started_at - fetched.enqueued_at).total_seconds() * 1000)  # type: ignore[operator]
            time.sleep(0.05)
        done = queue.finished_job_registry.count
        _say(f"RQ: throughput, {options.rq_jobs:,} jobs (its forking worker runs one at a time)")
        before, begin = meter.seconds(), time.perf_counter()
        with ThreadPoolExecutor(CALLERS) as pool:  # the same eight callers as ours
            list(pool.map(lambda _: queue.enqueue(noop, result_ttl=RQ_RESULT_TTL), range(options.rq_jobs)))
        _until(lambda: queue.finished_job_registry.count >= done + options.rq_jobs, 0.1)
        elapsed = time.perf_counter() - begin
        cpu = _per_job(before, meter.seconds(), options.rq_jobs)
    finally:
        _stop(worker)
    p50, p99 = _percentiles(latencies)
    return {"throughput": options.rq_jobs / elapsed, "p50": p50, "p99": p99, "cpu": cpu}


def _wait_rq(job: Any) -> None:
    while True:
        job.refresh()
        if job.get_status() == "finished":
            return
        time.sleep(0.002)


# --- report ----------------------------------------------------------------------------------


def _report(options: argparse.Namespace, mine: dict[str, Any], theirs: dict[str, Any] | None) -> None:
    print(f"| stack | throughput (ours {options.jobs:,} jobs, RQ {options.rq_jobs:,}) "
          "| idle enqueue→start p50 | p99 |")  # fmt: skip
    print("|---|---|---|---|")
    rows = [(f"ours: records + outbox + Dramatiq, 1 process × {options.threads} threads", mine)]
    if theirs:
        rows.insert(0, ("RQ 2.12, `rq worker` (default forking worker)", theirs))
    for label, figures in rows:
        row = f"{figures['throughput']:,.0f} jobs/s | {figures['p50']:.1f} ms | {figures['p99']:.1f} ms"
        print(f"| {label} | {row} |")
    if theirs:
        print(f"\nours ÷ RQ throughput: {mine['throughput'] / theirs['throughput']:.1f}×")
    print("\nCPU per job during the throughput run (ms of CPU ÷ jobs):\n")
    print("| process | " + " | ".join(name for name, _ in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for process in mine["cpu"]:
        print(f"| {process} | " + " | ".join(f"{figures['cpu'][process]:.2f}" for _, figures in rows) + " |")
    queued, started = mine["queued_late"], mine["started_late"]
    print(f"\n{options.delayed:,} delayed jobs due at the same second, after their due time:\n")
    print("| step | p50 | p99 |\n|---|---|---|")
    print(f"| claimed by the scheduler and sent to Redis | {queued[0]:,.0f} ms | {queued[1]:,.0f} ms |")
    print(f"| started by the one worker | {started[0]:,.0f} ms | {started[1]:,.0f} ms |")
    mine["timings"].report()


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rq-jobs", type=int, default=10_000, help="0 skips RQ (for quick A/B runs of ours)")
    parser.add_argument("--latency", type=int, default=200)
    parser.add_argument("--delayed", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=32, help="our worker's threads")
    return parser


def run(options: argparse.Namespace) -> None:
    """Both stacks, one after the other, on one embedded Postgres and Redis; prints the tables."""
    tmp = Path(tempfile.mkdtemp(prefix="cap-bench-"))
    with (
        infrastructure.postgres_server(tmp) as server,
        infrastructure.redis_server(tmp / "redis") as redis_url,
        infrastructure.scratch_database(server) as database_url,
    ):
        upgrade(database_url)
        servers = _server_pids(tmp)
        mine = ours(database_url, redis_url, options, servers)
        Redis.from_url(redis_url).flushdb()
        theirs = rq(redis_url, options, servers) if options.rq_jobs else None
    _report(options, mine, theirs)


def main() -> None:
    run(arguments().parse_args())


if __name__ == "__main__":
    main()
