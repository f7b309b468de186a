"""Jobs the end-to-end tests run in real worker processes (loaded with ``--import``).

They count their runs in Redis (``runs:<key>``) so a test can tell how often a job really ran.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

import asyncpg
from redis import Redis

from entrypoints.jobs import job_manager
from tests.infrastructure import asyncpg_dsn


def _redis() -> Redis:
    return Redis.from_url(os.environ["REDIS_URL"])


@job_manager.job(name="tests.add")
def add(a: int, b: int) -> int:
    return a + b


@job_manager.job(name="tests.async_greet")
async def async_greet(name: str) -> str:
    return f"hello {name}"


@job_manager.job(name="tests.count_run")
def count_run(key: str) -> int:
    return int(_redis().incr(f"runs:{key}"))


@job_manager.job(name="tests.fail_until_released", max_retries=1, min_backoff=timedelta(milliseconds=50))
def fail_until_released(key: str) -> str:
    client = _redis()
    client.incr(f"runs:{key}")
    if not client.exists(f"release:{key}"):
        raise RuntimeError(f"{key} is not released yet")
    return "released"


@job_manager.job(name="tests.block_until_released", max_retries=0)
def block_until_released(key: str) -> str:
    """Counts the run, then waits (up to a minute) for the test to release it."""
    client = _redis()
    client.incr(f"runs:{key}")
    client.rpush(f"started:{key}", 1)
    # A flag, not a token to pop: a killed run must not be able to swallow the release.
    deadline = time.monotonic() + 60
    while not client.exists(f"release:{key}"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{key} was never released")
        time.sleep(0.02)
    return "released"


EFFECTS_TABLE = "CREATE TABLE IF NOT EXISTS test_job_effects (key text NOT NULL, job_attempt int NOT NULL)"


@job_manager.job(name="tests.record_effect_when_released", max_retries=0)
async def record_effect_when_released(key: str) -> str:
    """Waits (up to two minutes) for ``release:<key>``, then inserts one row into ``test_job_effects``:
    the job's effect, which a test counts. A run killed while waiting has had no effect yet."""
    from redis.asyncio import Redis as AsyncRedis

    client = AsyncRedis.from_url(os.environ["REDIS_URL"])
    try:
        await client.rpush(f"started:{key}", 1)
        deadline = time.monotonic() + 120
        while not await client.exists(f"release:{key}"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{key} was never released")
            await asyncio.sleep(0.02)
        runs = int(await client.incr(f"runs:{key}"))
    finally:
        await client.aclose()
    connection = await asyncpg.connect(asyncpg_dsn(os.environ["DATABASE_URL"]))
    try:
        await connection.execute("INSERT INTO test_job_effects (key, job_attempt) VALUES ($1, $2)", key, runs)
    finally:
        await connection.close()
    return key
