"""Payment history with the frontend's shapes (frontend-contract §2.3, §2.14): newest first, string ids,
``Z`` datetimes, full-date months, and payments in progress or failed listed with their real status."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from tests.e2e.payment_support import days_from, payable_household, schedule, submit_path
from tests.e2e.programme_support import FIRST_OPEN_DAY, HALF, NOW, Client
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
FAMILY_KEYS = {
    "payment_id", "intent_id", "created_at", "amount_cents", "status", "payment_status", "provider_name",
    "provider_supabase_id", "child_name", "child_supabase_id", "month", "payment_type", "payment_method",
    "care_days", "lump_sum",
}  # fmt: skip
PROVIDER_KEYS = {
    "payment_id", "intent_id", "created_at", "amount_cents", "status", "payment_status", "child_name",
    "child_id", "month", "payment_method", "payment_type", "care_days", "lump_sum",
}  # fmt: skip


async def test_histories_list_every_payment_newest_first_with_its_real_status(
    programme_client: Client,
    clock: FixedClock,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    sandbox = SandboxGateway(sessions)
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "hist")
    first, second, third, fourth = days_from(FIRST_OPEN_DAY, 4)
    before = await programme_client.get("/family/payments", headers=home.family_headers)
    assert before.json() == {"payments": [], "total_count": 0, "total_amount_cents": 0}

    await schedule(programme_client, home, [first, second])
    assert (await programme_client.post(submit_path(home), headers=home.family_headers)).status_code == 200
    clock.current = NOW + timedelta(minutes=1)
    await schedule(programme_client, home, [third])
    await sandbox.fail_next(Fault.TIMEOUT, operation="transfer_to_provider")
    assert (await programme_client.post(submit_path(home), headers=home.family_headers)).status_code == 202
    clock.current = NOW + timedelta(minutes=2)
    await schedule(programme_client, home, [fourth], kind="Full Day")
    await sandbox.fail_next(Fault.DECLINED, operation="transfer_to_provider")
    assert (await programme_client.post(submit_path(home), headers=home.family_headers)).status_code == 400

    response = await programme_client.get("/family/payments", headers=home.family_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total_count"], body["total_amount_cents"]) == (3, 2 * HALF)  # only what moved
    payments = body["payments"]
    assert [set(p) for p in payments] == [FAMILY_KEYS] * 3
    assert [(p["status"], p["payment_status"], p["amount_cents"]) for p in payments] == [
        ("failed", "failed", 2 * HALF),
        ("pending", "retrying", HALF),
        ("success", "paid", 2 * HALF),
    ]
    paid = payments[2]
    assert paid["payment_id"] != paid["intent_id"]
    assert (paid["child_supabase_id"], paid["provider_supabase_id"]) == (home.child_id, home.provider_id)
    assert (paid["month"], paid["payment_type"], paid["payment_method"], paid["lump_sum"]) == (
        "2025-01-01",
        "care_days",
        "card",
        None,
    )
    assert paid["care_days"] == [
        {"date": day.isoformat(), "type": "Half Day", "amount_cents": HALF, "amount_missing_cents": None}
        for day in (first, second)
    ]
    assert payments[0]["care_days"][0]["type"] == "Full Day"
    assert all(UTC_Z.match(p["created_at"]) for p in payments)
    assert payments[0]["payment_id"] == payments[0]["intent_id"]  # not paid: keyed by its intent

    for_provider = await programme_client.get("/provider/payments", headers=home.provider_headers)
    assert for_provider.status_code == 200, for_provider.text
    seen = for_provider.json()
    assert (seen["total_count"], seen["total_amount_cents"], seen["successful_payments_cents"]) == (
        3,
        2 * HALF,
        2 * HALF,
    )
    assert [set(p) for p in seen["payments"]] == [PROVIDER_KEYS] * 3
    assert [p["payment_status"] for p in seen["payments"]] == ["failed", "retrying", "paid"]
    assert {p["child_id"] for p in seen["payments"]} == {home.child_id}

    # Another family or provider sees none of it.
    other = await payable_household(programme_client, minter, fake_clerk, sessions, "hist2")
    theirs = await programme_client.get("/family/payments", headers=other.family_headers)
    assert theirs.json()["payments"] == []
    theirs = await programme_client.get("/provider/payments", headers=other.provider_headers)
    assert theirs.json()["payments"] == []
