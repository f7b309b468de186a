"""Real ``cap-portal worker`` / ``cap-portal scheduler`` processes for the end-to-end job tests,
and event-driven waits on the job records (poll with a generous deadline, never a fixed sleep)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from adapters.jobs.leader import LOCK_KEY
from tests.conftest import TEST_API_KEY
from tests.infrastructure import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[1]
JOB_MODULE = "tests.jobs_for_tests"


def process_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "APP_ENV": "testing",
        "API_KEY": TEST_API_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        "JOB_REDELIVERY_SECONDS": "3",
        "SCHEDULER_RECONCILE_SECONDS": "5",
        "JOB_RELAY_AFTER_SECONDS": "1",
        **extra,
    }


def start(kind: str, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", kind, "--import", JOB_MODULE, *args],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    """SIGTERM to the main process only (as compose and `cap-portal dev` do: it stops its own
    children); SIGKILL to the whole group, so no worker process survives."""
    if process.poll() is None:
        if sig == signal.SIGKILL:
            os.killpg(process.pid, sig)
        else:
            process.send_signal(sig)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait()


async def eventually(check: Callable[[], Awaitable[Any]], *, seconds: float = 30, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.02)


async def job_row(database_url: str, job_id: str) -> dict[str, Any] | None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        row = await connection.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
    finally:
        await connection.close()
    return dict(row) if row else None


async def job_in(database_url: str, job_id: str, *statuses: str) -> dict[str, Any] | None:
    row = await job_row(database_url, job_id)
    return row if row and row["status"] in statuses else None


async def scheduler_leads(database_url: str) -> bool:
    """The scheduler's own lock is held in this test's database. pg_locks lists the whole server's
    locks: any other advisory lock (another suite's scheduler on a shared Postgres, a transaction lock)
    must not count, or a test would stop a scheduler that is still starting up."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = $1 AND objid = $2 AND objsubid = 1",  # a bigint key: its two halves
            LOCK_KEY >> 32,
            LOCK_KEY & 0xFFFFFFFF,
        )
    finally:
        await connection.close()
    return bool(count)
