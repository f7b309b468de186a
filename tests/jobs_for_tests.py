"""Jobs the end-to-end tests run in real worker processes (loaded with ``--import``).

They count their runs in Redis (``runs:<key>``) so a test can tell how often a job really ran.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from redis import Redis

from entrypoints.jobs import job_manager


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
