"""Attendance's jobs in a real `cap-portal worker` (on the real clock): Monday's job makes last week's
record for a center once, however often it runs, and the reminders job records one message per person in
the message log (a center's provider only once the record's month is over)."""

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
from domain.attendance.weeks import center_month_over, last_week
from domain.programme.business_time import BusinessCalendar
from entrypoints.jobs import job_manager
from entrypoints.jobs.attendance import create_weekly_attendance, send_attendance_reminders_job
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import family_body, post_ok, provider_body
from tests.infrastructure import asyncpg_dsn
from tests.job_processes import eventually, job_in, process_env, start, stop

Client = AsyncTestClient[Litestar]


@pytest.fixture
def run_worker(migrated_database_url: str, redis_url: str, redis: Redis) -> Iterator[Any]:
    env = process_env(migrated_database_url, redis_url)
    started: list[subprocess.Popen[bytes]] = []
    yield lambda: started.append(start("worker", env, "--threads", "2"))
    for process in started:
        assert stop(process) == 0


async def _fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def _result(client: Client, database_url: str, job_id: str) -> dict[str, Any]:
    row = await eventually(
        lambda: job_in(database_url, job_id, "finished", "failed"), seconds=60, what=job_id
    )
    assert row["status"] == "finished", row["error"]
    response = await client.get(f"/jobs/{job_id}/status", headers=OPERATOR)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


async def test_the_monday_job_and_the_reminders_run_in_a_worker(
    client: Client, settings: Settings, database_url: str, run_worker: Any
) -> None:
    family = await post_ok(client, "/admin/families", family_body("wk"))
    provider = await post_ok(client, "/admin/providers", provider_body("wk", type="center"))
    child_id = family["children"][0]["id"]
    linked = await client.put(f"/admin/providers/{provider['id']}/children/{child_id}", headers=OPERATOR)
    assert linked.status_code == 200, linked.text
    today = BusinessCalendar(SystemClock(), settings.business_timezone).today()
    week = last_week(today)

    run_worker()
    runtime = build_job_runtime(settings, job_manager)
    job_manager.use(runtime.queue)
    try:
        first = await _result(client, database_url, create_weekly_attendance.delay())
        assert (first["week"], first["created"], first["eligible"]) == (week.isoformat(), 1, 1)
        again = await _result(client, database_url, create_weekly_attendance.delay())
        assert (again["created"], again["already_existed"]) == (0, 1)
        records = await _fetch(database_url, "SELECT child_id, provider_id, week FROM attendance")
        assert [(str(r["child_id"]), str(r["provider_id"]), r["week"]) for r in records] == [
            (child_id, provider["id"], week)
        ]

        reminded = await _result(client, database_url, send_attendance_reminders_job.delay())
        provider_asked = center_month_over(week, today)
        assert reminded["reminded"] == (2 if provider_asked else 1)
        logged = await _fetch(
            database_url,
            "SELECT about_type, channel, recipient, batch_id FROM messages"
            " WHERE kind = 'attendance_reminder' ORDER BY id",
        )
        expected = {("family", "email", "ana.wk@x.org"), ("family", "sms", "+13035550100")}
        if provider_asked:
            expected.add(("provider", "email", "pat.wk@x.org"))
        assert {(m["about_type"], m["channel"], m["recipient"]) for m in logged} == expected
        assert {m["batch_id"] for m in logged} == {reminded["batch_id"]}
        # The same day again: nothing more is asked for.
        rerun = await _result(client, database_url, send_attendance_reminders_job.delay())
        assert (rerun["reminded"], rerun["already_reminded"]) == (0, reminded["reminded"])
        assert len(
            await _fetch(database_url, "SELECT id FROM messages WHERE kind = 'attendance_reminder'")
        ) == len(expected)
    finally:
        runtime.close()
