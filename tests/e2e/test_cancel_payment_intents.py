"""An operator's cancel of a failed payment intent (POST /admin/payment-intents/{id}/cancel and
`cap-portal payments cancel`): its care days become payable again and the family submits them anew, or
its lump sum stops counting and the family pays a new one; the books stay whole (no money had moved).
Every other intent is refused with 409 and a reason, and a cancel racing a retry takes turns with it on
the intent's row lock: exactly one of them wins, never a paid cancelled intent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from domain.money.payments import ABANDONED_AFTER
from domain.money.use_cases.paying import due_intents
from entrypoints.cli import cli
from entrypoints.jobs.money import pay_intent_job
from entrypoints.settings import Settings
from tests.e2e.concurrency import HeldWrites
from tests.e2e.identity_support import OPERATOR
from tests.e2e.payment_support import (
    JANUARY_CENTS,
    days_from,
    ledger_is_balanced,
    month_view,
    overlapping_client_at,
    payable_household,
    scalar,
    schedule,
    submit_path,
    worker_jobs,
)
from tests.e2e.programme_support import FIRST_OPEN_DAY, NOW, Client, Household
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

NO_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def sandbox(sessions: async_sessionmaker[AsyncSession]) -> SandboxGateway:
    return SandboxGateway(sessions)


async def _moves(sandbox: SandboxGateway) -> list[str]:
    return [t.operation for t in await sandbox.transfers() if t.operation != "fund_family_wallet"]


async def _declined_submit(client: Client, home: Household, sandbox: SandboxGateway, step: str) -> str:
    await sandbox.fail_next(Fault.DECLINED, operation=step)
    response = await client.post(submit_path(home), headers=home.family_headers)
    assert (response.status_code, response.json()["code"]) == (400, "payment_failed"), response.text
    intent_id: str = response.json()["details"]["intent_id"]
    return intent_id


def _cancel_path(intent_id: str) -> str:
    return f"/admin/payment-intents/{intent_id}/cancel"


async def test_a_cancelled_submit_releases_its_days_and_the_family_pays_them_again(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "cxl")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 3))
    intent_id = await _declined_submit(programme_client, home, sandbox, "transfer_to_provider")
    again = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert again.json()["code"] == "nothing_to_pay"  # claimed by the failed intent

    cancelled = await programme_client.post(_cancel_path(intent_id), headers=OPERATOR)

    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["id"]) == ("cancelled", intent_id)
    assert cancelled.json()["cancelled_at"].endswith("Z")
    audited = await scalar(
        sessions,
        "SELECT actor || ' ' || action || ' ' || (after->>'status') FROM audit_log WHERE record_id = :i",
        i=intent_id,
    )
    assert audited.endswith("payment_intent.cancelled cancelled")
    assert audited.startswith("admin-api:")
    view = await month_view(programme_client, home)
    assert {day["status"] for day in view["care_days"]} == {"needs_submission"}
    assert view["remaining_unpaid_cents"] == JANUARY_CENTS
    history = await programme_client.get("/family/payments", headers=home.family_headers)
    assert history.json()["payments"] == [], history.text  # nothing moved: nothing to show
    # A cancelled intent is never tried again, by an operator or by the jobs.
    retried = await programme_client.post(f"/admin/payment-intents/{intent_id}/retry", headers=OPERATOR)
    assert (retried.status_code, retried.json()["code"]) == (409, "payment_intent_not_retryable")
    twice = await programme_client.post(_cancel_path(intent_id), headers=OPERATOR)
    assert (twice.status_code, twice.json()["code"]) == (409, "payment_intent_not_cancellable")
    assert "cancelled already" in twice.json()["error"]
    uow = SqlAlchemyMoneyUnitOfWork(sessions)
    assert await due_intents(uow, FixedClock(NOW + ABANDONED_AFTER * 2), limit=10) == []

    paid = await programme_client.post(submit_path(home), headers=home.family_headers)

    assert paid.status_code == 200, paid.text
    assert len(paid.json()["care_days"]) == 3
    assert await _moves(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    # The released claims stay on record beside the new ones: three days, two intents, one live claim each.
    claims = await scalar(
        sessions,
        "SELECT array_agg(released_at IS NULL ORDER BY released_at IS NULL) FROM payment_intent_items",
    )
    assert claims == [False] * 3 + [True] * 3
    assert await ledger_is_balanced(sessions)


async def test_only_a_failed_intent_that_moved_no_money_is_cancelled(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "cxr")
    first, second, third = days_from(FIRST_OPEN_DAY, 3)

    async def refused(intent_id: str, words: str) -> None:
        response = await programme_client.post(_cancel_path(intent_id), headers=OPERATOR)
        assert (response.status_code, response.json()["code"]) == (409, "payment_intent_not_cancellable")
        assert words in response.json()["error"], response.text

    # The first step went through, the payout was declined: the money is in the provider's wallet.
    await schedule(programme_client, home, [first])
    moved = await _declined_submit(programme_client, home, sandbox, "pay_out_by_card")
    await refused(moved, "retry its payout")
    assert (await programme_client.post(f"/admin/payment-intents/{moved}/retry", headers=OPERATOR)).json()[
        "status"
    ] == "paid"
    await refused(moved, "is paid")
    # A timeout: the intent is the jobs' (retrying), not an operator's to cancel.
    await schedule(programme_client, home, [second])
    await sandbox.fail_next(Fault.TIMEOUT, operation="transfer_to_provider")
    waiting = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert waiting.status_code == 202, waiting.text
    await refused(waiting.json()["intent_id"], "is retrying")
    missing = await programme_client.post(_cancel_path(NO_ID), headers=OPERATOR)
    assert (missing.status_code, missing.json()["code"]) == (404, "payment_intent_not_found")
    not_an_id = await programme_client.post(_cancel_path("not-an-id"), headers=OPERATOR)
    assert not_an_id.status_code == 404
    nobody = await programme_client.post(_cancel_path(moved))
    assert nobody.status_code == 401
    await schedule(programme_client, home, [third])
    assert await scalar(sessions, "SELECT count(*) FROM payment_intents WHERE status = 'cancelled'") == 0
    assert await ledger_is_balanced(sessions)


async def test_a_cancelled_lump_sum_stops_counting_and_a_new_one_is_paid(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "cxls")
    whole = {
        "allocation_id": home.allocation_id,
        "provider_id": home.provider_id,
        "amount_cents": JANUARY_CENTS,
        "days": 20,
        "half_days": 0,
    }
    await sandbox.fail_next(Fault.DECLINED, operation="transfer_to_provider")
    declined = await programme_client.post("/lump-sums", json=whole, headers=home.family_headers)
    assert declined.status_code == 400, declined.text
    intent_id = await scalar(sessions, "SELECT id::text FROM payment_intents")
    full = await programme_client.post("/lump-sums", json=whole, headers=home.family_headers)
    assert full.status_code == 400  # the failed lump sum holds the whole month

    cancelled = await programme_client.post(_cancel_path(intent_id), headers=OPERATOR)

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["lump_sum_ids"] != []
    allocation = f"SELECT lump_sum_cents FROM month_allocations WHERE id = {home.allocation_id}"
    assert await scalar(sessions, allocation) == 0
    assert await ledger_is_balanced(sessions)  # the cancelled lump sum is out of the books' sum too
    paid = await programme_client.post("/lump-sums", json=whole, headers=home.family_headers)
    assert paid.status_code == 201, paid.text
    assert await scalar(sessions, allocation) == JANUARY_CENTS
    assert await _moves(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await ledger_is_balanced(sessions)


@pytest.mark.parametrize("round_", range(3))
async def test_a_cancel_and_a_retry_at_once_take_turns_on_the_intents_lock(
    round_: int,
    database_url: str,
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, f"cxc{round_}")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    intent_id = await _declined_submit(programme_client, home, sandbox, "transfer_to_provider")

    engine = create_async_engine(database_url)
    try:
        async with overlapping_client_at(settings, FixedClock(NOW)) as client, engine.connect() as held:
            # The test holds the intent's row: both the cancel and the retry queue behind it, then race.
            await held.begin()
            lock = text("SELECT id FROM payment_intents WHERE id = CAST(:i AS uuid) FOR UPDATE")
            await held.execute(lock, {"i": intent_id})
            racing: Any = asyncio.gather(
                client.post(_cancel_path(intent_id), headers=OPERATOR),
                client.post(f"/admin/payment-intents/{intent_id}/retry", headers=OPERATOR),
            )
            await HeldWrites(held, "payment_intents").until_blocked(2)
            await held.rollback()
            cancel, retry = await racing
    finally:
        await engine.dispose()

    status = await scalar(
        sessions, "SELECT status FROM payment_intents WHERE id = CAST(:i AS uuid)", i=intent_id
    )
    if cancel.status_code == 200:  # the cancel first: the retry found it cancelled and moved nothing
        assert (retry.status_code, retry.json()["code"]) == (409, "payment_intent_not_retryable")
        assert status == "cancelled"
        assert await _moves(sandbox) == []
    else:  # the retry first: the cancel found it processing (or paid) and refused
        assert (cancel.status_code, cancel.json()["code"]) == (409, "payment_intent_not_cancellable")
        assert (retry.status_code, retry.json()["status"]) == (200, "paid"), retry.text
        assert status == "paid"
        assert await _moves(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    # The retry job, delivered late, leaves whichever state won alone.
    async with worker_jobs(settings, FixedClock(NOW)):
        assert (await pay_intent_job(intent_id))["tried"] is False
    assert await scalar(sessions, "SELECT count(*) FROM payments") == (0 if status == "cancelled" else 1)
    assert await ledger_is_balanced(sessions)


async def test_payments_cancel_command_cancels_and_refuses_with_the_reason(
    database_url: str,
    redis_url: str,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "cxcli")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    intent_id = await _declined_submit(programme_client, home, sandbox, "transfer_to_provider")
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}

    def payments(*args: str) -> Any:
        return CliRunner().invoke(cli, ["payments", "cancel", *args], env=environment, catch_exceptions=False)

    run = await asyncio.to_thread(payments, intent_id, "--json")
    assert run.exit_code == 0, run.stderr
    assert (json.loads(run.stdout)["intent_id"], json.loads(run.stdout)["status"]) == (intent_id, "cancelled")
    actor = await scalar(sessions, "SELECT actor FROM audit_log WHERE record_id = :i", i=intent_id)
    assert actor.startswith("cli:")
    again = await asyncio.to_thread(payments, intent_id)
    assert again.exit_code == 2
    assert "cancelled already" in again.stderr
    unknown = await asyncio.to_thread(payments, NO_ID)
    assert unknown.exit_code == 2
    view = await month_view(programme_client, home)
    assert {day["status"] for day in view["care_days"]} == {"needs_submission"}
    assert await ledger_is_balanced(sessions)
