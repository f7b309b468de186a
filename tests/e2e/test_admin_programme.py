"""The admin API for reference data: create with nested guardians and children, upsert by external_id,
field-named validation, pagination, partial changes and the provider's capacity."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import Client, family_body, post_ok, provider_body


async def test_a_family_is_created_then_updated_by_external_id(
    programme_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cap_portal")  # the change log lines must be writable
    created = await programme_client.post(
        "/admin/families", json=family_body("x", children=2), headers=OPERATOR
    )
    assert created.status_code == 201, created.text
    family = created.json()
    assert isinstance(family["id"], str)
    assert all(isinstance(g["id"], str) for g in family["guardians"])
    assert [c["dob"] for c in family["children"]] == ["2021-05-04", "2021-05-04"]
    assert all(c["family_id"] == family["id"] for c in family["children"])

    again = await programme_client.post(
        "/admin/families", json=family_body("x", children=2, zip="80202"), headers=OPERATOR
    )
    assert again.status_code == 200
    assert again.json()["id"] == family["id"]
    assert [c["id"] for c in again.json()["children"]] == [c["id"] for c in family["children"]]
    assert again.json()["guardians"][0]["id"] == family["guardians"][0]["id"]
    assert again.json()["zip"] == "80202"

    read = await programme_client.get(f"/admin/families/{family['id']}", headers=OPERATOR)
    assert read.json() == again.json()
    child_id = family["children"][0]["id"]
    patched = await programme_client.patch(
        f"/admin/children/{child_id}", json={"payment_enabled": False, "status": "Hold"}, headers=OPERATOR
    )
    assert patched.status_code == 200
    assert (patched.json()["payment_enabled"], patched.json()["status"]) == (False, "Hold")
    assert patched.json()["first_name"] == family["children"][0]["first_name"]
    changed = await programme_client.patch(
        f"/admin/families/{family['id']}", json={"language": "es", "zip": None}, headers=OPERATOR
    )
    assert (changed.json()["language"], changed.json()["zip"]) == ("es", None)


async def test_validation_errors_name_the_field(programme_client: Client) -> None:
    bad_phone = family_body("v")
    bad_phone["guardians"][0]["phone_number"] = "303-555-0100"
    refused = await programme_client.post("/admin/families", json=bad_phone, headers=OPERATOR)
    assert refused.status_code == 400
    assert refused.json()["details"] == {"field": "guardians[0].phone_number"}

    bad_cents = family_body("w")
    bad_cents["children"][0]["monthly_allocation_cents"] = 150_000
    refused = await programme_client.post("/admin/families", json=bad_cents, headers=OPERATOR)
    assert refused.status_code == 400
    assert refused.json()["details"] == {"field": "children[0].monthly_allocation_cents"}

    bad_type = family_body("y")
    bad_type["children"][0]["dob"] = "04/05/2021"
    refused = await programme_client.post("/admin/families", json=bad_type, headers=OPERATOR)
    assert refused.status_code == 400
    assert refused.json()["details"][0]["key"] == "children[0].dob"

    bad_provider = await programme_client.post(
        "/admin/providers", json=provider_body("z", type="nanny"), headers=OPERATOR
    )
    assert bad_provider.status_code == 400
    assert bad_provider.json()["details"][0]["key"] == "type"


async def test_lists_come_a_page_at_a_time(
    programme_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cap_portal")
    for tag in "abc":
        await post_ok(programme_client, "/admin/providers", provider_body(tag))
    first = (await programme_client.get("/admin/providers", params={"limit": 2}, headers=OPERATOR)).json()
    assert [p["name"] for p in first["items"]] == ["Care a", "Care b"]
    assert first["next_offset"] == 2
    rest = await programme_client.get("/admin/providers", params={"limit": 2, "offset": 2}, headers=OPERATOR)
    assert [p["name"] for p in rest.json()["items"]] == ["Care c"]
    assert rest.json()["next_offset"] is None
    too_many = await programme_client.get("/admin/families", params={"limit": 1000}, headers=OPERATOR)
    assert too_many.status_code == 400


async def test_a_provider_cares_for_at_most_its_capacity(
    programme_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cap_portal")
    provider = await post_ok(programme_client, "/admin/providers", provider_body("cap"))
    family = await post_ok(programme_client, "/admin/families", family_body("cap", children=3))
    paths = [f"/admin/providers/{provider['id']}/children/{c['id']}" for c in family["children"]]
    for path in paths[:2]:
        linked = await programme_client.put(path, headers=OPERATOR)
        assert (linked.status_code, linked.json()["changed"]) == (200, True)
    repeat = await programme_client.put(paths[0], headers=OPERATOR)
    assert (repeat.status_code, repeat.json()["changed"]) == (200, False)
    full = await programme_client.put(paths[2], headers=OPERATOR)
    assert (full.status_code, full.json()["code"]) == (409, "provider_at_capacity")
    unlinked = await programme_client.delete(paths[0], headers=OPERATOR)
    assert (unlinked.status_code, unlinked.json()["linked"]) == (200, False)
    assert (await programme_client.put(paths[2], headers=OPERATOR)).status_code == 200
    read = await programme_client.get(f"/admin/providers/{provider['id']}", headers=OPERATOR)
    assert sorted(read.json()["child_ids"]) == sorted(c["id"] for c in family["children"][1:])
    renamed = await programme_client.patch(
        f"/admin/providers/{provider['id']}", json={"name": "New name"}, headers=OPERATOR
    )
    assert renamed.json()["name"] == "New name"
    assert renamed.json()["type"] == "ffn"
