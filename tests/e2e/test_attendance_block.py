"""The payment block through the real routes (upstream §2.5): overdue attendance refuses a submit and a
lump sum with a 400 naming the weeks, the dashboards say so (``attendance_due``, ``attendance_is_overdue``,
the ``attendance`` notification), and entering the attendance lifts it — the provider's side only a
week later (one week's grace)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.e2e.attendance_support import MONDAY_AFTER, WEEK, create_week, paid_household
from tests.e2e.payment_support import days_from, payable_household, schedule, submit_path
from tests.e2e.programme_support import Client, Household
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter


async def _home(client: Client, home: Household) -> dict[str, Any]:
    response = await client.get(f"/family/{home.child_id}", headers=home.family_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _provider_notices(client: Client, home: Household) -> list[str]:
    response = await client.get("/provider", headers=home.provider_headers)
    assert response.status_code == 200, response.text
    return [n["type"] for n in response.json()["notifications"]]


async def _enter(client: Client, home: Household, side: str) -> None:
    headers = home.family_headers if side == "family" else home.provider_headers
    listed = await client.get(f"/{side}/attendance", headers=headers)
    body = {
        "attendance": [{"id": r["id"], "full_days": 3, "half_days": 0} for r in listed.json()["attendance"]]
    }
    entered = await client.post(f"/{side}/attendance", json=body, headers=headers)
    assert entered.status_code == 200, entered.text


async def test_overdue_attendance_blocks_paying_until_it_is_entered(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    home = await paid_household(programme_client, minter, fake_clerk, sessions, "blk")
    before = await _home(programme_client, home)
    assert before["attendance_due"] is False
    assert before["providers"][0]["attendance_is_overdue"] is False

    # Monday 13 January: last week's record is made; the family's side blocks at once.
    clock.current = MONDAY_AFTER
    await create_week(sessions, clock)
    await schedule(programme_client, home, days_from(date(2025, 1, 14), 2))
    refused = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert (refused.status_code, refused.json()["code"]) == (400, "attendance_overdue"), refused.text
    assert WEEK.isoformat() in refused.json()["error"]
    assert refused.json()["details"]["weeks"] == [WEEK.isoformat()]
    blocked = await _home(programme_client, home)
    assert (blocked["attendance_due"], blocked["providers"][0]["attendance_is_overdue"]) == (True, True)
    assert "attendance" in [n["type"] for n in blocked["notifications"]]
    assert "attendance" in await _provider_notices(programme_client, home)

    # The family enters it: paying works again (the provider's own side has a week's grace).
    await _enter(programme_client, home, "family")
    lifted = await _home(programme_client, home)
    assert (lifted["attendance_due"], lifted["providers"][0]["attendance_is_overdue"]) == (False, False)
    assert "attendance" not in [n["type"] for n in lifted["notifications"]]
    paid = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert paid.status_code == 200, paid.text

    # A week later the provider's side of 6 January is past its grace: paying is blocked again, even once
    # the family has entered the week of 13 January, until the provider enters its side.
    clock.current = MONDAY_AFTER + timedelta(days=7)
    await create_week(sessions, clock, week=date(2025, 1, 13))
    await _enter(programme_client, home, "family")
    await schedule(programme_client, home, days_from(date(2025, 1, 21), 1))
    grace_over = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert (grace_over.status_code, grace_over.json()["code"]) == (400, "attendance_overdue")
    assert grace_over.json()["details"]["weeks"] == [WEEK.isoformat()]
    assert (await _home(programme_client, home))["providers"][0]["attendance_is_overdue"] is True
    await _enter(programme_client, home, "provider")
    assert (await programme_client.post(submit_path(home), headers=home.family_headers)).status_code == 200


async def test_a_lump_sum_is_refused_while_attendance_is_overdue(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    home = await payable_household(
        programme_client,
        minter,
        fake_clerk,
        sessions,
        "lump",
        rates=False,
        provider_fields={"type": "center"},
    )
    clock.current = MONDAY_AFTER
    await create_week(sessions, clock)  # a center: a record every week
    body = {
        "allocation_id": home.allocation_id,
        "provider_id": home.provider_id,
        "amount_cents": 10_000,
        "days": 2,
        "half_days": 0,
    }
    refused = await programme_client.post("/lump-sums", json=body, headers=home.family_headers)
    assert (refused.status_code, refused.json()["code"]) == (400, "attendance_overdue"), refused.text
    assert WEEK.isoformat() in refused.json()["error"]
    await _enter(programme_client, home, "family")
    created = await programme_client.post("/lump-sums", json=body, headers=home.family_headers)
    assert created.status_code == 201, created.text
