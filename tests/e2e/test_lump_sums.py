"""Lump sums through the real route (frontend-contract §2.21) on the sandbox gateway: paid at once (201, the
frontend's shape, the ledger balanced and reconciled), the amount bounded by the *unselected* remainder
(scheduled days count), ten at once never over, the month rules, another family's allocation, a refused
payment leaving no lump sum, and a timeout answered 202 with the lump sum claimed and paid once by the
retry."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from domain.money.ledger import Account
from entrypoints.jobs.money import pay_intent_job
from entrypoints.settings import Settings
from tests.e2e.payment_support import (
    JANUARY_CENTS,
    balance,
    days_from,
    ledger_is_balanced,
    month_view,
    overlapping_client_at,
    payable_household,
    scalar,
    schedule,
    worker_jobs,
)
from tests.e2e.programme_support import FIRST_OPEN_DAY, HALF, NOW, Client, Household
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

SHAPE = {
    "id",
    "care_month_allocation_id",
    "provider_supabase_id",
    "amount_cents",
    "days",
    "half_days",
    "submitted_at",
    "paid_at",
    "status",
    "intent_id",
    "payment_id",
}


def body(home: Household, amount_cents: int, **fields: Any) -> dict[str, Any]:
    return {
        "allocation_id": home.allocation_id,
        "provider_id": home.provider_id,
        "amount_cents": amount_cents,
        "days": 5,
        "half_days": 0,
        **fields,
    }


async def test_a_lump_sum_is_paid_at_once_in_the_frontends_shape(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "lump")

    response = await programme_client.post(
        "/lump-sums", json=body(home, 25_000, days=3, half_days=2), headers=home.family_headers
    )

    assert response.status_code == 201, response.text
    paid = response.json()
    assert set(paid) == SHAPE
    assert isinstance(paid["id"], int)
    assert (paid["care_month_allocation_id"], paid["provider_supabase_id"]) == (
        home.allocation_id,
        home.provider_id,
    )
    assert isinstance(paid["provider_supabase_id"], str)
    assert (paid["amount_cents"], paid["days"], paid["half_days"], paid["status"]) == (25_000, 3, 2, "paid")
    assert paid["submitted_at"].endswith("Z")
    assert paid["paid_at"].endswith("Z")
    missing_days = await programme_client.post(
        "/lump-sums",
        json={
            "allocation_id": home.allocation_id,
            "provider_id": home.provider_id,
            "amount_cents": 100,
            "days": 1,
        },
        headers=home.family_headers,
    )
    assert missing_days.status_code == 201, missing_days.text
    assert missing_days.json()["half_days"] == 0  # a number, never null

    staff = await scalar(
        sessions, "SELECT array_agg(data->>'what') FROM messages WHERE kind = 'staff_payment_processed'"
    )
    assert staff == ["Lump sum", "Lump sum"]  # one notice per lump sum paid
    # Both histories show the lump sum with the days and half days it was for.
    family_history = await programme_client.get("/family/payments", headers=home.family_headers)
    provider_history = await programme_client.get("/provider/payments", headers=home.provider_headers)
    for history in (family_history, provider_history):
        assert history.status_code == 200, history.text
        shown = sorted((p["lump_sum"] for p in history.json()["payments"]), key=lambda x: x["amount_cents"])
        assert shown == [
            {"days": 1, "half_days": 0, "amount_cents": 100},
            {"days": 3, "half_days": 2, "amount_cents": 25_000},
        ]

    view = await month_view(programme_client, home)
    assert view["remaining_unpaid_cents"] == JANUARY_CENTS - 25_100
    assert view["remaining_unselected_cents"] == JANUARY_CENTS - 25_100
    assert await balance(sessions, Account.provider_payout(home.provider_id)) == 25_100
    assert await ledger_is_balanced(sessions)


async def test_the_amount_must_fit_what_is_not_yet_scheduled(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "fit")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 5))  # scheduled, not paid
    unselected = JANUARY_CENTS - 5 * HALF

    over = await programme_client.post(
        "/lump-sums", json=body(home, unselected + 1), headers=home.family_headers
    )
    exact = await programme_client.post(
        "/lump-sums", json=body(home, unselected), headers=home.family_headers
    )

    assert (over.status_code, over.json()["code"]) == (400, "lump_sum_exceeds_allocation")
    assert over.json()["error"] == "Adding this lump sum would exceed monthly allocation"
    assert exact.status_code == 201, exact.text
    assert await scalar(sessions, "SELECT count(*) FROM lump_sums") == 1
    assert await ledger_is_balanced(sessions)


async def test_ten_lump_sums_at_once_never_exceed_the_remainder(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "ten")
    each = 9_000  # ten of them ask for 90,000 of a 60,000 budget: six fit
    async with overlapping_client_at(settings, FixedClock(NOW)) as client:
        answers = await asyncio.gather(
            *(
                client.post("/lump-sums", json=body(home, each), headers=home.family_headers)
                for _ in range(10)
            )
        )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 6 + [400] * 4, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 400} == {"lump_sum_exceeds_allocation"}
    total = await scalar(sessions, "SELECT coalesce(sum(amount_cents), 0) FROM lump_sums")
    assert total == 6 * each <= JANUARY_CENTS
    assert (
        await scalar(
            sessions, "SELECT lump_sum_cents FROM month_allocations WHERE id = :a", a=home.allocation_id
        )
        == total
    )
    assert await balance(sessions, Account.provider_payout(home.provider_id)) == total
    assert await ledger_is_balanced(sessions)


async def test_refusals_answer_400_and_record_nothing(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "refuse")
    stranger = await payable_household(programme_client, minter, fake_clerk, sessions, "stranger")

    cases = {
        "allocation_not_found": body(stranger, 1_000),
        "invalid_field": body(home, 1_000, days=0, half_days=0),
        "provider_not_linked": body(home, 1_000, provider_id=stranger.provider_id),
        "provider_not_found": body(home, 1_000, provider_id="00000000-0000-4000-8000-000000000000"),
    }
    for code, sent in cases.items():
        answer = await programme_client.post("/lump-sums", json=sent, headers=home.family_headers)
        assert (answer.status_code, answer.json()["code"]) == (400, code), (code, answer.text)
    too_big = await programme_client.post("/lump-sums", json=body(home, 140_001), headers=home.family_headers)
    assert (too_big.status_code, too_big.json()["code"]) == (400, "invalid_field")
    anonymous = await programme_client.post("/lump-sums", json=body(home, 1_000))
    assert anonymous.status_code == 401
    as_provider = await programme_client.post(
        "/lump-sums", json=body(home, 1_000), headers=home.provider_headers
    )
    assert as_provider.status_code == 403
    assert await scalar(sessions, "SELECT count(*) FROM lump_sums") == 0
    assert await scalar(sessions, "SELECT count(*) FROM payment_intents") == 0


async def test_a_declined_payment_fails_and_a_timeout_answers_202_and_is_paid_once_by_the_retry(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "fault")
    sandbox = SandboxGateway(sessions)

    await sandbox.fail_next(Fault.TIMEOUT, operation="transfer_to_provider")
    waiting = await programme_client.post("/lump-sums", json=body(home, 7_000), headers=home.family_headers)

    assert waiting.status_code == 202, waiting.text
    assert (waiting.json()["status"], waiting.json()["paid_at"]) == ("retrying", None)
    async with worker_jobs(settings, FixedClock(NOW)):
        await pay_intent_job(waiting.json()["intent_id"])
        await pay_intent_job(waiting.json()["intent_id"])
    assert await scalar(sessions, "SELECT count(*) FROM payments") == 1
    moves = [t.operation for t in await sandbox.transfers() if t.operation != "fund_family_wallet"]
    assert moves == ["transfer_to_provider", "pay_out_by_card"]

    await sandbox.fail_next(Fault.DECLINED, operation="transfer_to_provider")
    declined = await programme_client.post("/lump-sums", json=body(home, 1_000), headers=home.family_headers)
    assert (declined.status_code, declined.json()["code"]) == (400, "payment_failed")
    assert await ledger_is_balanced(sessions)


async def test_only_this_month_and_last_month_are_open(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "month")
    february, march = NOW.replace(month=2, day=10), NOW.replace(month=3, day=10)

    async with overlapping_client_at(settings, FixedClock(march)) as client:
        closed = await client.post("/lump-sums", json=body(home, 1_000), headers=home.family_headers)
    async with overlapping_client_at(settings, FixedClock(february)) as client:
        last_month = await client.post("/lump-sums", json=body(home, 1_000), headers=home.family_headers)

    assert (closed.status_code, closed.json()["code"]) == (400, "lump_sum_month_closed")
    assert last_month.status_code == 201, last_month.text
    assert await scalar(sessions, "SELECT count(*) FROM lump_sums") == 1
