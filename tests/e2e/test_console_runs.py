"""The console's runs: staff start a reminder run now and follow it, with a real `cap-portal worker` and
a real local SMTP server (texts fail: no SMS provider is set, so the batch shows both counts). Starting
writes ``run.started`` once, in the job's transaction; the run's page shows the job's status, then its
batch's counts, and refreshes itself only until the run is done; an unknown kind, a job of another
kind and a form without the CSRF token are refused in words, writing nothing."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.staff_runs import RUN_KINDS
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.browser import chromium, served
from tests.e2e.console_support import csrf, csv_rows, readable_refusal, sign_in_staff
from tests.e2e.identity_support import create_account
from tests.e2e.programme_support import Client, family_body, post_ok
from tests.e2e.test_console_browser import WAIT_MS, _dev_settings, _shot, _sign_in
from tests.fake_smtp import FakeSmtp
from tests.job_processes import eventually
from tests.tokens import TokenMinter

pytestmark = pytest.mark.usefixtures("redis")  # each test starts with empty queues
REFRESH = '<meta http-equiv="refresh" content="2">'
RUN_PAGE = re.compile(r"^/console/runs/invite-reminders/([0-9a-f-]{36})$")


async def _rows(sessions: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.execute(text(sql), params)).all())


async def _run_jobs(sessions: async_sessionmaker[AsyncSession]) -> list[Any]:
    """The jobs of any run kind (signing staff in asks for a directory sync job of its own)."""
    names = [kind.job_name for kind in RUN_KINDS]
    return await _rows(sessions, "SELECT id FROM jobs WHERE name = ANY(:names)", names=names)


async def _start(client: Client, kind: str, **form: str) -> Any:
    return await client.post(f"/console/runs/{kind}", data=form, follow_redirects=False)


async def test_staff_start_invite_reminders_and_follow_the_run_until_its_messages_are_sent(
    client: Client,
    minter: TokenMinter,
    sessions: async_sessionmaker[AsyncSession],
    smtp: FakeSmtp,
    console_worker: Any,
) -> None:
    for tag in ("r1", "r2"):  # approved children, no provider, no invitation: both are reminded
        await post_ok(client, "/admin/families", family_body(tag))
    await sign_in_staff(client, minter)
    listed = await client.get("/console/runs")
    assert listed.status_code == 200, listed.text
    assert 'action="/console/runs/invite-reminders"' in listed.text
    assert "No runs started from the console yet." in listed.text

    started = await _start(client, "invite-reminders", _csrf_token=await csrf(client))
    assert started.status_code == 303, started.text
    found = RUN_PAGE.match(started.headers["location"])
    assert found, started.headers["location"]
    job_id = found.group(1)

    # No worker yet: the run is queued, and its page says so and will look again.
    waiting = await client.get(started.headers["location"])
    assert waiting.status_code == 200, waiting.text
    assert 'id="job-status">queued' in waiting.text
    assert REFRESH in waiting.text

    console_worker()

    async def done() -> str | None:
        page = await client.get(f"/console/runs/invite-reminders/{job_id}")
        assert page.status_code == 200, page.text
        return None if REFRESH in page.text else page.text

    finished = await eventually(done, seconds=90, what="the run's page to stop refreshing")
    [(batch_id,)] = await _rows(sessions, "SELECT result->>'batch_id' FROM jobs WHERE id = :id", id=job_id)
    messages = await _rows(
        sessions,
        "SELECT channel, status, recipient FROM messages WHERE batch_id = :batch ORDER BY id",
        batch=int(batch_id),
    )
    sent = sorted(m.recipient for m in messages if m.status == "sent")
    failed = [m for m in messages if m.status == "failed"]
    # Each guardian's email went to the SMTP server; each text failed (no SMS provider).
    assert sent == ["ana.r1@x.org", "ana.r2@x.org"]
    assert sorted(r for mail in smtp.received for r in mail.recipients) == sent
    assert [m.channel for m in failed] == ["sms", "sms"]
    assert 'id="job-status">finished' in finished
    assert "2 now, 0 already" in finished
    assert f"{len(sent)} sent, {len(failed)} failed, 0 pending of {len(messages)}" in finished
    assert '<progress value="4" max="4">' in finished
    assert "The run is done." in finished

    # The start is on the audit log once, and the runs list shows the run as it stands.
    [entry] = csv_rows((await client.get("/console/audit.csv", params={"record_id": job_id})).text)
    assert (entry["actor"], entry["action"], entry["record_type"]) == (
        "console:user_staff",
        "run.started",
        "job",
    )
    [row] = csv_rows((await client.get("/console/runs.csv")).text)
    assert (row["job_id"], row["kind"], row["started_by"], row["status"]) == (
        job_id,
        "invite-reminders",
        "console:user_staff",
        "finished",
    )
    runs = await client.get("/console/runs")
    assert f'href="/console/runs/invite-reminders/{job_id}"' in runs.text
    # Following the run never started another.
    assert (
        len(await _rows(sessions, "SELECT id FROM jobs WHERE name = 'invitations.send_invite_reminders'"))
        == 1
    )


async def test_the_run_page_follows_the_run_by_itself_in_a_browser(
    client: Client, settings: Settings, tmp_path: Path, console_worker: Any
) -> None:
    """The page reloads itself (its meta refresh) from queued to done: nobody presses anything."""
    await post_ok(client, "/admin/families", family_body("web"))
    await create_account(client, "user_staff", "admin")
    with served(create_app(_dev_settings(settings, tmp_path), configure_process=False)) as base:
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            await _sign_in(page, base, "user_staff")
            await page.get_by_role("link", name="Runs").first.click()
            await expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
            await page.locator('form[action="/console/runs/invite-reminders"] button').click()
            await expect(page.get_by_role("heading", name="Invite reminders")).to_be_visible()
            await expect(page.locator("#job-status")).to_contain_text("queued")
            console_worker()
            await expect(page.locator("#run-done")).to_be_visible(timeout=3 * WAIT_MS)
            await expect(page.locator("#batch-counts")).to_have_text("1 sent, 1 failed, 0 pending of 2")
            await expect(page.locator("#job-status")).to_contain_text("finished")
            await _shot(page, "run")
            await page.get_by_role("link", name="All runs").click()
            await expect(page.locator("#runs")).to_contain_text("finished")
            await _shot(page, "runs")
            await context.close()


async def test_each_kind_asks_for_its_own_job_with_one_entry(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    token = await csrf(client)
    for kind in RUN_KINDS:
        started = await _start(client, kind.kind, _csrf_token=token)
        assert started.status_code == 303, started.text
        job_id = started.headers["location"].rsplit("/", 1)[1]
        [job] = await _rows(sessions, "SELECT name, status FROM jobs WHERE id = :id", id=job_id)
        assert (job.name, job.status) == (kind.job_name, "queued")
        entries = await _rows(
            sessions, "SELECT action, record_type, after FROM audit_log WHERE record_id = :id", id=job_id
        )
        assert [(e.action, e.record_type, e.after["kind"]) for e in entries] == [
            ("run.started", "job", kind.kind)
        ]
        page = await client.get(started.headers["location"])
        assert (page.status_code, kind.title in page.text, REFRESH in page.text) == (200, True, True)
    listed = csv_rows((await client.get("/console/runs.csv")).text)
    assert [row["kind"] for row in listed] == [kind.kind for kind in reversed(RUN_KINDS)]  # newest first


async def test_an_unknown_kind_or_a_job_of_another_kind_is_refused_in_words(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    token = await csrf(client)
    unknown = await _start(client, "everyone-at-once", _csrf_token=token)
    assert unknown.status_code == 404
    assert "There is no run called “everyone-at-once”; staff may start: attendance-reminders" in unknown.text
    assert readable_refusal(unknown.text)
    assert await _run_jobs(sessions) == []
    assert await _rows(sessions, "SELECT id FROM audit_log WHERE action = 'run.started'") == []

    job_id = (
        (await _start(client, "payment-reminders", _csrf_token=token)).headers["location"].rsplit("/")[-1]
    )
    other = await client.get(f"/console/runs/invite-reminders/{job_id}")
    assert other.status_code == 404
    assert f"Job {job_id} is not a run of invite reminders." in other.text
    missing = await client.get(f"/console/runs/invite-reminders/{uuid.uuid4()}")
    assert (missing.status_code, "No job with id" in missing.text, readable_refusal(missing.text)) == (
        404,
        True,
        True,
    )
    no_kind = await client.get(f"/console/runs/everyone-at-once/{job_id}")
    assert (no_kind.status_code, "There is no run called" in no_kind.text) == (404, True)


async def test_a_start_without_the_csrf_token_is_refused_and_starts_nothing(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    await csrf(client)  # the cookie is set; the form leaves the token out, or forges one
    for form in ({}, {"_csrf_token": "x" * 80}):
        refused = await _start(client, "invite-reminders", **form)
        assert refused.status_code == 403
        assert "did not come from the console" in refused.text
        assert readable_refusal(refused.text)
    assert await _run_jobs(sessions) == []
    assert await _rows(sessions, "SELECT id FROM audit_log WHERE action = 'run.started'") == []


async def _ended(sessions: async_sessionmaker[AsyncSession], job_id: str, status: str, **fields: str) -> None:
    """The job's record as a worker leaves it (the worker test above runs the real thing)."""
    async with sessions.begin() as session:
        await session.execute(
            text(
                "UPDATE jobs SET status = :status, ended_at = now(), result = CAST(:result AS jsonb),"
                " error = :error WHERE id = :id"
            ),
            {"id": job_id, "status": status, "result": fields.get("result"), "error": fields.get("error")},
        )


async def test_a_failed_run_and_a_run_with_nobody_to_remind_are_done_and_say_so(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    token = await csrf(client)
    failed = (await _start(client, "attendance-reminders", _csrf_token=token)).headers["location"]
    await _ended(sessions, failed.rsplit("/")[-1], "failed", error="Traceback ...\nRuntimeError: db gone")
    page = await client.get(failed)
    assert 'id="job-status">failed' in page.text
    assert "The run's job failed: RuntimeError: db gone." in page.text
    assert REFRESH not in page.text

    nobody = (await _start(client, "payment-reminders", _csrf_token=token)).headers["location"]
    result = json.dumps({"week_start": "2026-03-09", "stopped": False, "reminded": 0, "already_reminded": 0,
                         "batch_id": None})  # fmt: skip
    await _ended(sessions, nobody.rsplit("/")[-1], "finished", result=result)
    page = await client.get(nobody)
    assert "0 now, 0 already" in page.text
    assert "none: nobody was to be reminded" in page.text
    assert ("The run is done." in page.text, REFRESH in page.text) == (True, False)
