"""Onboarding through HTTP against real Postgres: account and allocations, Clerk metadata, idempotence,
concurrent calls for one person, and a Clerk outage that does not undo onboarding."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.e2e.identity_support import OPERATOR, signed_in_as
from tests.e2e.programme_support import Client, family_body, post_ok, provider_body
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter


async def test_a_family_is_onboarded_with_its_allocations_and_metadata(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cap_portal")
    family = await post_ok(programme_client, "/admin/families", family_body("on", children=2))
    fake_clerk.add_user("user_ana", "ana@x.org")
    body = {"clerk_user_id": "user_ana", "family_id": family["id"]}
    done = await post_ok(programme_client, "/family/onboard", body, 200)
    assert done["roles"] == ["family"]
    assert done["family_id"] == family["id"]
    assert (done["allocations_created"], done["directory_synced"]) == (4, True)
    assert fake_clerk.users["user_ana"]["public_metadata"] == {"types": ["family"], "family_id": family["id"]}
    headers = signed_in_as(minter, "user_ana")
    for child in family["children"]:
        for month in (1, 2):
            got = await programme_client.get(f"/child/{child['id']}/allocation/{month}/2025", headers=headers)
            assert got.status_code == 200, got.text

    again = await post_ok(programme_client, "/family/onboard", body, 200)
    assert again["allocations_created"] == 0


async def test_two_concurrent_onboardings_of_one_person_leave_one_result(
    programme_client: Client, fake_clerk: FakeClerk
) -> None:
    family = await post_ok(programme_client, "/admin/families", family_body("race"))
    fake_clerk.add_user("user_race", "race@x.org")
    body = {"clerk_user_id": "user_race", "family_id": family["id"]}
    responses = await asyncio.gather(
        *(programme_client.post("/family/onboard", json=body, headers=OPERATOR) for _ in range(2))
    )
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert sum(r.json()["allocations_created"] for r in responses) == 2
    account = await programme_client.get("/admin/accounts/user_race", headers=OPERATOR)
    assert account.json()["family_id"] == family["id"]
    assert account.json()["roles"] == ["family"]


async def test_a_clerk_outage_is_reported_and_onboarding_holds(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    provider = await post_ok(programme_client, "/admin/providers", provider_body("out"))
    fake_clerk.down = True
    body = {"clerk_user_id": "user_pat", "provider_id": provider["id"]}
    done = await post_ok(programme_client, "/provider/onboard", body, 200)
    assert done["directory_synced"] is False
    fake_clerk.down = False
    home = await programme_client.get("/provider", headers=signed_in_as(minter, "user_pat"))
    assert home.status_code == 200
    # Onboarding again retries the directory write.
    fake_clerk.add_user("user_pat", "pat@x.org")
    assert (await post_ok(programme_client, "/provider/onboard", body, 200))["directory_synced"] is True


async def test_onboarding_refusals(programme_client: Client) -> None:
    missing = await programme_client.post(
        "/family/onboard",
        json={"clerk_user_id": "user_x", "family_id": "00000000-0000-4000-8000-000000000000"},
        headers=OPERATOR,
    )
    assert missing.status_code == 404
    malformed = await programme_client.post(
        "/provider/onboard", json={"clerk_user_id": "bob", "provider_id": "x"}, headers=OPERATOR
    )
    assert malformed.status_code in (400, 404)
    other = await post_ok(programme_client, "/admin/families", family_body("one"))
    second = await post_ok(programme_client, "/admin/families", family_body("two"))
    await post_ok(
        programme_client, "/family/onboard", {"clerk_user_id": "user_y", "family_id": other["id"]}, 200
    )
    clash = await programme_client.post(
        "/family/onboard", json={"clerk_user_id": "user_y", "family_id": second["id"]}, headers=OPERATOR
    )
    assert (clash.status_code, clash.json()["code"]) == (409, "account_linked_elsewhere")
