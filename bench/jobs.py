"""Background jobs benchmark: our stack (job records + outbox + Dramatiq) beside RQ 2.x, one run.

    python3 -m uv run --frozen --all-extras python -m bench.jobs --jobs 10000 --rq-jobs 2000

Starts embedded Postgres and Redis (or uses TEST_DATABASE_URL / TEST_REDIS_URL), one worker process
per stack (ours: `cap-portal worker -p 1 -t 8`; RQ: `rq worker`, its default forking worker), and
prints a Markdown table. Run by hand; the figures go to docs/benchmarks.md.
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
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from redis import Redis

from adapters.postgres.migrations import upgrade
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests import infrastructure
from tests.infrastructure import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[1]


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


async def _fetchval(database_url: str, query: str, *args: object) -> object:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def ours(database_url: str, redis_url: str, jobs: int, samples: int, delayed: int) -> dict[str, float]:
    from bench.noop_jobs import noop_job

    env = _env(database_url, redis_url)
    runtime = build_job_runtime(Settings(database_url=database_url, redis_url=redis_url), job_manager)
    job_manager.use(runtime.queue)
    cli = [sys.executable, "-m", "entrypoints.cli"]
    worker = _start([*cli, "worker", "-p", "1", "-t", "8", "--import", "bench.noop_jobs"], env)
    scheduler = _start([*cli, "scheduler", "--import", "bench.noop_jobs"], env)
    try:
        noop_job.delay()
        _wait_finished(database_url, 1)
        latencies = []
        for _ in range(samples):  # idle: one job at a time, each waits until the previous one started
            job_id = noop_job.delay()
            started = _wait_started(database_url, job_id)
            latencies.append(started)
            time.sleep(0.05)
        asyncio.run(_fetchval(database_url, "TRUNCATE jobs CASCADE"))
        begin = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:  # eight callers, each `.delay()` in its own transaction
            list(pool.map(lambda _: noop_job.delay(), range(jobs)))
        _wait_finished(database_url, jobs)
        elapsed = time.perf_counter() - begin
        lateness = _delayed_lateness(database_url, noop_job, delayed)
    finally:
        _stop(scheduler)
        _stop(worker)
        runtime.close()
    p50, p99 = _percentiles(latencies)
    queued_late = _percentiles(lateness[0])  # claimed and sent to Redis, after due
    started_late = _percentiles(lateness[1])  # started by the worker, after due
    return {
        "throughput": jobs / elapsed,
        "p50": p50,
        "p99": p99,
        "queued_late": queued_late,
        "started_late": started_late,
    }  # type: ignore[dict-item]


def _wait_finished(database_url: str, count: int) -> None:
    query = "SELECT count(*) FROM jobs WHERE status = 'finished'"
    while int(asyncio.run(_fetchval(database_url, query))) < count:  # type: ignore[call-overload]
        time.sleep(0.05)


def _wait_started(database_url: str, job_id: str) -> float:
    query = "SELECT extract(epoch FROM started_at - created_at) FROM jobs"
    query += " WHERE id = $1 AND started_at IS NOT NULL"
    while (value := asyncio.run(_fetchval(database_url, query, job_id))) is None:
        time.sleep(0.001)
    return float(value) * 1000  # type: ignore[arg-type]


def _delayed_lateness(database_url: str, noop_job: object, count: int) -> tuple[list[float], list[float]]:
    asyncio.run(_fetchval(database_url, "TRUNCATE jobs CASCADE"))
    due = (datetime.now(UTC) + timedelta(seconds=20)).replace(microsecond=0)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: noop_job.delay_at(due), range(count)))  # type: ignore[attr-defined]
    _wait_finished(database_url, count)

    async def lateness() -> tuple[list[float], list[float]]:
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        rows = await connection.fetch(
            "SELECT extract(epoch FROM queued_at - scheduled_for) AS queued,"
            " extract(epoch FROM started_at - scheduled_for) AS started FROM jobs"
        )
        await connection.close()
        return [float(row["queued"]) * 1000 for row in rows], [float(row["started"]) * 1000 for row in rows]

    return asyncio.run(lateness())


def rq(redis_url: str, jobs: int, samples: int) -> dict[str, float]:
    from rq import Queue
    from rq.job import Job

    from bench.noop_jobs import noop

    connection = Redis.from_url(redis_url)
    connection.flushdb()
    queue = Queue("bench", connection=connection)
    worker = _start(
        [sys.executable, "-m", "rq.cli", "worker", "bench", "--url", redis_url, "-q"], dict(os.environ)
    )
    try:
        _wait_rq(queue.enqueue(noop))
        latencies = []
        for _ in range(samples):
            job = queue.enqueue(noop)
            _wait_rq(job, started=True)
            fetched = Job.fetch(job.id, connection=connection)
            latencies.append((fetched.started_at - fetched.enqueued_at).total_seconds() * 1000)  # type: ignore[operator]
            time.sleep(0.05)
        begin = time.perf_counter()
        queued = [queue.enqueue(noop) for _ in range(jobs)]
        _wait_rq(queued[-1])
        while queue.finished_job_registry.count < jobs + samples + 1:
            time.sleep(0.05)
        elapsed = time.perf_counter() - begin
    finally:
        _stop(worker)
    p50, p99 = _percentiles(latencies)
    return {"throughput": jobs / elapsed, "p50": p50, "p99": p99}


def _wait_rq(job: object, started: bool = False) -> None:
    while True:
        job.refresh()  # type: ignore[attr-defined]
        status = job.get_status()  # type: ignore[attr-defined]
        if status == "finished" or (started and job.started_at is not None):  # type: ignore[attr-defined]
            return
        time.sleep(0.001)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rq-jobs", type=int, default=10_000, help="RQ is slow; fewer keeps the run short")
    parser.add_argument("--latency", type=int, default=200)
    parser.add_argument("--delayed", type=int, default=1000)
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cap-bench-"))
    with (
        infrastructure.postgres_server(tmp) as server,
        infrastructure.redis_server(tmp / "redis") as redis_url,
        infrastructure.scratch_database(server) as database_url,
    ):
        upgrade(database_url)
        mine = ours(database_url, redis_url, options.jobs, options.latency, options.delayed)
        Redis.from_url(redis_url).flushdb()
        theirs = rq(redis_url, options.rq_jobs, options.latency)
    print(
        f"| stack | throughput (ours {options.jobs:,} jobs, RQ {options.rq_jobs:,}) "
        "| idle enqueue→start p50 | p99 |"
    )
    print("|---|---|---|---|")
    for label, figures in (
        ("RQ 2.12, `rq worker` (forking)", theirs),
        ("ours: records + outbox + Dramatiq, 1 process × 8 threads", mine),
    ):
        row = f"{figures['throughput']:,.0f} jobs/s | {figures['p50']:.1f} ms | {figures['p99']:.1f} ms"
        print(f"| {label} | {row} |")
    print()
    queued, started = mine["queued_late"], mine["started_late"]
    print(f"{options.delayed:,} delayed jobs due at the same second, after their due time:")
    print(f"- queued (claimed and sent to Redis): p50 {queued[0]:.0f} ms, p99 {queued[1]:.0f} ms")
    print(f"- started by the one worker: p50 {started[0]:.0f} ms, p99 {started[1]:.0f} ms")


if __name__ == "__main__":
    main()
