"""The console's accounts: the list (search, role and deactivated filters, its CSV), one account with its
roles changed and deactivated or reactivated through ``change_account`` (on the audit log, mirrored to the
fake Clerk), what a deactivated person then meets (the API's 403, the console's refusal), and the refusals
(staff locking themselves out, an unknown role, an unknown account) as readable pages changing nothing."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.e2e.console_support import STAFF, csrf, csv_rows, readable_refusal, sign_in_staff
from tests.e2e.identity_support import OPERATOR, create_account, deactivate, signed_in_as
from tests.e2e.programme_support import Client, household
from tests.e2e.test_clerk_webhooks import envelope, sign
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter


async def _audit_count(sessions: async_sessionmaker[AsyncSession], record_id: str) -> int:
    async with sessions() as session:
        found = await session.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'account.changed' AND record_id = :id"),
            {"id": record_id},
        )
    return int(found.scalar_one())


async def test_the_list_searches_and_filters_and_its_csv_keeps_the_filters(
    client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    await sign_in_staff(client, minter)
    await create_account(client, "user_fam1", "family", email="rosa@x.org")
    await create_account(client, "user_prov1", "provider", email="kim@x.org")
    await create_account(client, "user_old", "family", email="gone@x.org")
    await deactivate(client, "user_old")

    page = await client.get("/console/accounts")
    assert page.status_code == 200, page.text
    for email in ("rosa@x.org", "kim@x.org", "gone@x.org"):
        assert email in page.text
    assert "/console/accounts/user_fam1" in page.text
    assert "rosa@x.org" not in (await client.get("/console/accounts", params={"role": "provider"})).text
    searched = await client.get("/console/accounts", params={"q": "prov1"})
    assert "kim@x.org" in searched.text
    assert "rosa@x.org" not in searched.text
    rows = csv_rows(
        (await client.get("/console/accounts.csv", params={"role": "family", "deactivated": "yes"})).text
    )
    assert [(r["clerk_user_id"], r["status"], r["roles"]) for r in rows] == [
        ("user_old", "deactivated", "family")
    ]
    active = csv_rows(
        (await client.get("/console/accounts.csv", params={"deactivated": "no", "q": "@X.ORG"})).text
    )
    assert {r["clerk_user_id"] for r in active} == {"user_fam1", "user_prov1", STAFF}


async def test_staff_change_roles_and_it_is_on_the_audit_log_and_in_clerk(
    client: Client, minter: TokenMinter, fake_clerk: FakeClerk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    fake_clerk.add_user("user_fam1", "rosa@x.org")
    await create_account(client, "user_fam1", "family", email="rosa@x.org")
    token = await csrf(client)

    page = await client.get("/console/accounts/user_fam1")
    assert page.status_code == 200
    assert 'value="family" checked' in page.text
    changed = await client.post(
        "/console/accounts/user_fam1/roles", data={"_csrf_token": token, "role": ["family", "provider"]}
    )
    assert changed.status_code == 200, changed.text
    assert "with roles family, provider (on the audit log)" in changed.text
    assert fake_clerk.users["user_fam1"]["public_metadata"]["types"] == ["family", "provider"]
    audit = await client.get("/console/audit", params={"record_id": "user_fam1"})
    assert audit.text.count("account.changed") == 1
    assert "console:user_staff" in audit.text
    assert await _audit_count(sessions, "user_fam1") == 1


async def test_a_deactivated_family_is_refused_by_the_api_until_reactivated(
    client: Client, minter: TokenMinter, fake_clerk: FakeClerk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    await create_account(client, "user_fam1", "family", email="rosa@x.org")
    family = signed_in_as(minter, "user_fam1")
    assert (await client.get("/auth/me", headers=family)).status_code == 200
    token = await csrf(client)

    off = await client.post("/console/accounts/user_fam1/deactivate", data={"_csrf_token": token})
    assert off.status_code == 200
    assert "is deactivated" in off.text
    me = await client.get("/auth/me", headers=family)
    assert (me.status_code, me.json()["code"]) == (403, "account_deactivated")

    on = await client.post("/console/accounts/user_fam1/reactivate", data={"_csrf_token": token})
    assert on.status_code == 200
    assert "is active" in on.text
    assert (await client.get("/auth/me", headers=family)).status_code == 200
    assert await _audit_count(sessions, "user_fam1") == 2


async def test_a_deactivated_admin_is_refused_by_the_console_until_reactivated(
    client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    await sign_in_staff(client, minter)
    await create_account(client, "user_other", "admin", email="other@x.org")
    token = await csrf(client)
    off = await client.post("/console/accounts/user_other/deactivate", data={"_csrf_token": token})
    assert off.status_code == 200, off.text

    client.cookies.set("__session", minter.token("user_other"))
    refused = await client.get("/console/accounts")
    assert refused.status_code == 403
    assert "This account is deactivated." in refused.text
    assert readable_refusal(refused.text)

    client.cookies.set("__session", minter.token(STAFF))
    await client.post("/console/accounts/user_other/reactivate", data={"_csrf_token": token})
    client.cookies.set("__session", minter.token("user_other"))
    assert (await client.get("/console/accounts")).status_code == 200


async def test_staff_cannot_lock_themselves_out_and_nothing_changes(
    client: Client, minter: TokenMinter, fake_clerk: FakeClerk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    token = await csrf(client)

    off = await client.post(f"/console/accounts/{STAFF}/deactivate", data={"_csrf_token": token})
    assert off.status_code == 400
    assert "You cannot deactivate your own account; ask another member of staff." in off.text
    demoted = await client.post(
        f"/console/accounts/{STAFF}/roles", data={"_csrf_token": token, "role": "family"}
    )
    assert demoted.status_code == 400
    assert "You cannot remove your own admin role" in demoted.text
    assert readable_refusal(demoted.text)

    assert await _audit_count(sessions, STAFF) == 0
    page = await client.get(f"/console/accounts/{STAFF}")  # still an active admin: the console still opens
    assert page.status_code == 200
    assert '<dd id="roles">admin</dd>' in page.text
    assert '<dd id="status" class="">active</dd>' in page.text


async def test_a_bad_role_and_an_unknown_account_are_readable_refusals(
    client: Client, minter: TokenMinter, fake_clerk: FakeClerk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    await create_account(client, "user_fam1", "family", email="rosa@x.org")
    token = await csrf(client)

    bad = await client.post(
        "/console/accounts/user_fam1/roles", data={"_csrf_token": token, "role": "superuser"}
    )
    assert bad.status_code == 400
    assert "Unknown role &#39;superuser&#39;" in bad.text
    assert readable_refusal(bad.text)
    assert await _audit_count(sessions, "user_fam1") == 0
    assert '<dd id="roles">family</dd>' in bad.text

    missing = await client.get("/console/accounts/user_nobody")
    assert missing.status_code == 404
    assert "No account for user_nobody." in missing.text
    assert readable_refusal(missing.text)
    posted = await client.post("/console/accounts/user_nobody/deactivate", data={"_csrf_token": token})
    assert posted.status_code == 404
    assert "No account for user_nobody." in posted.text


async def test_an_account_is_found_by_its_familys_or_providers_name_and_links_to_their_pages(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    await sign_in_staff(programme_client, minter)
    home = await household(programme_client, minter, fake_clerk, "qx")

    by_guardian = csv_rows(
        (await programme_client.get("/console/accounts.csv", params={"q": "ana qx doe"})).text
    )
    assert [r["clerk_user_id"] for r in by_guardian] == [home.family_user]
    by_provider = csv_rows(
        (await programme_client.get("/console/accounts.csv", params={"q": "care qx"})).text
    )
    assert [(r["clerk_user_id"], r["provider_id"]) for r in by_provider] == [
        (home.provider_user, home.provider_id)
    ]
    page = await programme_client.get(f"/console/accounts/{home.family_user}")
    assert f'href="/console/families/{home.family_id}"' in page.text


async def test_pending_accounts_are_listed_by_email_until_their_person_signs_up(
    client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    await sign_in_staff(client, minter)
    for email, roles in [("dana@x.org", ["provider"]), ("eli_100%@x.org", ["family"])]:
        made = await client.post("/admin/accounts", json={"email": email, "roles": roles}, headers=OPERATOR)
        assert made.status_code == 201, made.text
    accounts = await client.get("/console/accounts")
    assert 'href="/console/pending-accounts"' in accounts.text
    page = await client.get("/console/pending-accounts")
    assert page.status_code == 200, page.text
    assert "dana@x.org" in page.text
    assert "eli_100%@x.org" in page.text
    # The search takes % and _ as themselves.
    searched = await client.get("/console/pending-accounts", params={"q": "_100%"})
    assert "eli_100%@x.org" in searched.text
    assert "dana@x.org" not in searched.text
    assert "dana@x.org" not in (await client.get("/console/pending-accounts", params={"q": "a_a"})).text
    rows = csv_rows((await client.get("/console/pending-accounts.csv", params={"q": "DANA"})).text)
    assert [(r["email"], r["roles"]) for r in rows] == [("dana@x.org", "provider")]

    # Dana signs up: the account is hers, no longer waiting.
    fake_clerk.add_user("user_dana", "dana@x.org")
    body = envelope("user.created", user_id="user_dana", email="dana@x.org")
    linked = await client.post("/webhooks/clerk", content=body, headers=sign(body))
    assert linked.json()["outcome"] == "linked"
    rows = csv_rows((await client.get("/console/pending-accounts.csv")).text)
    assert [r["email"] for r in rows] == ["eli_100%@x.org"]
    assert "dana@x.org" in (await client.get("/console/accounts", params={"q": "dana"})).text
