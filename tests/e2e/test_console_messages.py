"""The console's messages page on real Postgres: the message log newest first, filtered by status, kind,
channel and recipient, a page at a time and as CSV; one message's page; a failed message resent through
``resend_message`` (pending again, a new send job, ``message.resent`` on the audit log), any other refused
on its page with nothing changed; an unknown id is a readable not-found page.

Messages are onboarding's (a family's portal invitation and the staff email); a failed one is put in the
state the sending job leaves it in after its last attempt, as tests/e2e/test_messages.py does (the job's
own failures are tests/integration/notifications/test_messages.py's)."""

from __future__ import annotations

import json

from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import create_async_engine

from entrypoints.settings import Settings
from tests.e2e.console_support import csrf, csv_rows, readable_refusal, sign_in_staff
from tests.e2e.programme_support import Client, family_body, post_ok
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter

SEND_JOBS = "SELECT count(*) FROM jobs WHERE name = 'notifications.send_message' AND args = :a"


async def _sql(settings: Settings, statement: str, **values: object) -> list[tuple[object, ...]]:
    engine = create_async_engine(settings.require_database_url(), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), values)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        await engine.dispose()


async def _onboarded(client: Client, fake_clerk: FakeClerk, name: str) -> tuple[str, int]:
    """A family onboarded: its portal invitation (the id returned) and the staff email are logged."""
    family = await post_ok(client, "/admin/families", family_body(name))
    fake_clerk.add_user(f"user_{name}", f"ana.{name}@x.org")
    done = await post_ok(
        client, "/family/onboard", {"clerk_user_id": f"user_{name}", "family_id": family["id"]}, 200
    )
    return family["id"], done["portal_invitation_message_id"]


async def _failed(settings: Settings, message_id: int) -> None:
    """As the sending job leaves a message after its last attempt."""
    await _sql(
        settings,
        "UPDATE messages SET status = 'failed', attempts = 5, last_error = 'SMTP: the relay was down'"
        " WHERE id = :id",
        id=message_id,
    )


async def _status(settings: Settings, message_id: int) -> tuple[object, ...]:
    [row] = await _sql(settings, "SELECT status, attempts FROM messages WHERE id = :id", id=message_id)
    return row


async def _audited(settings: Settings) -> list[tuple[object, ...]]:
    return await _sql(
        settings,
        "SELECT actor, action, record_id, before, after FROM audit_log WHERE record_type = 'message'",
    )


async def test_the_log_lists_messages_newest_first_with_filters_and_as_csv(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    await sign_in_staff(programme_client, minter)
    _, first = await _onboarded(programme_client, fake_clerk, "one")
    _, second = await _onboarded(programme_client, fake_clerk, "two")
    await _failed(settings, first)
    [(sms,)] = await _sql(
        settings,
        "INSERT INTO messages (channel, kind, recipient, language, data, about_type, about_id,"
        " idempotency_key, status) VALUES ('sms', 'payment_reminder', '+17205550142', 'en', '{}',"
        " 'family', 'x', 'test:sms', 'sent') RETURNING id",
    )

    everything = await programme_client.get("/console/messages")
    assert everything.status_code == 200, everything.text
    ids = [
        int(row["message_id"]) for row in csv_rows((await programme_client.get("/console/messages.csv")).text)
    ]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert {first, second, sms} <= set(ids)
    assert f'href="/console/messages/{second}"' in everything.text
    assert everything.text.index(f'href="/console/messages/{second}"') < everything.text.index(
        f'href="/console/messages/{first}"'
    )

    def listed(text_: str) -> set[int]:
        return {int(row["message_id"]) for row in csv_rows(text_)}

    filtered = {
        "status=failed": {first},
        "channel=sms": {sms},
        "kind=portal_invitation": {first, second},
        "recipient=ANA.TWO@": {second},  # any case, part of the address
        "recipient=%25": set(),  # a typed % is a percent sign, not "anything"
        "status=failed&kind=portal_invitation&recipient=two": set(),
        "status=nonsense": set(ids),  # not a status: any
    }
    for query, expected in filtered.items():
        exported = await programme_client.get(f"/console/messages.csv?{query}")
        assert exported.status_code == 200, (query, exported.text)
        assert listed(exported.text) == expected, query
        page = await programme_client.get(f"/console/messages?{query}")
        assert page.status_code == 200, (query, page.text)
        shown = {m for m in ids if f'href="/console/messages/{m}"' in page.text}
        assert shown == expected, query

    [row] = csv_rows((await programme_client.get("/console/messages.csv?status=failed")).text)
    assert (row["channel"], row["kind"], row["recipient"], row["status"], row["attempts"]) == (
        "email",
        "portal_invitation",
        "ana.one@x.org",
        "failed",
        "5",
    )
    assert row["last_error"] == "SMTP: the relay was down"
    assert "SMTP: the relay was down" in (await programme_client.get("/console/messages?status=failed")).text


async def test_the_log_is_a_page_at_a_time_keeping_its_filters(
    programme_client: Client, minter: TokenMinter, settings: Settings
) -> None:
    await sign_in_staff(programme_client, minter)
    for n in range(27):
        await _sql(
            settings,
            "INSERT INTO messages (channel, kind, recipient, language, data, about_type, about_id,"
            " idempotency_key, status) VALUES ('email', 'payment_reminder', :r, 'en', '{}', 'family', 'x',"
            " :k, 'sent')",
            r=f"paged{n}@x.org",
            k=f"test:paged:{n}",
        )
    first = await programme_client.get("/console/messages", params={"recipient": "paged"})
    assert first.text.count("@x.org</td>") == 25
    assert 'href="/console/messages?recipient=paged&amp;page=2" rel="next"' in first.text
    second = await programme_client.get("/console/messages", params={"recipient": "paged", "page": 2})
    assert second.text.count("@x.org</td>") == 2
    assert 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text


async def test_the_family_page_links_its_messages_to_their_pages(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    await sign_in_staff(programme_client, minter)
    family_id, invitation = await _onboarded(programme_client, fake_clerk, "fam")
    assert 'href="/console/messages"' in (await programme_client.get("/console")).text
    page = await programme_client.get(f"/console/families/{family_id}")
    assert f'<a href="/console/messages/{invitation}">{invitation}</a>' in page.text


async def test_staff_resend_a_failed_message_and_it_is_on_the_audit_log(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    await sign_in_staff(programme_client, minter)
    family_id, invitation = await _onboarded(programme_client, fake_clerk, "resend")
    await _failed(settings, invitation)

    shown = await programme_client.get(f"/console/messages/{invitation}")
    assert shown.status_code == 200, shown.text
    resend_form = f'action="/console/messages/{invitation}/resend"'
    for said in ("portal_invitation", "email", "ana.resend@x.org", "failed", "SMTP: the relay was down",
                 f'href="/console/families/{family_id}"', resend_form):  # fmt: skip
        assert said in shown.text, said

    resent = await programme_client.post(
        f"/console/messages/{invitation}/resend", data={"_csrf_token": await csrf(programme_client)}
    )
    assert resent.status_code == 200, resent.text
    assert f"Message {invitation} is pending again: a new job will send it (on the audit log)." in resent.text
    assert "/resend" not in resent.text  # nothing left to resend
    assert await _status(settings, invitation) == ("pending", 0)
    assert await _sql(settings, SEND_JOBS, a=f"[{invitation}]") == [(2,)]  # onboarding's, and the resend's
    [(actor, action, record_id, before, after)] = await _audited(settings)
    assert (actor, action, record_id) == ("console:user_staff", "message.resent", str(invitation))
    before, after = (json.loads(v) if isinstance(v, str) else v for v in (before, after))
    assert before == {
        "channel": "email",
        "kind": "portal_invitation",
        "recipient": "ana.resend@x.org",
        "status": "failed",
        "attempts": 5,
        "last_error": "SMTP: the relay was down",
    }
    assert after == {**before, "status": "pending", "attempts": 0}


async def test_a_message_that_is_not_failed_is_not_resent_and_nothing_changes(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    await sign_in_staff(programme_client, minter)
    _, invitation = await _onboarded(programme_client, fake_clerk, "sent")
    await _sql(settings, "UPDATE messages SET status = 'sent', attempts = 1 WHERE id = :id", id=invitation)
    shown = await programme_client.get(f"/console/messages/{invitation}")
    assert "/resend" not in shown.text  # no button for a sent message

    refused = await programme_client.post(
        f"/console/messages/{invitation}/resend", data={"_csrf_token": await csrf(programme_client)}
    )
    assert refused.status_code == 400
    assert (
        f"The message was not resent: Message {invitation} is sent; only a failed message can be resent."
        in refused.text
    )
    assert refused.headers["content-type"].startswith("text/html")
    assert readable_refusal(refused.text)
    assert await _status(settings, invitation) == ("sent", 1)
    assert await _sql(settings, SEND_JOBS, a=f"[{invitation}]") == [(1,)]  # onboarding's only
    assert await _audited(settings) == []


async def test_an_unknown_message_is_a_readable_not_found_page(
    programme_client: Client, minter: TokenMinter, settings: Settings
) -> None:
    await sign_in_staff(programme_client, minter)
    token = await csrf(programme_client)
    for path in ("/console/messages/999999", "/console/messages/not-a-number", "/console/messages/0",
                 f"/console/messages/{2**63}"):  # fmt: skip
        page = await programme_client.get(path)
        assert page.status_code == 404, path
        assert "There is no message with that id." in page.text, path
        assert readable_refusal(page.text)
        resend = await programme_client.post(f"{path}/resend", data={"_csrf_token": token})
        assert resend.status_code == 404, path
        assert "There is no message with that id." in resend.text, path
    assert await _audited(settings) == []
