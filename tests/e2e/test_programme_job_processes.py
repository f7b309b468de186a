"""The programme's jobs in a real `cap-portal worker`: the monthly allocation run (its summary read
through the job API, idempotent), the allocation events it produces, and onboarding's directory job
making good a Clerk outage once Clerk answers again (seen in the fake Clerk's requests)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from adapters.clock import SystemClock
from domain.programme.business_time import BusinessCalendar
from entrypoints.jobs import job_manager
from entrypoints.jobs.programme import create_monthly_allocations
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import family_body, post_ok, provider_body
from tests.fake_clerk import SECRET_KEY, FakeClerk
from tests.infrastructure import asyncpg_dsn
from tests.job_processes import eventually, job_in, process_env, start, stop

Client = AsyncTestClient[Litestar]


@pytest.fixture
def worker_env(migrated_database_url: str, redis_url: str, fake_clerk: FakeClerk) -> dict[str, str]:
    return process_env(
        migrated_database_url, redis_url, CLERK_SECRET_KEY=SECRET_KEY, CLERK_API_URL=fake_clerk.api_url
    )


@pytest.fixture
def run_worker(worker_env: dict[str, str], redis: Redis) -> Iterator[Any]:
    """Starts a worker when the test says so (after it has set the scene), stops it afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def run() -> None:
        started.append(start("worker", worker_env, "--threads", "2"))

    yield run
    for process in started:
        assert stop(process) == 0


async def _status(client: Client, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/jobs/{job_id}/status", headers=OPERATOR)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _finished(database_url: str, job_id: str) -> dict[str, Any]:
    row = await eventually(
        lambda: job_in(database_url, job_id, "finished", "failed"), seconds=60, what=job_id
    )
    assert row["status"] == "finished", row["error"]
    return dict(row)


async def _fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def _job_ids(database_url: str, name: str) -> list[str]:
    rows = await _fetch(database_url, "SELECT id FROM jobs WHERE name = $1 ORDER BY created_at", name)
    return [str(row["id"]) for row in rows]


async def _job_ids_once(database_url: str, name: str, count: int) -> list[str] | None:
    ids = await _job_ids(database_url, name)
    return ids if len(ids) == count else None


async def test_the_monthly_allocation_job_runs_in_a_worker_once_and_reports_its_summary(
    client: Client, settings: Settings, database_url: str, run_worker: Any
) -> None:
    family = await post_ok(client, "/admin/families", family_body("monthly", children=2))
    run_worker()
    runtime = build_job_runtime(settings, job_manager)
    job_manager.use(runtime.queue)
    try:
        # The worker runs on the real clock, so "next month" is the real next business month.
        next_month = BusinessCalendar(SystemClock(), settings.business_timezone).next_month()
        first = create_monthly_allocations.delay()
        await _finished(database_url, first)
        status = await _status(client, first)
        assert status["func_name"] == "programme.create_monthly_allocations"
        assert status["result"] == {
            "month": next_month.strftime("%Y-%m"),
            "dry_run": False,
            "created": 2,
            "skipped": 0,
            "skipped_by_reason": {},
            "failed": [],
        }
        allocated = await _fetch(database_url, "SELECT child_id, month FROM month_allocations")
        assert sorted((str(r["child_id"]), r["month"]) for r in allocated) == sorted(
            (child["id"], next_month) for child in family["children"]
        )

        # Each new allocation's event ran as a job, and asked money to fund the allocation.
        event_jobs = await eventually(
            lambda: _job_ids_once(database_url, "programme.allocation_created", 2), what="two event jobs"
        )
        for job_id in event_jobs:
            await _finished(database_url, job_id)
            subscribers = (await _status(client, job_id))["result"]["subscribers"]
            assert [s["job"] for s in subscribers] == ["money.fund_allocation"]

        second = create_monthly_allocations.delay()
        await _finished(database_url, second)
        result = (await _status(client, second))["result"]
        assert (result["created"], result["skipped"], result["failed"]) == (0, 2, [])
        assert await _job_ids(database_url, "programme.allocation_created") == event_jobs
    finally:
        runtime.close()


async def test_a_clerk_outage_at_onboarding_is_made_good_by_the_directory_job(
    client: Client, database_url: str, fake_clerk: FakeClerk, run_worker: Any
) -> None:
    provider = await post_ok(client, "/admin/providers", provider_body("retry"))
    fake_clerk.add_user("user_pat", "pat@x.org")
    fake_clerk.down = True
    body = {"clerk_user_id": "user_pat", "provider_id": provider["id"]}

    done = await post_ok(client, "/provider/onboard", body, 200)

    assert done["directory_synced"] is False
    assert set(done) >= {
        "message",
        "clerk_user_id",
        "roles",
        "family_id",
        "provider_id",
        "allocations_created",
    }
    job_id = done["directory_sync_job_id"]
    queued = await _status(client, job_id)
    assert (queued["status"], queued["func_name"], queued["args"]) == (
        "queued",
        "identity.sync_directory",
        ["user_pat"],
    )
    assert fake_clerk.users["user_pat"]["public_metadata"] == {}

    fake_clerk.down = False
    run_worker()
    await _finished(database_url, job_id)

    expected = {"types": ["provider"], "family_id": None, "provider_id": provider["id"]}
    assert ("PATCH", "/v1/users/user_pat/metadata", {"public_metadata": expected}) in fake_clerk.requests
    assert fake_clerk.users["user_pat"]["public_metadata"] == {
        "types": ["provider"],
        "provider_id": provider["id"],
    }
    assert (await _status(client, job_id))["result"] == {
        "clerk_user_id": "user_pat",
        "written": True,
        "reason": None,
        "metadata": expected,
    }

    # A refused onboarding (linked to another provider) asks for no directory job.
    other = await post_ok(client, "/admin/providers", provider_body("other"))
    clash = await client.post(
        "/provider/onboard", json={"clerk_user_id": "user_pat", "provider_id": other["id"]}, headers=OPERATOR
    )
    assert clash.status_code == 409
    assert await _job_ids(database_url, "identity.sync_directory") == [job_id]
