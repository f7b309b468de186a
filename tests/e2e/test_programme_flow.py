"""The programme end to end through HTTP: staff push records, people are onboarded, a provider sets
rates, a family schedules care days and reads its month. JSON types are checked as the frontend's zod
schemas check them (string vs integer ids, plain dates, datetimes ending in Z)."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.identity_support import OPERATOR, create_account, signed_in_as
from tests.e2e.programme_support import FIRST_OPEN_DAY, FULL, HALF, Client, household
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Z_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def assert_care_day_shape(day: dict[str, Any]) -> None:
    assert isinstance(day["id"], int)
    assert isinstance(day["care_month_allocation_id"], int)
    assert isinstance(day["provider_supabase_id"], str)
    assert DATE.match(day["date"])
    assert day["type"] in ("Full Day", "Half Day")
    for key in ("created_at", "updated_at", "locked_date"):
        assert Z_DATETIME.match(day[key]), (key, day[key])
    for key in ("deleted_at", "last_submitted_at"):
        assert day[key] is None or Z_DATETIME.match(day[key])
    for key in (
        "is_locked",
        "is_deleted",
        "is_partial_payment",
        "needs_submission",
        "payment_distribution_requested",
    ):
        assert isinstance(day[key], bool)
    assert isinstance(day["amount_cents"], int)
    assert isinstance(day["day_count"], float | int)
    assert day["status"] in ("needs_submission", "submitted", "deleted")


async def test_a_family_schedules_changes_and_removes_care_days(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    h = await household(programme_client, minter, fake_clerk, "a")
    day = FIRST_OPEN_DAY.isoformat()
    body = {"allocation_id": h.allocation_id, "provider_id": h.provider_id, "date": day, "type": "Half Day"}
    created = await programme_client.post("/care-days", json=body, headers=h.family_headers)
    assert created.status_code == 201, created.text
    care_day = created.json()
    assert_care_day_shape(care_day)
    assert (care_day["amount_cents"], care_day["status"], care_day["is_locked"]) == (
        HALF,
        "needs_submission",
        False,
    )
    assert care_day["locked_date"] == "2025-01-07T06:59:59Z"  # Monday 6 January 23:59:59 in Denver

    changed = await programme_client.put(
        f"/care-days/{care_day['id']}", json={"type": "Full Day"}, headers=h.family_headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["type"], changed.json()["amount_cents"], changed.json()["day_count"]) == (
        "Full Day",
        FULL,
        1.0,
    )

    month = (
        await programme_client.get(f"/child/{h.child_id}/allocation/1/2025", headers=h.family_headers)
    ).json()
    assert (month["allocation_cents"], month["remaining_unselected_cents"]) == (60_000, 60_000 - FULL)
    assert (
        month["remaining_unpaid_cents"],
        month["total_reclaimed_cents"],
        month["net_allocation_cents"],
    ) == (60_000, 0, 60_000)
    assert month["date"] == "2025-01-01"
    assert month["child_supabase_id"] == h.child_id
    assert (month["locked_until_date"], month["locked_past_date"]) == ("2025-01-05", "2025-01-13")
    assert isinstance(month["id"], int)
    assert Z_DATETIME.match(month["created_at"])
    assert Z_DATETIME.match(month["updated_at"])
    assert [d["id"] for d in month["care_days"]] == [care_day["id"]]

    removed = await programme_client.delete(f"/care-days/{care_day['id']}", headers=h.family_headers)
    assert removed.status_code == 204
    month = (
        await programme_client.get(f"/child/{h.child_id}/allocation/1/2025", headers=h.family_headers)
    ).json()
    assert month["remaining_unselected_cents"] == 60_000
    assert month["care_days"][0]["status"] == "deleted"
    assert month["care_days"][0]["is_deleted"] is True
    assert Z_DATETIME.match(month["care_days"][0]["deleted_at"])

    # Clicking a removed day calls create again: the day comes back, same id.
    restored = await programme_client.post("/care-days", json=body, headers=h.family_headers)
    assert restored.status_code == 201
    assert restored.json()["id"] == care_day["id"]
    assert restored.json()["deleted_at"] is None

    by_provider = await programme_client.get(
        f"/provider/{h.provider_id}/allocated_care_days",
        params={"childId": h.child_id, "startDate": "2025-01-01", "endDate": "2025-01-31"},
        headers=h.provider_headers,
    )
    assert by_provider.status_code == 200, by_provider.text
    assert list(by_provider.json()) == [h.child_id]
    assert_care_day_shape(by_provider.json()[h.child_id][0])


async def test_the_frontend_status_codes_for_refusals(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    h = await household(programme_client, minter, fake_clerk, "b")
    headers = h.family_headers
    missing = await programme_client.get(f"/child/{h.child_id}/allocation/6/2025", headers=headers)
    assert (missing.status_code, missing.json()["error"]) == (400, "Allocation not found")
    assert set(missing.json()) == {"error", "code", "details"}
    past = {
        "allocation_id": h.allocation_id,
        "provider_id": h.provider_id,
        "date": "2025-01-02",
        "type": "Half Day",
    }
    locked = await programme_client.post("/care-days", json=past, headers=headers)
    assert (locked.status_code, locked.json()["code"]) == (403, "care_day_locked")
    february = await programme_client.post("/care-days", json={**past, "date": "2025-02-03"}, headers=headers)
    assert (february.status_code, february.json()["code"]) == (400, "care_day_outside_allocation_month")
    bad_date = await programme_client.post("/care-days", json={**past, "date": "2025-1-7"}, headers=headers)
    assert bad_date.status_code == 400
    bad_type = await programme_client.post(
        "/care-days", json={**past, "type": "Quarter Day"}, headers=headers
    )
    assert bad_type.status_code == 400
    bad_month = await programme_client.get(f"/child/{h.child_id}/allocation/13/2025", headers=headers)
    assert bad_month.status_code == 400
    assert bad_month.json()["details"] == {"field": "month"}
    bad_range = await programme_client.get(
        f"/provider/{h.provider_id}/allocated_care_days",
        params={"startDate": "01/02/2025"},
        headers=h.provider_headers,
    )
    assert bad_range.status_code == 400
    assert bad_range.json()["details"] == {"field": "startDate"}


async def test_payment_rates_are_set_once_and_read_by_family_and_provider(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    h = await household(programme_client, minter, fake_clerk, "c", rates=False)
    path = f"/payment-rates/{h.provider_id}/{h.child_id}"
    none_yet = await programme_client.get(path, headers=h.family_headers)
    assert (none_yet.status_code, none_yet.json()["error"]) == (404, "Payment rate not found")
    no_rate_day = {
        "allocation_id": h.allocation_id,
        "provider_id": h.provider_id,
        "date": "2025-01-08",
        "type": "Half Day",
    }
    refused = await programme_client.post("/care-days", json=no_rate_day, headers=h.family_headers)
    assert refused.status_code == 400

    rates = {"half_day_rate_cents": 5_000, "full_day_rate_cents": 9_000}
    too_high = await programme_client.post(
        f"/payment-rates/{h.child_id}",
        json={**rates, "full_day_rate_cents": 16_001},
        headers=h.provider_headers,
    )
    assert too_high.status_code == 400
    assert too_high.json()["details"] == {"field": "full_day_rate_cents"}
    created = await programme_client.post(
        f"/payment-rates/{h.child_id}", json=rates, headers=h.provider_headers
    )
    assert created.status_code == 201, created.text
    assert isinstance(created.json()["id"], int)
    again = await programme_client.post(
        f"/payment-rates/{h.child_id}", json=rates, headers=h.provider_headers
    )
    assert again.status_code == 400
    assert again.json()["code"] == "payment_rate_exists"
    for headers in (h.family_headers, h.provider_headers):
        read = await programme_client.get(path, headers=headers)
        assert read.status_code == 200
        assert read.json()["half_day_rate_cents"] == 5_000
        assert read.json()["full_day_rate_cents"] == 9_000

    # A signed-in admin may change them, naming the provider; an API key is not a sign-in here.
    staff = {"half_day_rate_cents": 6_000, "full_day_rate_cents": 9_000, "provider_id": h.provider_id}
    by_key = await programme_client.post(f"/payment-rates/{h.child_id}", json=staff, headers=OPERATOR)
    assert by_key.status_code == 401
    await create_account(programme_client, "user_staffc", "admin")
    admin = signed_in_as(minter, "user_staffc")
    changed = await programme_client.post(f"/payment-rates/{h.child_id}", json=staff, headers=admin)
    assert changed.status_code == 201
    assert changed.json()["half_day_rate_cents"] == 6_000


async def test_dashboards_show_what_the_frontend_reads(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    h = await household(programme_client, minter, fake_clerk, "d")
    default = await programme_client.get("/family/default_child_id", headers=h.family_headers)
    assert default.json() == {"child_id": h.child_id}
    home = await programme_client.get(f"/family/{h.child_id}", headers=h.family_headers)
    assert home.status_code == 200, home.text
    data = home.json()
    assert data == (await programme_client.get("/family", headers=h.family_headers)).json()
    assert data["selected_child_info"]["id"] == h.child_id
    assert data["selected_child_info"]["is_payment_enabled"] is True
    assert data["providers"] == [
        {
            "id": h.provider_id,
            "name": "Care d",
            "status": "approved",
            "type": "ffn",
            "is_payment_enabled": True,
            "is_payable": False,
            "attendance_is_overdue": False,
        }
    ]
    assert data["children"] == [{"id": h.child_id, "first_name": "Kid0 d", "last_name": "Doe"}]
    assert data["notifications"] == []
    assert (data["is_also_provider"], data["can_make_payments"], data["attendance_due"]) == (
        False,
        False,
        False,
    )

    provider = (await programme_client.get("/provider", headers=h.provider_headers)).json()
    assert provider["provider_info"]["id"] == h.provider_id
    assert provider["provider_info"]["type"] == "ffn"
    assert provider["provider_info"]["is_payable"] is False
    assert provider["provider_info"]["cpr_certified"] is None
    assert provider["children"] == [
        {
            "id": h.child_id,
            "first_name": "Kid0 d",
            "last_name": "Doe",
            "half_day_rate_cents": HALF,
            "full_day_rate_cents": FULL,
        }
    ]
    assert (provider["curriculum"], provider["notifications"], provider["max_child_count"]) == (None, [], 2)
    assert provider["is_also_family"] is False

    # The provider's wrong-role call is a 403, never a 401 (which would sign the person out).
    assert (await programme_client.get("/family", headers=h.provider_headers)).status_code == 403
    assert (await programme_client.get("/provider", headers=h.family_headers)).status_code == 403
