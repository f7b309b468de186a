"""The audit log: a staff change writes its entry in the change's own transaction, a refused change
writes none, and the table refuses to be rewritten."""

from __future__ import annotations

import json

import asyncpg
import pytest

from adapters.postgres.raw_pool import asyncpg_dsn
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import Client, family_body, post_ok, provider_body


async def _entries(database_url: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # The pushes that set each test up are on the log too (test_audit_log_admin_api.py); these
        # tests are about the changes after them.
        rows: list[asyncpg.Record] = await connection.fetch(
            "SELECT * FROM audit_log WHERE action NOT LIKE '%.created' ORDER BY id"
        )
        return rows
    finally:
        await connection.close()


async def test_a_child_changed_through_the_admin_api_is_on_the_audit_log(
    programme_client: Client, database_url: str
) -> None:
    family = await post_ok(programme_client, "/admin/families", family_body("audit"))
    child_id = family["children"][0]["id"]
    changed = await programme_client.patch(
        f"/admin/children/{child_id}", json={"monthly_allocation_cents": 90_000}, headers=OPERATOR
    )
    assert changed.status_code == 200, changed.text
    refused = await programme_client.patch(
        f"/admin/children/{child_id}", json={"monthly_allocation_cents": 150_000}, headers=OPERATOR
    )
    assert refused.status_code == 400
    [entry] = await _entries(database_url)
    assert (entry["actor"], entry["action"], entry["record_type"], entry["record_id"]) == (
        "admin-api:api-key",
        "child.changed",
        "child",
        child_id,
    )
    before, after = json.loads(entry["before"]), json.loads(entry["after"])  # asyncpg gives jsonb as text
    assert after["monthly_allocation_cents"] == 90_000
    assert before["monthly_allocation_cents"] != 90_000
    assert {k for k in after if after[k] != before[k]} == {"monthly_allocation_cents"}


async def test_the_audit_log_cannot_be_rewritten(programme_client: Client, database_url: str) -> None:
    family = await post_ok(programme_client, "/admin/families", family_body("rewrite"))
    child_id = family["children"][0]["id"]
    await programme_client.patch(f"/admin/children/{child_id}", json={"first_name": "Bo"}, headers=OPERATOR)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await connection.execute("UPDATE audit_log SET actor = 'someone else'")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await connection.execute("DELETE FROM audit_log")
    finally:
        await connection.close()
    assert len(await _entries(database_url)) == 1


async def test_the_admin_apis_changes_are_on_the_audit_log(
    programme_client: Client, database_url: str
) -> None:
    family = await post_ok(programme_client, "/admin/families", family_body("api"))
    provider = await post_ok(programme_client, "/admin/providers", provider_body("api"))
    child_id, provider_id = family["children"][0]["id"], provider["id"]
    link = f"/admin/providers/{provider_id}/children/{child_id}"
    calls = [
        programme_client.patch(f"/admin/families/{family['id']}", json={"zip": "80202"}, headers=OPERATOR),
        programme_client.patch(
            f"/admin/providers/{provider_id}", json={"name": "Care Two"}, headers=OPERATOR
        ),
        programme_client.put(link, headers=OPERATOR),
        programme_client.put(link, headers=OPERATOR),  # linked already: no change, no entry
        programme_client.delete(link, headers=OPERATOR),
    ]
    for call in calls:
        assert (await call).status_code == 200
    entries = [(e["action"], e["record_id"], e["actor"]) for e in await _entries(database_url)]
    assert entries == [
        ("family.changed", family["id"], "admin-api:api-key"),
        ("provider.changed", provider_id, "admin-api:api-key"),
        ("provider_child_link.linked", f"{provider_id}:{child_id}", "admin-api:api-key"),
        ("provider_child_link.unlinked", f"{provider_id}:{child_id}", "admin-api:api-key"),
    ]
    family_entry = (await _entries(database_url))[0]
    before, after = json.loads(family_entry["before"]), json.loads(family_entry["after"])
    assert (before["zip_code"], after["zip_code"]) == (None, "80202")
    assert after["guardian_0"] == "Ana api Doe (ana.api@x.org, +13035550100)"
