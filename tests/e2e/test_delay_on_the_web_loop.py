"""`.delay()` in the web process outside a unit of work writes on the server's own event loop, with no
event-loop thread of its own (issue 10), and still runs each job exactly once in a real worker; a
rolled-back unit of work still never runs its job."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

import asyncpg
import pytest
from litestar import Litestar, get, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from entrypoints.http.app import create_app
from entrypoints.http.services import WebServices
from entrypoints.settings import Settings
from tests import jobs_for_tests as test_jobs
from tests.infrastructure import asyncpg_dsn
from tests.job_processes import eventually, job_in, job_row, process_env, start, stop

PRIVATE_LOOP_THREAD = "cap-jobs-loop"  # the name BackgroundLoop threads get (entrypoints/jobs/runtime.py)


def _services(state: State) -> WebServices:
    services: WebServices = state.services
    return services


@get("/test/delay-on-the-loop/{key:str}")
async def delay_on_the_loop(key: FromPath[str]) -> dict[str, Any]:
    return {"job_id": test_jobs.count_run.delay(key), "thread": threading.current_thread().name}


@get("/test/delay-in-a-thread/{key:str}", sync_to_thread=True)
def delay_in_a_thread(key: FromPath[str]) -> dict[str, Any]:
    return {"job_id": test_jobs.count_run.delay(key), "thread": threading.current_thread().name}


@post("/test/adelay/{key:str}", status_code=200)
async def adelay(state: State, key: FromPath[str]) -> dict[str, Any]:
    job_id = await test_jobs.count_run.adelay(key)
    # Committed before `adelay` returns: this process's own pool already sees the row.
    rows = await _services(state).raw_pool.fetch("SELECT status FROM jobs WHERE id = $1::uuid", job_id)
    return {"job_id": job_id, "status": rows[0]["status"] if rows else None}


@post("/test/rolled-back/{key:str}", status_code=200)
async def rolled_back(state: State, key: FromPath[str]) -> dict[str, Any]:
    async with _services(state).unit_of_work() as uow:
        plain = test_jobs.count_run.delay(f"{key}-plain")
        awaited = await test_jobs.count_run.adelay(f"{key}-awaited")
        await uow.rollback()
    return {"job_ids": [plain, awaited]}


ROUTES = [delay_on_the_loop, delay_in_a_thread, adelay, rolled_back]


@pytest.fixture(scope="module")
def worker(migrated_database_url: str, redis_url: str) -> Iterator[None]:
    process = start("worker", process_env(migrated_database_url, redis_url), "--threads", "4")
    yield
    assert stop(process) == 0


@pytest.fixture
async def app_client(
    settings: Settings, redis: Redis, worker: None
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(settings, configure_process=False, extra_routes=ROUTES)
    async with AsyncTestClient(app) as client:
        yield client


def _private_loop_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == PRIVATE_LOOP_THREAD}


async def _runs(redis: Redis, key: str) -> int:
    return int(await redis.get(f"runs:{key}") or 0)


async def test_delay_outside_a_unit_of_work_runs_once_with_no_thread_of_its_own(
    app_client: AsyncTestClient[Litestar], database_url: str, redis: Redis
) -> None:
    before = _private_loop_threads()  # another test's runtime may still be closing its own
    services = _services(app_client.app.state)

    on_loop = (await app_client.get("/test/delay-on-the-loop/on-loop")).json()
    in_thread = (await app_client.get("/test/delay-in-a-thread/in-thread")).json()
    awaited = (await app_client.post("/test/adelay/awaited")).json()

    assert on_loop["thread"] != in_thread["thread"]  # really one on the loop, one on a worker thread
    assert awaited["status"] == "queued"  # the row was committed before adelay returned
    for key, body in (("on-loop", on_loop), ("in-thread", in_thread), ("awaited", awaited)):
        row = await eventually(partial(job_in, database_url, body["job_id"], "finished"), what=key)
        assert row["attempts"] == 1
        assert await _runs(redis, key) == 1, key
    assert _private_loop_threads() <= before, "a private event-loop thread was started in the web process"
    assert not services.jobs.standalone.loop.started


async def test_a_rolled_back_unit_of_work_never_runs_its_jobs(
    app_client: AsyncTestClient[Litestar], database_url: str, redis: Redis
) -> None:
    ids = (await app_client.post("/test/rolled-back/gone")).json()["job_ids"]
    # A job asked for after them, on the same worker: once it has finished, anything sent before it
    # has been taken from Redis too.
    later = (await app_client.post("/test/adelay/after")).json()["job_id"]
    await eventually(lambda: job_in(database_url, later, "finished"), what="the later job")

    assert [await job_row(database_url, job_id) for job_id in ids] == [None, None]
    assert (await _runs(redis, "gone-plain"), await _runs(redis, "gone-awaited")) == (0, 0)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        assert await connection.fetchval("SELECT count(*) FROM jobs") == 1
    finally:
        await connection.close()
