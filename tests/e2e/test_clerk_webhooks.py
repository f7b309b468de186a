"""``POST /webhooks/clerk``: clerk.md §5.2 cases, and what each user event does to accounts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TEST_API_KEY
from tests.fake_clerk import FakeClerk, user_object
from tests.tokens import WEBHOOK_SECRET

Client = AsyncTestClient[Litestar]
KEY = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))
OTHER_SECRET_KEY = b"another-secret-entirely-32-bytes"


def envelope(event_type: str = "user.updated", user_id: str = "user_alice", email: str = "a@x.org") -> bytes:
    data: dict[str, Any] = user_object(user_id, email, {})
    if event_type == "user.deleted":
        data = {"id": user_id, "object": "user", "deleted": True}
    return json.dumps({"type": event_type, "object": "event", "data": data, "timestamp": 1}).encode()


def sign(body: bytes, msg_id: str = "msg_1", ts: int | None = None, key: bytes = KEY) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "svix-id": msg_id,
        "svix-timestamp": stamp,
        "svix-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


def without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


BODY = envelope()


def cases() -> dict[str, tuple[bytes, dict[str, str], int]]:
    """Signed when a case runs, not at import: the tolerance is minutes, a full suite is longer."""
    now = int(time.time())
    return {
        "valid delivery": (BODY, sign(BODY), 200),
        "valid among several signatures": (
            BODY,
            {
                **sign(BODY),
                "svix-signature": f"v1,{base64.b64encode(b'x' * 32).decode()} {sign(BODY)['svix-signature']}",
            },
            200,
        ),
        "upper-case header names": (BODY, {k.upper(): v for k, v in sign(BODY).items()}, 200),
        "timestamp 4 minutes old": (BODY, sign(BODY, ts=now - 240), 200),
        "wrong secret": (BODY, sign(BODY, key=OTHER_SECRET_KEY), 401),
        "body changed by one byte": (BODY.replace(b"a@x.org", b"b@x.org"), sign(BODY), 401),
        "JSON re-serialised": (json.dumps(json.loads(BODY), indent=1).encode(), sign(BODY), 401),
        "svix-id changed": (BODY, {**sign(BODY), "svix-id": "msg_other"}, 401),
        "timestamp 6 minutes old": (BODY, sign(BODY, ts=now - 360), 401),
        "timestamp 6 minutes in the future": (BODY, sign(BODY, ts=now + 360), 401),
        "svix-id missing": (BODY, without(sign(BODY), "svix-id"), 401),
        "svix-timestamp missing": (BODY, without(sign(BODY), "svix-timestamp"), 401),
        "svix-signature missing": (BODY, without(sign(BODY), "svix-signature"), 401),
        "timestamp not a number": (BODY, {**sign(BODY), "svix-timestamp": "abc"}, 401),
        "signature list garbage (no comma)": (BODY, {**sign(BODY), "svix-signature": "garbage"}, 401),
        "signature with bad padding": (BODY, {**sign(BODY), "svix-signature": "v1,AAA"}, 401),
        "only v2 signatures": (
            BODY,
            {**sign(BODY), "svix-signature": "v2," + sign(BODY)["svix-signature"][3:]},
            401,
        ),
        "valid signature, non-JSON body": (b"not json {", sign(b"not json {"), 400),
        "valid signature, JSON without a type": (b'{"data": {}}', sign(b'{"data": {}}'), 400),
        "unknown event type": (envelope("session.created"), sign(envelope("session.created")), 200),
    }


CASE_NAMES = list(cases())


@pytest.mark.parametrize("case", CASE_NAMES)
async def test_webhook_case(client: Client, case: str) -> None:
    body, headers, expected = cases()[case]
    response = await client.post("/webhooks/clerk", content=body, headers=headers)
    assert response.status_code == expected, (case, response.text)
    if expected == 401:
        assert response.json()["code"] == "invalid_webhook_signature"


def test_there_are_at_least_12_webhook_cases() -> None:
    assert len(CASE_NAMES) >= 12


async def _account(client: Client, user_id: str) -> dict[str, Any]:
    response = await client.get(f"/admin/accounts/{user_id}", headers={"X-API-Key": TEST_API_KEY})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _create(client: Client, **body: Any) -> None:
    response = await client.post("/admin/accounts", json=body, headers={"X-API-Key": TEST_API_KEY})
    assert response.status_code == 201, response.text


async def test_user_updated_keeps_the_email_current(client: Client) -> None:
    await _create(client, clerk_user_id="user_alice", email="old@x.org", roles=["family"])
    body = envelope("user.updated", email="New@X.org")
    response = await client.post("/webhooks/clerk", content=body, headers=sign(body))
    assert response.json()["outcome"] == "email_updated"
    assert (await _account(client, "user_alice"))["email"] == "new@x.org"


async def test_user_created_links_a_pending_account_by_email(client: Client, fake_clerk: FakeClerk) -> None:
    await _create(client, email="dana@x.org", roles=["provider"])
    fake_clerk.add_user("user_dana", "dana@x.org")
    body = envelope("user.created", user_id="user_dana", email="dana@x.org")
    response = await client.post("/webhooks/clerk", content=body, headers=sign(body))
    assert response.json()["outcome"] == "linked"
    account = await _account(client, "user_dana")
    assert (account["roles"], account["email"]) == (["provider"], "dana@x.org")
    assert fake_clerk.users["user_dana"]["public_metadata"] == {"types": ["provider"]}


async def test_user_deleted_deactivates_the_account(client: Client) -> None:
    await _create(client, clerk_user_id="user_alice", email="a@x.org", roles=["family"])
    body = envelope("user.deleted")
    response = await client.post("/webhooks/clerk", content=body, headers=sign(body))
    assert response.json()["outcome"] == "deactivated"
    assert (await _account(client, "user_alice"))["status"] == "deactivated"


async def test_a_replayed_delivery_answers_200_and_does_nothing(client: Client) -> None:
    await _create(client, clerk_user_id="user_alice", email="a@x.org", roles=["family"])
    first = envelope("user.updated", email="first@x.org")
    assert (
        await client.post("/webhooks/clerk", content=first, headers=sign(first, "msg_A"))
    ).status_code == 200
    # An operator changes the email by another route; then the old delivery is replayed.
    later = envelope("user.updated", email="later@x.org")
    await client.post("/webhooks/clerk", content=later, headers=sign(later, "msg_B"))
    replay = await client.post("/webhooks/clerk", content=first, headers=sign(first, "msg_A"))
    assert replay.status_code == 200
    assert replay.json()["outcome"] == "replayed"
    assert (await _account(client, "user_alice"))["email"] == "later@x.org"


async def test_a_delivery_that_failed_is_handled_when_retried(client: Client) -> None:
    await _create(client, clerk_user_id="user_alice", email="a@x.org", roles=["family"])
    bad = envelope("user.updated", email="not-an-email")
    assert (await client.post("/webhooks/clerk", content=bad, headers=sign(bad, "msg_R"))).status_code == 400
    good = envelope("user.updated", email="fixed@x.org")
    retried = await client.post("/webhooks/clerk", content=good, headers=sign(good, "msg_R"))
    assert retried.json()["outcome"] == "email_updated"  # the failed attempt was not recorded


async def test_without_a_webhook_secret_deliveries_get_503(client_with: Any) -> None:
    async with client_with(clerk_webhook_secret=None) as client:
        response = await client.post("/webhooks/clerk", content=BODY, headers=sign(BODY))
    assert response.status_code == 503
