"""Invitations through the real routes on real Postgres: one token per invite, the messages it asks for,
the optional-auth views (first opening kept), accepting links at once within the provider's capacity
(also when accepts race), and bad input refused with nothing changed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from entrypoints.settings import Settings
from tests.e2e.concurrency import overlapping_client, writes_held
from tests.e2e.identity_support import signed_in_as
from tests.e2e.programme_support import Client, db_rows, family_body, post_ok, provider_body
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter


@dataclass
class Signed:
    id: str
    headers: dict[str, str]
    child_ids: list[str]


async def _family(client: Client, minter: TokenMinter, clerk: FakeClerk, tag: str, children: int) -> Signed:
    family = await post_ok(client, "/admin/families", family_body(tag, children=children))
    user = f"user_fam{tag}"
    clerk.add_user(user, f"ana.{tag}@x.org")
    await post_ok(client, "/family/onboard", {"clerk_user_id": user, "family_id": family["id"]}, 200)
    return Signed(family["id"], signed_in_as(minter, user), [c["id"] for c in family["children"]])


async def _provider(client: Client, minter: TokenMinter, clerk: FakeClerk, tag: str) -> Signed:
    provider = await post_ok(client, "/admin/providers", provider_body(tag))
    user = f"user_prov{tag}"
    clerk.add_user(user, f"pat.{tag}@x.org")
    await post_ok(client, "/provider/onboard", {"clerk_user_id": user, "provider_id": provider["id"]}, 200)
    return Signed(provider["id"], signed_in_as(minter, user), [])


def _invite(email: str, child_ids: list[str], cell: str | None = None) -> dict[str, Any]:
    return {"provider_email": email, "provider_cell": cell, "child_ids": child_ids, "lang": "es"}


async def test_a_family_invites_a_provider_who_accepts_and_is_linked(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    family = await _family(programme_client, minter, fake_clerk, "inv", children=2)
    provider = await _provider(programme_client, minter, fake_clerk, "inv")
    body = _invite("pat.inv@x.org", family.child_ids, cell="+13035550199")
    made = await post_ok(programme_client, "/family/invite-provider", body, headers=family.headers)
    token = made["invitation_id"]
    assert made["path"] == f"/invite/provider/{token}"

    sent = await db_rows(
        settings, "SELECT kind, channel, recipient, language FROM messages WHERE about_type = 'invitation'"
    )
    assert sorted((r["kind"], r["channel"], r["recipient"], r["language"]) for r in sent) == [
        ("provider_invited", "email", "pat.inv@x.org", "es"),
        ("provider_invited", "sms", "+13035550199", "es"),
        ("staff_invitation_made", "email", "staff", "en"),
    ]
    rows = await db_rows(settings, "SELECT id, opened_at FROM invitations")
    assert len(rows) == 1  # one invitation (and one token) for both children
    assert rows[0]["opened_at"] is None

    anonymous = await programme_client.get(f"/family/provider-invite/{token}")
    assert anonymous.status_code == 200, anonymous.text
    view = anonymous.json()
    assert view["accepted"] is False
    assert [c["id"] for c in view["children"]] == family.child_ids  # in the family's order
    assert view["child"]["id"] in family.child_ids
    assert view["family"] == {"id": family.id, "first_name": "Ana inv", "last_name": "Doe"}
    assert (view["already_caring_for"], view["at_max_child_count"], view["remaining_slots"]) == (
        False,
        False,
        None,
    )
    first_opened = (await db_rows(settings, "SELECT opened_at FROM invitations"))[0]["opened_at"]
    assert first_opened is not None
    as_provider = await programme_client.get(f"/family/provider-invite/{token}", headers=provider.headers)
    assert as_provider.json()["remaining_slots"] == 2
    assert (await db_rows(settings, "SELECT opened_at FROM invitations"))[0]["opened_at"] == first_opened

    accepted = await programme_client.post(
        f"/family/provider-invite/{token}/accept", headers=provider.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert set(accepted.json()["linked_child_ids"]) == set(family.child_ids)
    links = await db_rows(
        settings, "SELECT child_id::text FROM provider_child_links WHERE provider_id = $1::uuid", provider.id
    )
    assert {r["child_id"] for r in links} == set(family.child_ids)
    again = await programme_client.post(f"/family/provider-invite/{token}/accept", headers=provider.headers)
    assert (again.status_code, again.json()["code"]) == (400, "invitation_already_accepted")
    after = (await programme_client.get(f"/family/provider-invite/{token}", headers=provider.headers)).json()
    assert (after["accepted"], after["already_caring_for"], after["at_max_child_count"]) == (True, True, True)
    notices = await db_rows(settings, "SELECT kind FROM messages WHERE kind = 'staff_invitation_accepted'")
    assert len(notices) == 1


async def test_accepts_that_together_exceed_capacity_never_over_link(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    settings: Settings,
    database_url: str,
) -> None:
    provider = await _provider(programme_client, minter, fake_clerk, "cap")
    tokens = []
    for i in range(4):  # four families, one child each; the provider has 2 places
        family = await _family(programme_client, minter, fake_clerk, f"cap{i}", children=1)
        made = await post_ok(
            programme_client,
            "/family/invite-provider",
            _invite("pat.cap@x.org", family.child_ids),
            headers=family.headers,
        )
        tokens.append(made["invitation_id"])
    tokens.append(tokens[0])  # and the first invitation accepted twice at once

    async with overlapping_client(settings) as client:
        # The worst interleaving, forced: every accept reaches its link insert (having counted the
        # provider's links) before any inserts, unless the provider's lock keeps them in line.
        async with writes_held(database_url, "provider_child_links") as held:
            accepts = [
                asyncio.create_task(
                    client.post(f"/family/provider-invite/{t}/accept", headers=provider.headers)
                )
                for t in tokens
            ]
            await held.until_blocked(len(accepts))
        answers = await asyncio.gather(*accepts)

    codes = sorted((a.status_code, a.json().get("code")) for a in answers)
    assert [c for c in codes if c[0] == 200] == [(200, None), (200, None)], codes
    assert {c[1] for c in codes if c[0] == 400} <= {"provider_at_capacity", "invitation_already_accepted"}
    links = await db_rows(
        settings, "SELECT count(*) AS n FROM provider_child_links WHERE provider_id = $1::uuid", provider.id
    )
    assert links[0]["n"] == 2
    accepted = await db_rows(settings, "SELECT count(*) AS n FROM invitations WHERE accepted_at IS NOT NULL")
    assert accepted[0]["n"] == 2


async def test_a_provider_invites_a_family_who_chooses_its_children(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    provider = await _provider(programme_client, minter, fake_clerk, "pf")
    family = await _family(programme_client, minter, fake_clerk, "pf", children=3)
    stranger = await _family(programme_client, minter, fake_clerk, "pfx", children=1)
    body = {"family_email": "ana.pf@x.org", "family_cell": None, "lang": "ru"}
    made = await post_ok(programme_client, "/provider/invite-family", body, headers=provider.headers)
    token = made["invitation_id"]
    assert made["path"] == f"/invite/family/{token}"

    anonymous = (await programme_client.get(f"/provider/family-invite/{token}")).json()
    assert anonymous["children"] is None
    assert (anonymous["accepted"], anonymous["remaining_slots"]) == (False, 2)
    assert anonymous["provider"]["id"] == provider.id
    shown = (await programme_client.get(f"/provider/family-invite/{token}", headers=family.headers)).json()
    assert {c["id"] for c in shown["children"]} == set(family.child_ids)
    assert shown["is_already_provider"] is False

    url = f"/provider/family-invite/{token}/accept"
    too_many = await programme_client.post(url, json={"child_ids": family.child_ids}, headers=family.headers)
    assert (too_many.status_code, too_many.json()["code"]) == (400, "provider_at_capacity")
    not_ours = await programme_client.post(
        url, json={"child_ids": stranger.child_ids}, headers=family.headers
    )
    assert not_ours.status_code == 404
    none = await programme_client.post(url, json={"child_ids": []}, headers=family.headers)
    assert (none.status_code, none.json()["code"]) == (400, "no_children_chosen")
    assert (
        await db_rows(
            settings, "SELECT * FROM provider_child_links WHERE provider_id = $1::uuid", provider.id
        )
        == []
    )

    chosen = family.child_ids[:2]
    accepted = await programme_client.post(url, json={"child_ids": chosen}, headers=family.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"accepted": True, "linked_child_ids": chosen, "not_linked_child_ids": []}
    shown = (await programme_client.get(f"/provider/family-invite/{token}", headers=family.headers)).json()
    assert (shown["accepted"], shown["is_already_provider"], shown["remaining_slots"]) == (True, True, 0)
    assert [c["id"] for c in shown["children"]] == family.child_ids[2:]


async def test_bad_invitations_are_refused_and_change_nothing(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    family = await _family(programme_client, minter, fake_clerk, "bad", children=1)
    provider = await _provider(programme_client, minter, fake_clerk, "bad")
    other = await _family(programme_client, minter, fake_clerk, "badx", children=1)
    for body in (
        _invite("pat@x.org", []),
        _invite("not-an-email", family.child_ids),
        _invite("pat@x.org", family.child_ids, cell="3035550100"),
        {**_invite("pat@x.org", family.child_ids), "lang": "fr"},
        {**_invite("pat@x.org", family.child_ids), "extra": 1},
    ):
        response = await programme_client.post("/family/invite-provider", json=body, headers=family.headers)
        assert response.status_code == 400, (body, response.text)
    stranger = await programme_client.post(
        "/family/invite-provider", json=_invite("pat@x.org", other.child_ids), headers=family.headers
    )
    assert stranger.status_code == 404
    by_provider = await programme_client.post(
        "/family/invite-provider", json=_invite("pat@x.org", family.child_ids), headers=provider.headers
    )
    assert by_provider.status_code == 403
    assert (
        await programme_client.post("/family/invite-provider", json=_invite("p@x.org", []))
    ).status_code == 401
    for token in ("00000000-0000-4000-8000-000000000000", "not-a-token"):
        assert (await programme_client.get(f"/family/provider-invite/{token}")).status_code == 404
        assert (await programme_client.get(f"/provider/family-invite/{token}")).status_code == 404
        accept = await programme_client.post(
            f"/family/provider-invite/{token}/accept", headers=provider.headers
        )
        assert accept.status_code == 404
    assert await db_rows(settings, "SELECT * FROM invitations") == []
    assert await db_rows(settings, "SELECT * FROM messages WHERE about_type = 'invitation'") == []
    # A provider's invite is not a family's: its link does not open on the other path.
    made = await post_ok(
        programme_client,
        "/provider/invite-family",
        {"family_email": "a@x.org", "family_cell": None},
        headers=provider.headers,
    )
    assert (await programme_client.get(f"/family/provider-invite/{made['invitation_id']}")).status_code == 404
    wrong = await programme_client.post(
        f"/family/provider-invite/{made['invitation_id']}/accept", headers=provider.headers
    )
    assert (wrong.status_code, wrong.json()["code"]) == (400, "wrong_invitation")
