"""``POST /webhooks/clerk`` with ``email.created``: the invitation email Clerk asks us to deliver becomes a
``clerk_invitation`` message in the invitee's language, once per Clerk email however often it is delivered;
other emails, and one Clerk delivers itself, are left alone; a malformed invitation is a 400."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import Client, family_body, post_ok, provider_body
from tests.e2e.test_clerk_webhooks import sign

ACTION_URL = "https://accounts.cap.example.org/sign-up?__clerk_ticket=tkt_123"


def email_created(email_id: str = "ema_1", **changes: Any) -> bytes:
    data: dict[str, Any] = {
        "object": "email",
        "id": email_id,
        "slug": "invitation",
        "to_email_address": "ana.invited@x.org",
        "delivered_by_clerk": False,
        "status": "queued",
        "data": {"action_url": ACTION_URL, "invitation": {"public_metadata": {"types": ["family"]}}},
    }
    data.update(changes)
    return json.dumps({"type": "email.created", "object": "event", "data": data, "timestamp": 1}).encode()


async def _deliver(client: Client, body: bytes, msg_id: str) -> tuple[int, dict[str, Any]]:
    response = await client.post("/webhooks/clerk", content=body, headers=sign(body, msg_id=msg_id))
    return response.status_code, response.json()


async def _invitations(client: Client) -> list[dict[str, Any]]:
    listed = await client.get("/messages", params={"kind": "clerk_invitation"}, headers=OPERATOR)
    assert listed.status_code == 200, listed.text
    return list(listed.json()["messages"])


async def test_an_invitation_is_sent_in_the_family_s_language_once(programme_client: Client) -> None:
    family = await post_ok(programme_client, "/admin/families", family_body("inv", language="es"))
    metadata = {"types": ["family"], "family_id": family["id"]}
    details = {"action_url": ACTION_URL, "invitation": {"public_metadata": metadata}}
    body = email_created("ema_family", data=details)
    assert await _deliver(programme_client, body, "msg_a") == (
        200,
        {"received": True, "outcome": "invitation_queued"},
    )
    # Svix retries with the same svix-id; a replay from the dashboard comes with a new one.
    for msg_id in ("msg_a", "msg_b"):
        assert (await _deliver(programme_client, body, msg_id))[1]["outcome"] == "replayed"
    [message] = await _invitations(programme_client)
    assert (message["recipient"], message["language"], message["status"]) == (
        "ana.invited@x.org",
        "es",
        "pending",
    )
    assert message["about"] == {"type": "family", "id": family["id"]}
    # Greeted as the family's primary guardian (family_body's "Ana inv").
    assert message["data"] == {"role": "family", "first_name": "Ana inv", "action_url": ACTION_URL}
    assert message["idempotency_key"] == "clerk_email:ema_family|email:ana.invited@x.org"


async def test_an_invitation_naming_no_known_record_goes_in_english(programme_client: Client) -> None:
    details = {
        "action_url": ACTION_URL,
        "invitation": {"public_metadata": {"types": ["provider"], "provider_id": "nope"}},
    }
    assert (await _deliver(programme_client, email_created("ema_x", data=details), "msg_x"))[0] == 200
    [message] = await _invitations(programme_client)
    assert (message["language"], message["about"]) == ("en", {"type": "clerk_email", "id": "ema_x"})
    assert message["data"]["role"] == "provider"


@pytest.mark.parametrize(
    "changes",
    [{"slug": "verification_code"}, {"slug": "magic_link_sign_in"}, {"delivered_by_clerk": True}],
    ids=["a code", "a magic link", "delivered by Clerk"],
)
async def test_other_emails_are_not_ours_to_send(programme_client: Client, changes: dict[str, Any]) -> None:
    assert await _deliver(programme_client, email_created(**changes), "msg_o") == (
        200,
        {"received": True, "outcome": "ignored"},
    )
    assert await _invitations(programme_client) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"to_email_address": None},
        {"to_email_address": "not-an-address"},
        {"id": None},
        {"data": {"invitation": {}}},
        {"data": {"action_url": "javascript:alert(1)"}},
    ],
    ids=["no address", "not an address", "no id", "no link", "a link that is not http"],
)
async def test_a_malformed_invitation_is_a_400_and_sends_nothing(
    programme_client: Client, changes: dict[str, Any]
) -> None:
    status, body = await _deliver(programme_client, email_created(**changes), "msg_m")
    assert (status, body["code"]) == (400, "malformed_webhook")
    assert await _invitations(programme_client) == []


async def test_a_provider_s_invitation_goes_in_the_provider_s_language(programme_client: Client) -> None:
    provider = await post_ok(
        programme_client, "/admin/providers", provider_body("inv", preferred_language="ru")
    )
    metadata = {"types": "provider", "provider_id": provider["id"]}
    details = {"action_url": ACTION_URL, "invitation": {"public_metadata": metadata}}
    assert (await _deliver(programme_client, email_created("ema_p", data=details), "msg_p"))[0] == 200
    [message] = await _invitations(programme_client)
    assert (message["language"], message["about"]) == ("ru", {"type": "provider", "id": provider["id"]})
    assert (message["data"]["role"], message["data"]["first_name"]) == ("provider", "Pat")
