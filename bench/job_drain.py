"""One worker draining pre-queued no-op jobs: its rate and CPU per job, nothing else running.

    python3 -m uv run --frozen --all-extras python -m bench.job_drain --jobs 4000 --threads 8 32

For A/B runs of worker-side changes: rows and messages are written first (not measured), then a
`cap-portal worker -p 1` starts and the clock runs from its first finished job to its last, so
boot time and the callers are left out. Each thread count gets fresh rows, one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import psutil

from adapters.jobs.broker import JobBroker
from adapters.jobs.messages import job_message
from adapters.jobs.new_jobs import NewJob, NewJobWriter
from adapters.postgres.migrations import upgrade
from adapters.postgres.raw_pool import RawPool
from bench.jobs import Probe, _env, _start, _stop, _until
from tests import infrastructure

CHUNK = 500


def queue_jobs(database_url: str, redis_url: str, count: int) -> None:
    now = datetime.now(UTC)
    jobs = [NewJob(uuid4(), "bench.noop", "default", [], {}, "queued", None, now, now) for _ in range(count)]

    async def insert() -> None:
        pool = RawPool(database_url)
        writer = NewJobWriter(pool)
        for start in range(0, count, CHUNK):
            await asyncio.gather(*(writer.insert(job) for job in jobs[start : start + CHUNK]))
        await pool.close()

    asyncio.run(insert())
    broker = JobBroker(url=redis_url, middleware=[])
    for start in range(0, count, CHUNK):
        chunk = jobs[start : start + CHUNK]
        broker.send_jobs([job_message(str(j.id), j.name, j.queue, [], {}) for j in chunk])
    broker.client.close()


def drain(database_url: str, redis_url: str, count: int, threads: int) -> tuple[float, float]:
    """(jobs/s, worker CPU ms per job) from the first finished job to the last."""
    probe = Probe(database_url)
    probe.value("TRUNCATE jobs CASCADE")
    queue_jobs(database_url, redis_url, count)
    finished = "SELECT count(*) FROM jobs WHERE status = 'finished'"
    args = [sys.executable, "-m", "entrypoints.cli", "worker", "-p", "1", "-t", str(threads)]
    worker = _start([*args, "--import", "bench.noop_jobs"], _env(database_url, redis_url))
    try:
        _until(lambda: probe.value(finished) >= 1, 0.005)
        begin, cpu = time.perf_counter(), _cpu(worker.pid)
        _until(lambda: probe.value(finished) >= count, 0.01)
        elapsed, used = time.perf_counter() - begin, _cpu(worker.pid) - cpu
    finally:
        _stop(worker)
        probe.close()
    return count / elapsed, used * 1000 / count


def _cpu(pid: int) -> float:
    root = psutil.Process(pid)
    return sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=4000)
    parser.add_argument("--threads", type=int, nargs="+", default=[8, 32])
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cap-drain-"))
    with (
        infrastructure.postgres_server(tmp) as server,
        infrastructure.redis_server(tmp / "redis") as redis_url,
        infrastructure.scratch_database(server) as database_url,
    ):
        upgrade(database_url)
        print("| worker threads | drain rate | worker CPU per job |\n|---|---|---|")
        for threads in options.threads:
            rate, cpu = drain(database_url, redis_url, options.jobs, threads)
            print(f"| {threads} | {rate:,.0f} jobs/s | {cpu:.2f} ms |", flush=True)


if __name__ == "__main__":
    main()
