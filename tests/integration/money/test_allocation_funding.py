"""Allocation funding on real Postgres and the sandbox gateway: funded once (the ledger and the sandbox
agree, also with twenty attempts at once), zero budgets settled without a move, a missing wallet and a
gateway failure recorded on the allocation and made good by the retry — including the crash window where
the money moved but our commit never happened — and the operator's sweep of unfunded allocations."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.postgres.money.ledger import PostgresLedger, ledger_drift
from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from domain.money.errors import FamilyWalletMissing, GatewayDeclined, GatewayUnavailable
from domain.money.funding import FundingStatus, FundingStep, funding_key
from domain.money.ledger import Account
from domain.money.use_cases.funding import fund_allocation, fund_unfunded_allocations
from domain.programme.allocations import MonthAllocation
from domain.programme.records import UNSAVED_ID
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.money import fund_allocation_job, open_family_wallet_job
from tests.integration.money.conftest import MoneyUowFactory
from tests.integration.programme.conftest import JANUARY, NOW, Seeded, UowFactory, seed

Sessions = async_sessionmaker[AsyncSession]


def sandbox_of(context: JobContext) -> SandboxGateway:
    gateway = context.gateway
    assert isinstance(gateway, SandboxGateway)
    return gateway


def event(seeded: Seeded) -> dict[str, Any]:
    allocation = seeded.allocation
    return {
        "allocation_id": allocation.id,
        "child_id": seeded.child.id,
        "family_id": seeded.family.id,
        "month": allocation.month.isoformat(),
        "allocation_cents": allocation.allocation_cents,
        "occurred_at": NOW.isoformat(),
    }


async def family_balance(sessions: Sessions, family_id: str) -> int:
    async with sessions() as session:
        return await PostgresLedger(session).balance(Account.family_wallet(family_id))


async def ledger_transactions(engine: AsyncEngine, allocation_id: int) -> int:
    async with engine.connect() as connection:
        query = text("SELECT count(*) FROM ledger_transactions WHERE record_id = :id")
        return int((await connection.execute(query, {"id": str(allocation_id)})).scalar_one())


async def funding_row(engine: AsyncEngine, allocation_id: int) -> dict[str, Any]:
    async with engine.connect() as connection:
        query = text("SELECT * FROM allocation_fundings WHERE allocation_id = :id")
        return dict((await connection.execute(query, {"id": allocation_id})).mappings().one())


async def with_wallet(new_uow: UowFactory, allocation_cents: int = 100_000) -> Seeded:
    seeded = await seed(new_uow(), allocation_cents=allocation_cents)
    assert (await open_family_wallet_job(seeded.family.id))["opened"]
    return seeded


async def test_an_allocation_is_funded_once_and_the_ledger_and_the_sandbox_agree(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine, session_factory: Sessions
) -> None:
    seeded = await with_wallet(new_uow)
    sandbox = sandbox_of(context)
    before = await sandbox.programme_balance()

    result = await fund_allocation_job(**event(seeded))
    again = await fund_allocation_job(**event(seeded))

    assert (result["status"], result["step"], result["amount_cents"]) == ("funded", "move_money", 100_000)
    assert (again["step"], again["gateway_transfer_id"]) == ("already_settled", result["gateway_transfer_id"])
    [transfer] = await sandbox.transfers()
    assert (transfer.transfer_id, transfer.idempotency_key, transfer.amount_cents) == (
        result["gateway_transfer_id"],
        funding_key(seeded.allocation.id),
        100_000,
    )
    assert await sandbox.programme_balance() == before - 100_000
    assert (await sandbox.wallet_state(transfer.to_user_id or "")).balance_cents == 100_000
    assert await family_balance(session_factory, seeded.family.id) == 100_000
    assert await ledger_transactions(engine, seeded.allocation.id) == 1
    row = await funding_row(engine, seeded.allocation.id)
    assert (row["status"], row["gateway_transfer_id"], row["ledger_transaction_id"], row["attempts"]) == (
        "funded",
        transfer.transfer_id,
        result["ledger_transaction_id"],
        1,
    )
    async with session_factory() as session:
        assert await ledger_drift(session) == []


async def test_twenty_fundings_of_one_allocation_at_once_make_one_transaction_and_one_transfer(
    context: JobContext,
    new_uow: UowFactory,
    new_money_uow: MoneyUowFactory,
    engine: AsyncEngine,
    session_factory: Sessions,
) -> None:
    seeded = await with_wallet(new_uow)
    sandbox = sandbox_of(context)

    results = await asyncio.gather(
        *(fund_allocation(new_money_uow(), sandbox, context.clock, seeded.allocation.id) for _ in range(20))
    )

    assert len({r.funding.gateway_transfer_id for r in results}) == 1
    assert len({r.funding.ledger_transaction_id for r in results}) == 1
    assert [r.step for r in results].count(FundingStep.MOVE_MONEY) == 1
    assert len(await sandbox.transfers()) == 1
    assert await ledger_transactions(engine, seeded.allocation.id) == 1
    assert await family_balance(session_factory, seeded.family.id) == 100_000


async def test_a_zero_allocation_has_nothing_to_fund(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await with_wallet(new_uow, allocation_cents=0)
    result = await fund_allocation_job(**event(seeded))
    assert (result["status"], result["gateway_transfer_id"]) == ("nothing_to_fund", None)
    assert await sandbox_of(context).transfers() == []
    assert await ledger_transactions(engine, seeded.allocation.id) == 0


async def test_without_a_family_wallet_the_funding_waits_and_says_why(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine, session_factory: Sessions
) -> None:
    seeded = await seed(new_uow())
    with pytest.raises(FamilyWalletMissing):
        await fund_allocation_job(**event(seeded))
    row = await funding_row(engine, seeded.allocation.id)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "no wallet" in row["last_error"]
    assert await sandbox_of(context).transfers() == []

    await open_family_wallet_job(seeded.family.id)  # the wallet job runs after all
    assert (await fund_allocation_job(**event(seeded)))["status"] == "funded"  # the retry
    row = await funding_row(engine, seeded.allocation.id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("funded", 2, None)
    assert await family_balance(session_factory, seeded.family.id) == 100_000


@pytest.mark.parametrize(
    ("fault", "raised"), [(Fault.TIMEOUT, GatewayUnavailable), (Fault.DECLINED, GatewayDeclined)]
)
async def test_a_gateway_failure_is_recorded_raised_and_the_retry_funds_once(
    context: JobContext,
    new_uow: UowFactory,
    engine: AsyncEngine,
    session_factory: Sessions,
    fault: Fault,
    raised: type[Exception],
) -> None:
    seeded = await with_wallet(new_uow)
    sandbox = sandbox_of(context)
    await sandbox.fail_next(fault, operation="fund_family_wallet")

    with pytest.raises(raised):
        await fund_allocation_job(**event(seeded))
    row = await funding_row(engine, seeded.allocation.id)
    assert (row["status"], row["attempts"], row["gateway_transfer_id"]) == ("pending", 1, None)
    assert "injected" in row["last_error"]
    assert await family_balance(session_factory, seeded.family.id) == 0

    assert (await fund_allocation_job(**event(seeded)))["status"] == "funded"
    assert len(await sandbox.transfers()) == 1
    assert await family_balance(session_factory, seeded.family.id) == 100_000


async def test_money_moved_but_the_answer_lost_is_not_moved_again_by_the_retry(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine, session_factory: Sessions
) -> None:
    seeded = await with_wallet(new_uow)
    sandbox = sandbox_of(context)
    before = await sandbox.programme_balance()
    await sandbox.fail_next(Fault.ERROR_AFTER_MOVE, operation="fund_family_wallet")

    with pytest.raises(GatewayUnavailable):
        await fund_allocation_job(**event(seeded))
    # The sandbox moved the money; our books do not know it yet, and the allocation says so.
    [moved] = await sandbox.transfers()
    assert await sandbox.programme_balance() == before - 100_000
    assert await ledger_transactions(engine, seeded.allocation.id) == 0
    assert (await funding_row(engine, seeded.allocation.id))["status"] == "pending"

    retried = await fund_allocation_job(**event(seeded))

    assert (retried["status"], retried["gateway_transfer_id"]) == ("funded", moved.transfer_id)
    assert await sandbox.transfers() == [moved]
    assert await sandbox.programme_balance() == before - 100_000
    assert await ledger_transactions(engine, seeded.allocation.id) == 1
    assert await family_balance(session_factory, seeded.family.id) == 100_000


async def test_the_sweep_funds_what_is_unfunded_and_lists_what_still_fails(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory
) -> None:
    ready = await with_wallet(new_uow)
    walletless = await seed(new_uow())
    zero = await with_wallet(new_uow, allocation_cents=0)
    async with new_uow() as uow:  # a second month for the first child, funded already
        second = await uow.allocations.add_if_absent(
            MonthAllocation(UNSAVED_ID, ready.child.id, JANUARY.replace(month=2), 50_000, NOW, NOW)
        )
        assert second is not None
        await uow.commit()
    await fund_allocation(new_money_uow(), context.gateway, context.clock, second.id)

    async with new_money_uow() as uow:
        unfunded = {f.allocation_id for f in await uow.fundings.unfunded(limit=100)}
    assert unfunded == {ready.allocation.id, walletless.allocation.id}  # not the zero, not the funded

    progress: list[tuple[int, int]] = []
    summary = await fund_unfunded_allocations(
        new_money_uow(),
        context.gateway,
        context.clock,
        limit=100,
        on_allocation_done=lambda done, total: progress.append((done, total)),
    )

    assert [f.allocation_id for f in summary.funded] == [ready.allocation.id]
    assert [(f.allocation_id, f.code) for f in summary.failed] == [
        (walletless.allocation.id, "family_wallet_missing")
    ]
    assert progress == [(1, 2), (2, 2)]
    async with new_money_uow() as uow:
        assert [f.status for f in await uow.fundings.unfunded(limit=100)] == [FundingStatus.PENDING]
        assert (await uow.fundings.get(zero.allocation.id)) is None  # never asked, nothing to move
