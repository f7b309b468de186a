"""Every admin API change is on the audit log, with what the record was and became, written in the
change's own transaction: pushes of families, children and providers, accounts, onboarding, staff's
payment rates and an operator's payment set-up. A refused change, or a repeat that changes nothing,
writes no entry."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.raw_pool import asyncpg_dsn
from tests import jobs_for_tests as test_jobs
from tests.e2e.identity_support import OPERATOR, create_account, signed_in_as
from tests.e2e.programme_support import Client, family_body, household, post_ok, provider_body
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter


async def _entries(database_url: str, record_type: str | None = None) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT * FROM audit_log WHERE $1::text IS NULL OR record_type = $1 ORDER BY id", record_type
        )
    finally:
        await connection.close()
    # asyncpg gives jsonb as text
    return [
        {
            **dict(row),
            "before": None if row["before"] is None else json.loads(row["before"]),
            "after": None if row["after"] is None else json.loads(row["after"]),
        }
        for row in rows
    ]


def _what(entries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["action"], e["record_id"], e["actor"]) for e in entries]


async def test_pushed_families_and_children_are_on_the_audit_log(
    programme_client: Client, database_url: str
) -> None:
    body = family_body("push")
    family = await post_ok(programme_client, "/admin/families", body)
    child_id = family["children"][0]["id"]
    created = await _entries(database_url)
    assert _what(created) == [
        ("family.created", family["id"], "admin-api:api-key"),
        ("child.created", child_id, "admin-api:api-key"),
    ]
    assert created[0]["before"] is None
    assert created[0]["after"]["guardian_0"] == "Ana push Doe (ana.push@x.org, +13035550100)"
    assert created[1]["after"]["monthly_allocation_cents"] == 120_000

    await post_ok(programme_client, "/admin/families", body, 200)  # the same push again: nothing changed
    assert len(await _entries(database_url)) == 2

    body["zip"] = "80202"
    body["children"][0]["monthly_allocation_cents"] = 100_000
    await post_ok(programme_client, "/admin/families", body, 200)
    family_change, child_change = (await _entries(database_url))[2:]
    assert (family_change["action"], family_change["before"]["zip_code"]) == ("family.changed", None)
    assert family_change["after"]["zip_code"] == "80202"
    assert child_change["action"] == "child.changed"
    assert (
        child_change["before"]["monthly_allocation_cents"],
        child_change["after"]["monthly_allocation_cents"],
    ) == (
        120_000,
        100_000,
    )

    body["children"][0]["monthly_allocation_cents"] = 10_000_000  # over the maximum: the push is refused
    refused = await programme_client.post("/admin/families", json=body, headers=OPERATOR)
    assert refused.status_code == 400, refused.text
    assert len(await _entries(database_url)) == 4


async def test_pushed_providers_are_on_the_audit_log(programme_client: Client, database_url: str) -> None:
    body = provider_body("push")
    provider = await post_ok(programme_client, "/admin/providers", body)
    await post_ok(programme_client, "/admin/providers", body, 200)
    await post_ok(programme_client, "/admin/providers", {**body, "name": "Care Renamed"}, 200)
    refused = await programme_client.post(
        "/admin/providers", json={**body, "email": "nope"}, headers=OPERATOR
    )
    assert refused.status_code == 400, refused.text
    entries = await _entries(database_url)
    assert _what(entries) == [
        ("provider.created", provider["id"], "admin-api:api-key"),
        ("provider.changed", provider["id"], "admin-api:api-key"),
    ]
    assert entries[0]["before"] is None
    assert (entries[1]["before"]["name"], entries[1]["after"]["name"]) == ("Care push", "Care Renamed")


async def test_account_changes_are_on_the_audit_log(
    programme_client: Client, database_url: str, minter: TokenMinter
) -> None:
    await create_account(programme_client, "user_boss", "admin")
    staff = signed_in_as(minter, "user_boss")
    await create_account(programme_client, "user_aud", "family")
    pending = await programme_client.post(
        "/admin/accounts", json={"email": "later@x.org", "roles": ["provider"]}, headers=staff
    )
    assert pending.status_code == 201, pending.text
    changed = await programme_client.patch(
        "/admin/accounts/user_aud", json={"roles": ["family", "admin"], "deactivated": True}, headers=staff
    )
    assert changed.status_code == 200, changed.text
    for refused_body in ({}, {"roles": ["emperor"]}):
        refused = await programme_client.patch("/admin/accounts/user_aud", json=refused_body, headers=staff)
        assert refused.status_code == 400, refused.text
    entries = await _entries(database_url)
    assert _what(entries) == [
        ("account.created", "user_boss", "admin-api:api-key"),
        ("account.created", "user_aud", "admin-api:api-key"),
        ("pending_account.created", "later@x.org", "admin-api:user_boss"),
        ("account.changed", "user_aud", "admin-api:user_boss"),
    ]
    assert entries[1]["before"] is None
    assert entries[1]["after"]["roles"] == "family"
    assert entries[2]["after"] == {"email": "later@x.org", "roles": "provider"}
    before, after = entries[3]["before"], entries[3]["after"]
    assert (before["roles"], before["deactivated"]) == ("family", False)
    assert (after["roles"], after["deactivated"]) == ("admin,family", True)


async def test_onboarding_rates_and_payment_set_up_are_on_the_audit_log(
    programme_client: Client, database_url: str, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await household(programme_client, minter, fake_clerk, "aud")
    # The application site linked both accounts; the provider set its own rates (not staff's: no entry).
    onboarded = await _entries(database_url, "account")
    assert _what(onboarded) == [
        ("account.onboarded", home.family_user, "admin-api:api-key"),
        ("account.onboarded", home.provider_user, "admin-api:api-key"),
    ]
    assert onboarded[0]["before"] is None
    assert (onboarded[0]["after"]["family_id"], onboarded[0]["after"]["roles"]) == (home.family_id, "family")
    assert await _entries(database_url, "payment_rate") == []
    again = {"clerk_user_id": home.family_user, "family_id": home.family_id}
    await post_ok(programme_client, "/family/onboard", again, 200)  # linked already: no entry
    unknown = {"clerk_user_id": home.family_user, "family_id": "00000000-0000-4000-8000-000000000000"}
    assert (await programme_client.post("/family/onboard", json=unknown, headers=OPERATOR)).status_code == 404
    assert len(await _entries(database_url, "account")) == 2

    await create_account(programme_client, "user_ratestaff", "admin")
    staff = signed_in_as(minter, "user_ratestaff")
    rates = {"half_day_rate_cents": 6_000, "full_day_rate_cents": 9_500, "provider_id": home.provider_id}
    changed = await programme_client.post(f"/payment-rates/{home.child_id}", json=rates, headers=staff)
    assert changed.status_code == 201, changed.text
    too_high = {**rates, "full_day_rate_cents": 10_000_000}
    refused = await programme_client.post(f"/payment-rates/{home.child_id}", json=too_high, headers=staff)
    assert refused.status_code == 400, refused.text
    [rate_entry] = await _entries(database_url, "payment_rate")
    assert (rate_entry["action"], rate_entry["actor"]) == ("payment_rate.changed", "admin-api:user_ratestaff")
    assert rate_entry["record_id"] == str(changed.json()["id"])
    assert rate_entry["before"]["half_day_rate_cents"] != 6_000
    assert (rate_entry["after"]["half_day_rate_cents"], rate_entry["after"]["full_day_rate_cents"]) == (
        6_000,
        9_500,
    )

    path = f"/provider/{home.provider_id}/initialize-payment"
    first = await programme_client.post(path, json={"payment_method": "card"}, headers=OPERATOR)
    assert first.status_code == 200, first.text
    again_setup = await programme_client.post(path, json={"payment_method": "card"}, headers=OPERATOR)
    assert again_setup.json()["already_exists"] is True  # nothing changed: no entry
    [setup] = await _entries(database_url, "provider_payment_settings")
    assert (setup["action"], setup["record_id"]) == ("provider_payment_settings.set_up", home.provider_id)
    assert setup["before"]["card"] is None
    assert setup["after"]["card"].startswith(first.json()["card_id"])
    assert setup["after"]["payment_method"] == "card"


async def test_a_refused_payment_set_up_writes_no_entry(
    programme_client: Client, database_url: str, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await household(programme_client, minter, fake_clerk, "off", rates=False)
    off = {"payment_enabled": False}
    assert (
        await programme_client.patch(f"/admin/providers/{home.provider_id}", json=off, headers=OPERATOR)
    ).status_code == 200
    path = f"/provider/{home.provider_id}/initialize-payment"
    refused = await programme_client.post(path, json={"payment_method": "card"}, headers=OPERATOR)
    assert refused.status_code == 400, refused.text
    assert await _entries(database_url, "provider_payment_settings") == []


@pytest.mark.usefixtures("redis")  # empty queues
async def test_the_job_apis_retries_cancels_and_schedule_deletes_are_on_the_audit_log(
    client: Client, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    failed = test_jobs.count_run.delay("audited")
    async with sessions.begin() as session:  # as a worker leaves a job after its last attempt
        await session.execute(
            text(
                "UPDATE jobs SET status = 'failed', attempts = 3, error = 'RuntimeError: down' WHERE id = :id"
            ),
            {"id": failed},
        )
    later = test_jobs.count_run.delay_in(timedelta(hours=1), "later")
    schedule_id = test_jobs.count_run.schedule_cron("0 0 * * 0", "weekly")

    assert (await client.post(f"/jobs/{failed}/retry", headers=OPERATOR)).status_code == 200
    assert (await client.post(f"/jobs/{failed}/retry", headers=OPERATOR)).status_code == 409  # queued now
    assert (await client.post(f"/jobs/{later}/cancel", headers=OPERATOR)).status_code == 200
    assert (await client.post(f"/jobs/{later}/cancel", headers=OPERATOR)).status_code == 409  # canceled
    assert (await client.delete(f"/schedules/{schedule_id}", headers=OPERATOR)).status_code == 200
    assert (await client.delete(f"/schedules/{schedule_id}", headers=OPERATOR)).status_code == 404

    entries = await _entries(database_url)
    assert _what(entries) == [
        ("job.retried", failed, "admin-api:api-key"),
        ("job.canceled", later, "admin-api:api-key"),
        ("schedule.deleted", schedule_id, "admin-api:api-key"),
    ]
    retried, canceled, deleted = entries
    assert (retried["before"]["status"], retried["before"]["attempts"]) == ("failed", 3)
    assert (retried["after"]["status"], retried["after"]["attempts"]) == ("queued", 0)
    assert (canceled["before"]["status"], canceled["after"]["status"]) == ("scheduled", "canceled")
    assert deleted["after"] is None
    assert deleted["before"] == {
        "job_name": "tests.count_run",
        "cron": "0 0 * * 0",
        "timezone": None,
        "args": '["weekly"]',
        "kwargs": "{}",
    }


async def test_a_push_changing_only_the_household_or_a_birth_date_is_on_the_audit_log(
    programme_client: Client, database_url: str
) -> None:
    body = family_body("size")
    await post_ok(programme_client, "/admin/families", body)
    body["size"] = 5
    body["children"][0]["dob"] = "2021-03-04"
    await post_ok(programme_client, "/admin/families", body, 200)
    family_change, child_change = (await _entries(database_url))[2:]
    assert (family_change["before"]["household_size"], family_change["after"]["household_size"]) == (None, 5)
    assert (child_change["before"]["date_of_birth"], child_change["after"]["date_of_birth"]) == (
        "2021-05-04",
        "2021-03-04",
    )


async def test_a_provider_push_changing_only_its_care_location_is_on_the_audit_log(
    programme_client: Client, database_url: str
) -> None:
    body = provider_body("where")
    await post_ok(programme_client, "/admin/providers", body)
    moved = {**body, "care_location_address_1": "1 Main St", "care_location_city": "Denver"}
    await post_ok(programme_client, "/admin/providers", moved, 200)
    [_, change] = await _entries(database_url)
    assert (change["action"], change["before"]["care_location"]) == ("provider.changed", None)
    assert change["after"]["care_location"] == "1 Main St, Denver"


async def test_a_push_refused_half_way_leaves_no_entry_for_what_it_had_written(
    programme_client: Client, database_url: str
) -> None:
    """The family's entry is written before its children are stored; a child that is another family's
    rolls the push back, and the entry with it (the entries are in the push's transaction)."""
    first = family_body("first")
    await post_ok(programme_client, "/admin/families", first)
    second = family_body("second")
    second["children"][0]["external_id"] = first["children"][0]["external_id"]
    refused = await programme_client.post("/admin/families", json=second, headers=OPERATOR)
    assert (refused.status_code, refused.json()["code"]) == (409, "external_id_taken"), refused.text
    assert [e["action"] for e in await _entries(database_url)] == ["family.created", "child.created"]
