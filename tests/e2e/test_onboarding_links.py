"""Onboarding through an invitation's link (the application's ``link_id``), on the real routes and
Postgres: the invitation is accepted for the applicant and the provider linked at once, within capacity
also when onboardings race, and repeating the onboarding links nothing more."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from entrypoints.settings import Settings
from tests.e2e.concurrency import overlapping_client, writes_held
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import Client, db_rows, family_body, post_ok, provider_body
from tests.e2e.test_invitations import _family, _invite, _provider
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter


async def _links(settings: Settings, provider_id: str) -> list[str]:
    rows = await db_rows(
        settings,
        "SELECT child_id::text AS c FROM provider_child_links WHERE provider_id = $1::uuid ORDER BY 1",
        provider_id,
    )
    return [r["c"] for r in rows]


async def _onboard_family(
    client: Client | httpx.AsyncClient, clerk: FakeClerk, family_id: str, tag: str
) -> dict[str, Any]:
    user = f"user_link{tag}"
    clerk.add_user(user, f"ana.{tag}@x.org")
    body = {"clerk_user_id": user, "family_id": family_id}
    response = await client.post("/family/onboard", json=body, headers=OPERATOR)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_family_that_applied_through_a_providers_invite_is_linked_at_onboarding(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    provider = await _provider(programme_client, minter, fake_clerk, "lk")
    body = {"family_email": "ana.lkf@x.org", "family_cell": None}
    token = (await post_ok(programme_client, "/provider/invite-family", body, headers=provider.headers))[
        "invitation_id"
    ]
    family = await post_ok(programme_client, "/admin/families", family_body("lkf", children=2, link_id=token))
    child_ids = sorted(c["id"] for c in family["children"])

    done = await _onboard_family(programme_client, fake_clerk, family["id"], "lkf")

    assert sorted(done["linked_child_ids"]) == child_ids
    assert await _links(settings, provider.id) == child_ids
    invitation = (await db_rows(settings, "SELECT family_id::text AS f, accepted_at FROM invitations"))[0]
    assert invitation["f"] == family["id"]
    assert invitation["accepted_at"] is not None
    notices = await db_rows(settings, "SELECT id FROM messages WHERE kind = 'staff_invitation_accepted'")
    assert len(notices) == 1
    # The family's dashboard shows the provider at once.
    view = await programme_client.get(f"/provider/family-invite/{token}")
    assert view.json()["accepted"] is True

    again = await _onboard_family(programme_client, fake_clerk, family["id"], "lkf")
    assert again["linked_child_ids"] == []
    assert await _links(settings, provider.id) == child_ids


async def test_a_provider_that_applied_through_a_familys_invite_is_linked_to_the_children_it_named(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    family = await _family(programme_client, minter, fake_clerk, "lkp", children=2)
    named = family.child_ids[1]
    made = await post_ok(
        programme_client, "/family/invite-provider", _invite("new.lkp@x.org", [named]), headers=family.headers
    )
    provider = await post_ok(
        programme_client, "/admin/providers", provider_body("lkp", link_id=made["invitation_id"])
    )
    fake_clerk.add_user("user_newprov", "new.lkp@x.org")
    done = await post_ok(
        programme_client,
        "/provider/onboard",
        {"clerk_user_id": "user_newprov", "provider_id": provider["id"]},
        200,
    )
    assert done["linked_child_ids"] == [named]
    assert await _links(settings, provider["id"]) == [named]


async def test_onboardings_through_invites_that_exceed_capacity_never_over_link(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    settings: Settings,
    database_url: str,
) -> None:
    provider = await _provider(programme_client, minter, fake_clerk, "lkc")
    families = []
    for i in range(4):  # four families of one child each, each from its own invite; 2 places
        body = {"family_email": f"ana.lkc{i}@x.org", "family_cell": None}
        made = await post_ok(programme_client, "/provider/invite-family", body, headers=provider.headers)
        extra = {"link_id": made["invitation_id"]}
        families.append(await post_ok(programme_client, "/admin/families", family_body(f"lkc{i}", **extra)))

    async with overlapping_client(settings) as client:
        # The worst interleaving, forced: every onboarding reaches its link insert (having read the
        # provider's links) before any inserts, unless the provider's lock keeps them in line.
        async with writes_held(database_url, "provider_child_links") as held:
            onboardings = [
                asyncio.create_task(_onboard_family(client, fake_clerk, f["id"], f"lkc{i}"))
                for i, f in enumerate(families)
            ]
            await held.until_blocked(len(onboardings))
        answers = await asyncio.gather(*onboardings)

    linked = [c for a in answers for c in a["linked_child_ids"]]
    assert len(linked) == 2
    assert await _links(settings, provider.id) == sorted(linked)
    accepted = await db_rows(settings, "SELECT count(*) AS n FROM invitations WHERE accepted_at IS NOT NULL")
    assert accepted[0]["n"] == 4  # each invitation was used; the staff's notices name who was not linked
