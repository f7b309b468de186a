"""The console's jobs page: failed and scheduled jobs a page at a time and as CSV, a retry and a cancel
through the job API's ``JobAdmin``, each on the audit log; refusals (not failed, already canceled) are
readable pages. Jobs are made by ``.delay`` and, for a failed one, the record is put in the state a worker
leaves it in (tests/e2e/test_job_processes.py runs the real worker's failure and retry)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import jobs_for_tests as test_jobs
from tests.conftest import TEST_API_KEY
from tests.e2e.console_support import csrf, csv_rows, readable_refusal, sign_in_staff
from tests.e2e.programme_support import Client
from tests.tokens import TokenMinter

pytestmark = pytest.mark.usefixtures("redis")  # each test starts with empty queues


async def _failed(sessions: async_sessionmaker[AsyncSession], key: str) -> str:
    """A job as a worker leaves it after its last attempt."""
    job_id = test_jobs.count_run.delay(key)
    async with sessions.begin() as session:
        await session.execute(
            text(
                "UPDATE jobs SET status = 'failed', attempts = 3, ended_at = now(),"
                " error = 'Traceback ...\nRuntimeError: the gateway was down' WHERE id = :id"
            ),
            {"id": job_id},
        )
    return job_id


async def _status(sessions: async_sessionmaker[AsyncSession], job_id: str) -> tuple[str, int]:
    async with sessions() as session:
        row = (
            await session.execute(text("SELECT status, attempts FROM jobs WHERE id = :id"), {"id": job_id})
        ).one()
    return row.status, row.attempts


async def test_staff_retry_a_failed_job_and_it_is_on_the_audit_log(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    job_id = await _failed(sessions, "retried")
    scheduled = test_jobs.count_run.delay_in(timedelta(hours=1), "later")

    page = await client.get("/console/jobs")  # failed jobs first
    assert page.status_code == 200, page.text
    assert f"/console/jobs/{job_id}/retry" in page.text
    assert "RuntimeError: the gateway was down" in page.text
    assert scheduled not in page.text
    [row] = csv_rows((await client.get("/console/jobs.csv")).text)
    assert (row["job_id"], row["status"], row["attempts"], row["name"]) == (
        job_id,
        "failed",
        "3",
        "tests.count_run",
    )

    form = {"_csrf_token": await csrf(client), "status": "failed"}
    retried = await client.post(f"/console/jobs/{job_id}/retry", data=form)
    assert retried.status_code == 200, retried.text
    assert "was retried; it is queued now (on the audit log)" in retried.text
    assert await _status(sessions, job_id) == ("queued", 0)
    waiting = (await client.get("/jobs/queue-info", headers={"X-API-Key": TEST_API_KEY})).json()
    assert job_id in [job["id"] for job in waiting["jobs"]]  # its message is on the queue again

    again = await client.post(f"/console/jobs/{job_id}/retry", data=form)
    assert again.status_code == 400
    assert f"The job was not retried: Job {job_id} is queued; only a failed job can be retried." in again.text
    assert readable_refusal(again.text)

    audit = await client.get("/console/audit", params={"record_type": "job", "record_id": job_id})
    assert audit.text.count("job.retried") == 1
    assert "console:user_staff" in audit.text
    assert "failed → queued" in audit.text
    assert "3 → 0" in audit.text


async def test_staff_cancel_a_scheduled_job_once(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    job_id = test_jobs.count_run.delay_in(timedelta(hours=1), "canceled")
    listed = await client.get("/console/jobs", params={"status": "scheduled"})
    assert f"/console/jobs/{job_id}/cancel" in listed.text
    assert "due " in listed.text

    form = {"_csrf_token": await csrf(client), "status": "scheduled"}
    canceled = await client.post(f"/console/jobs/{job_id}/cancel", data=form)
    assert canceled.status_code == 200, canceled.text
    assert "was canceled; it is canceled now" in canceled.text
    assert (await _status(sessions, job_id))[0] == "canceled"
    again = await client.post(f"/console/jobs/{job_id}/cancel", data=form)
    assert again.status_code == 400
    assert "The job was not canceled: " in again.text
    assert "only a scheduled or queued job can be canceled" in again.text
    assert readable_refusal(again.text)
    unknown = await client.post(f"/console/jobs/{uuid.uuid4()}/cancel", data=form)
    assert (unknown.status_code, "The job was not canceled: No job with id" in unknown.text) == (400, True)

    [entry] = csv_rows((await client.get("/console/audit.csv", params={"record_id": job_id})).text)
    assert (entry["actor"], entry["action"], entry["record_type"]) == (
        "console:user_staff",
        "job.canceled",
        "job",
    )
    assert entry["changed"] == "status"
    everything = await client.get("/console/jobs", params={"status": "all"})
    assert job_id in everything.text


async def test_the_jobs_list_goes_a_page_at_a_time(client: Client, minter: TokenMinter) -> None:
    await sign_in_staff(client, minter)
    for n in range(26):
        test_jobs.count_run.delay_in(timedelta(hours=1), f"many{n}")
    first = await client.get("/console/jobs", params={"status": "scheduled", "name": "tests.count_run"})
    assert first.text.count("/cancel") == 25
    assert 'rel="next"' in first.text
    second_link = "/console/jobs?status=scheduled&amp;name=tests.count_run&amp;page=2"
    assert second_link in first.text
    second = await client.get(
        "/console/jobs", params={"status": "scheduled", "name": "tests.count_run", "page": 2}
    )
    assert second.text.count("/cancel") == 1
    assert 'rel="next"' not in second.text
    assert len(csv_rows((await client.get("/console/jobs.csv", params={"status": "scheduled"})).text)) == 26
    none = await client.get("/console/jobs", params={"name": "no.such.job"})
    assert "No failed jobs." in none.text
