"""The message API through HTTP on real Postgres: onboarding's portal invitation and staff email are listed
and shown, a failed message is resent by a new job (409 for any other), unknown ids 404, no key 401."""

from __future__ import annotations

from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import create_async_engine

from entrypoints.settings import Settings
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import Client, family_body, post_ok
from tests.fake_clerk import FakeClerk


async def _sql(settings: Settings, statement: str, **values: object) -> list[tuple[object, ...]]:
    engine = create_async_engine(settings.require_database_url(), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), values)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


async def _onboarded_family(client: Client, fake_clerk: FakeClerk) -> tuple[str, int]:
    family = await post_ok(client, "/admin/families", family_body("msg", language="es"))
    fake_clerk.add_user("user_msg", "ana.msg@x.org")
    done = await post_ok(
        client, "/family/onboard", {"clerk_user_id": "user_msg", "family_id": family["id"]}, 200
    )
    return family["id"], done["portal_invitation_message_id"]


async def test_onboarding_s_messages_are_listed_and_shown(
    programme_client: Client, fake_clerk: FakeClerk, settings: Settings
) -> None:
    family_id, invitation_id = await _onboarded_family(programme_client, fake_clerk)
    shown = await programme_client.get(f"/messages/{invitation_id}", headers=OPERATOR)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["kind"], body["channel"], body["language"], body["status"]) == (
        "portal_invitation",
        "email",
        "es",
        "pending",
    )
    assert (body["recipient"], body["about"]) == ("ana.msg@x.org", {"type": "family", "id": family_id})
    assert body["idempotency_key"] == f"onboarding:family:{family_id}|email:ana.msg@x.org"

    listed = await programme_client.get(
        "/messages", params={"about_type": "family", "about_id": family_id}, headers=OPERATOR
    )
    assert sorted(m["kind"] for m in listed.json()["messages"]) == ["portal_invitation", "staff_onboarded"]
    pending = await programme_client.get("/messages", params={"status": "failed"}, headers=OPERATOR)
    assert pending.json()["messages"] == []

    again = await post_ok(
        programme_client, "/family/onboard", {"clerk_user_id": "user_msg", "family_id": family_id}, 200
    )
    assert again["portal_invitation_message_id"] == invitation_id
    jobs = await _sql(
        settings, "SELECT args FROM jobs WHERE name = 'notifications.send_message' ORDER BY args"
    )
    assert len(jobs) == 2  # the invitation and the staff email, each asked for once


async def test_only_a_failed_message_is_resent(
    programme_client: Client, fake_clerk: FakeClerk, settings: Settings
) -> None:
    _, invitation_id = await _onboarded_family(programme_client, fake_clerk)
    refused = await programme_client.post(f"/messages/{invitation_id}/resend", headers=OPERATOR)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "message_not_failed"

    await _sql(
        settings,
        "UPDATE messages SET status = 'failed', attempts = 5, last_error = 'SMTP: down' WHERE id = :id",
        id=invitation_id,
    )
    resent = await programme_client.post(f"/messages/{invitation_id}/resend", headers=OPERATOR)
    assert resent.status_code == 200, resent.text
    assert resent.json()["message"]["status"] == "pending"
    assert resent.json()["message"]["attempts"] == 0
    jobs = await _sql(
        settings,
        "SELECT count(*) FROM jobs WHERE name = 'notifications.send_message' AND args = :a",
        a=f"[{invitation_id}]",
    )
    assert jobs == [(2,)]  # onboarding's job, and the resend's
    audited = await _sql(
        settings,
        "SELECT actor, action, before->>'status', after->>'status' FROM audit_log"
        " WHERE record_type = 'message'",
    )
    assert audited == [("admin-api:api-key", "message.resent", "failed", "pending")]  # not the refused one


async def test_unknown_messages_and_callers_without_a_key_are_refused(programme_client: Client) -> None:
    assert (await programme_client.get("/messages/999999", headers=OPERATOR)).status_code == 404
    assert (await programme_client.post("/messages/999999/resend", headers=OPERATOR)).status_code == 404
    assert (await programme_client.get("/messages/0", headers=OPERATOR)).status_code == 400
    assert (
        await programme_client.get("/messages", params={"status": "lost"}, headers=OPERATOR)
    ).status_code == 400
    assert (await programme_client.get("/messages")).status_code == 401


async def test_a_batch_is_shown_with_its_messages_counted(
    programme_client: Client, fake_clerk: FakeClerk, settings: Settings
) -> None:
    _, invitation_id = await _onboarded_family(programme_client, fake_clerk)
    [(inserted,)] = await _sql(
        settings,
        "INSERT INTO message_batches (name, kind, data) VALUES ('Reminder run', 'invite_reminder', "
        """'{"run": 1}') RETURNING id""",
    )
    batch_id = int(str(inserted))
    # The invitation is sent, the staff email failed: both in the batch.
    await _sql(
        settings,
        "UPDATE messages SET batch_id = :b, status = CASE WHEN id = :i THEN 'sent' ELSE 'failed' END",
        b=batch_id,
        i=invitation_id,
    )
    shown = await programme_client.get(f"/message-batches/{batch_id}", headers=OPERATOR)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    counted = {k: body[k] for k in ("name", "kind", "data", "status", "total", "pending", "sent", "failed")}
    assert counted == {
        "name": "Reminder run",
        "kind": "invite_reminder",
        "data": {"run": 1},
        "status": "partially_failed",
        "total": 2,
        "pending": 0,
        "sent": 1,
        "failed": 1,
    }
    assert body["completed_at"].endswith("Z")
    listed = await programme_client.get(
        "/messages", params={"batch_id": batch_id, "status": "sent"}, headers=OPERATOR
    )
    assert [(m["id"], m["batch_id"]) for m in listed.json()["messages"]] == [(invitation_id, batch_id)]

    missing = await programme_client.get("/message-batches/999999", headers=OPERATOR)
    assert (missing.status_code, missing.json()["code"]) == (404, "message_batch_not_found")
    assert (await programme_client.get("/message-batches/0", headers=OPERATOR)).status_code == 400
    assert (await programme_client.get(f"/message-batches/{batch_id}")).status_code == 401
    assert (
        await programme_client.get("/messages", params={"batch_id": 0}, headers=OPERATOR)
    ).status_code == 400
