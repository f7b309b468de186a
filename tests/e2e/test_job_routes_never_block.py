"""The job routes never block the event loop (issue 10): they run on a loop in asyncio's debug mode,
which logs every callback that holds the loop longer than ``slow_callback_duration``, while every
Redis answer is held back for longer than that. A Redis or Postgres call made synchronously on the
loop (or a wait on a thread) would hold it for the whole delay and be logged; awaited calls are not."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from entrypoints.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.e2e.concurrency import overlapping_client
from tests.tcp_proxy import proxy_for

HEADERS = {"X-API-Key": TEST_API_KEY}
REDIS_ANSWER_DELAY = 1.0
SLOW_CALLBACK = 0.5  # well under the delay, well over any honest callback on a busy machine


async def _fail(database_url: str, job_id: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE jobs SET status = 'failed', ended_at = now() WHERE id = CAST(:id AS uuid)"),
                {"id": job_id},
            )
    finally:
        await engine.dispose()


async def test_the_job_routes_await_redis_and_postgres_on_the_loop(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with proxy_for(settings.require_redis_url()) as proxy:
        # Timeouts far above the held-back answers: this test is about the loop, not about giving up,
        # and a busy machine must not turn a 1 s answer into a 503.
        slow = replace(
            settings,
            redis_url=proxy.proxied_url(settings.require_redis_url()),
            redis_timeout_seconds=30,
            job_send_timeout_seconds=30,
        )
        async with overlapping_client(slow) as client:
            warm = await client.post("/example-job", json={}, headers=HEADERS)  # first-use costs, unwatched
            assert warm.status_code == 202
            assert (await client.get("/jobs/queue-info", headers=HEADERS)).status_code == 200

            proxy.answer_delay = REDIS_ANSWER_DELAY
            loop = asyncio.get_running_loop()
            loop.slow_callback_duration = SLOW_CALLBACK
            loop.set_debug(True)
            caplog.set_level(logging.WARNING, logger="asyncio")
            try:
                posted = await client.post("/example-job", json={}, headers=HEADERS)
                delayed = await client.post("/example-job", json={"delay_seconds": 60}, headers=HEADERS)
                job_id, later_id = posted.json()["job_id"], delayed.json()["job_id"]
                info = await client.get("/jobs/queue-info", headers=HEADERS)
                status = await client.get(f"/jobs/{job_id}/status", headers=HEADERS)
                recent = await client.get("/jobs", headers=HEADERS)
                cancel = await client.post(f"/jobs/{later_id}/cancel", headers=HEADERS)
                await _fail(settings.require_database_url(), job_id)
                retry = await client.post(f"/jobs/{job_id}/retry", headers=HEADERS)
            finally:
                loop.set_debug(False)
                proxy.answer_delay = 0.0

    assert [r.status_code for r in (posted, delayed, info, status, recent, cancel, retry)] == [
        202, 202, 200, 200, 200, 200, 200,
    ]  # fmt: skip
    assert job_id in {job["id"] for job in info.json()["jobs"]}  # the send really went through Redis
    slow_callbacks = [
        r.getMessage() for r in caplog.records if r.name == "asyncio" and "took" in r.getMessage()
    ]
    assert slow_callbacks == []
    # Nor does the web process keep a private event-loop thread for its jobs.
    assert "cap-jobs-loop" not in {thread.name for thread in threading.enumerate()}
