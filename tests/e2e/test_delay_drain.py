"""Shutting the web process down waits for the `.delay()` calls it is still writing (issue 10): a
`.delay()` on the server's loop outside a unit of work returns its id first and writes the row and
sends the message in a task, so the app's shutdown must not close Redis and Postgres under it. No
worker here: the messages must still be in Redis afterwards."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from litestar import post
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests import jobs_for_tests as test_jobs
from tests.job_processes import job_row
from tests.tcp_proxy import proxy_for

REDIS_ANSWER_DELAY = 0.5  # each send is still waiting on Redis when shutdown begins
JOBS = 5


@post("/test/delay-many", status_code=200)
async def delay_many() -> dict[str, Any]:
    return {"job_ids": [test_jobs.count_run.delay(f"drained-{i}") for i in range(JOBS)]}


@pytest.mark.usefixtures("redis")
async def test_shutdown_waits_for_the_jobs_still_being_written(
    settings: Settings, database_url: str, redis: Redis
) -> None:
    with proxy_for(settings.require_redis_url()) as proxy:
        slow = replace(
            settings,
            redis_url=proxy.proxied_url(settings.require_redis_url()),
            redis_timeout_seconds=30,
            job_send_timeout_seconds=30,
        )
        app = create_app(slow, configure_process=False, extra_routes=[delay_many])
        async with AsyncTestClient(app) as client:
            proxy.answer_delay = REDIS_ANSWER_DELAY
            response = await client.post("/test/delay-many")
            ids = response.json()["job_ids"]
            pending_at_shutdown = app.state.services.jobs.home.pending
        # The client has shut the app down here.
        assert app.state.services.jobs.home.pending == 0

    assert response.status_code == 200
    assert pending_at_shutdown > 0, "nothing was still on its way: the test proves nothing"
    for job_id in ids:
        row = await job_row(database_url, job_id)
        assert row is not None
        assert row["status"] == "queued"
        assert await redis.hexists("dramatiq:default.msgs", job_id), job_id
    assert await redis.llen("dramatiq:default") == JOBS
