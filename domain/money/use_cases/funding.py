"""Funding an allocation: the month's budget moves from the programme to the family's wallet, once.

Three short steps, with the gateway called outside any transaction of ours (a slow gateway holds no
row lock and no database connection):

1. claim the allocation's funding row (its primary key is the allocation: the first insert wins, the
   others find it, locked) and decide — already settled, nothing to fund, no wallet yet, or move money;
2. ask the gateway to move the money under the allocation's idempotency key;
3. claim the row again and record the ledger transaction and the gateway's transfer id on it, unless
   a concurrent attempt already has.

A crash between 2 and 3 (the money moved, our commit never happened) leaves the row pending: the next
attempt asks the gateway again with the same key and gets the first transfer back instead of a second
move. Every failure is written on the row (attempts, last_error) before it is raised, so the allocation
shows it is unfunded while it waits for its retry; nothing is swallowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from domain.errors import DomainError
from domain.money.errors import FamilyWalletMissing, GatewayDeclined, GatewayUnavailable
from domain.money.funding import (
    AllocationFunding,
    FundingStep,
    funding_key,
    funding_step,
    funding_transaction,
)
from domain.money.ports import MoneyUnitOfWork, PaymentGateway
from domain.ports import Clock
from domain.programme.errors import AllocationNotFound, ChildNotFound


@dataclass(frozen=True, slots=True)
class FundingResult:
    funding: AllocationFunding
    step: FundingStep  # what this attempt did: MOVE_MONEY means it recorded the funding now


async def fund_allocation(
    uow: MoneyUnitOfWork, gateway: PaymentGateway, clock: Clock, allocation_id: int
) -> FundingResult:
    """Funds the allocation if it is not yet; raises ``FamilyWalletMissing``, ``GatewayUnavailable`` or
    ``GatewayDeclined`` (recorded on the funding row first) for the caller to retry."""
    async with uow:
        funding = await _claim(uow, allocation_id)
        wallet = await uow.payment_settings.family(funding.family_id)
        user_id = wallet.gateway_user_id if wallet is not None else None
        step = funding_step(funding, user_id)
        if step is FundingStep.ALREADY_SETTLED:
            return FundingResult(funding, step)
        if step is FundingStep.NOTHING_TO_FUND:
            settled = funding.nothing_to_fund(clock.now())
            await uow.fundings.save(settled)
            await uow.commit()
            return FundingResult(settled, step)
        if step is FundingStep.WAIT_FOR_WALLET:
            missing = FamilyWalletMissing()
            await uow.fundings.save(funding.failed(missing.message, clock.now()))
            await uow.commit()
            raise missing
        # Kept before the gateway is asked: a process that dies during the call leaves a pending row
        # (listed by `cap-portal payments unfunded`), not no trace at all.
        await uow.commit()
    assert user_id is not None
    try:
        transfer = await gateway.fund_family_wallet(
            user_id, funding.amount_cents, idempotency_key=funding_key(allocation_id)
        )
    except (GatewayDeclined, GatewayUnavailable) as failure:
        await _record_failure(uow, clock, funding, failure.message)
        raise
    async with uow:
        current = await uow.fundings.claim(funding)
        if current.is_settled:  # a concurrent attempt recorded the same transfer first
            return FundingResult(current, FundingStep.ALREADY_SETTLED)
        recorded = await uow.ledger.record(funding_transaction(current))
        funded = current.funded(transfer.transfer_id, recorded.id, clock.now())
        await uow.fundings.save(funded)
        await uow.commit()
    return FundingResult(funded, FundingStep.MOVE_MONEY)


async def _claim(uow: MoneyUnitOfWork, allocation_id: int) -> AllocationFunding:
    allocation = await uow.allocations.get(allocation_id)
    if allocation is None:
        raise AllocationNotFound()
    child = await uow.children.get(allocation.child_id)
    if child is None:
        raise ChildNotFound()
    return await uow.fundings.claim(
        AllocationFunding(allocation.id, child.family_id, allocation.allocation_cents)
    )


async def _record_failure(uow: MoneyUnitOfWork, clock: Clock, funding: AllocationFunding, error: str) -> None:
    async with uow:
        current = await uow.fundings.claim(funding)
        if current.is_settled:  # funded meanwhile by another attempt: its success stands
            return
        await uow.fundings.save(current.failed(error, clock.now()))
        await uow.commit()


async def unfunded_allocations(uow: MoneyUnitOfWork, *, limit: int) -> list[AllocationFunding]:
    """Allocations with a budget that are not funded yet (never tried, waiting, or failing)."""
    async with uow:
        return await uow.fundings.unfunded(limit=limit)


@dataclass(frozen=True, slots=True)
class FundingFailure:
    allocation_id: int
    code: str
    message: str


@dataclass
class FundingRunSummary:
    funded: list[AllocationFunding] = field(default_factory=list)
    already_settled: list[AllocationFunding] = field(default_factory=list)
    failed: list[FundingFailure] = field(default_factory=list)


async def fund_unfunded_allocations(
    uow: MoneyUnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    *,
    limit: int,
    allocation_ids: list[int] | None = None,
    on_allocation_done: Callable[[int, int], None] | None = None,
) -> FundingRunSummary:
    """The operator's sweep: each unfunded allocation (or the ones named) funded in turn. A failure is
    recorded on its row and listed; the sweep goes on with the next one."""
    if allocation_ids is None:
        allocation_ids = [f.allocation_id for f in await unfunded_allocations(uow, limit=limit)]
    summary = FundingRunSummary()
    for done, allocation_id in enumerate(allocation_ids, start=1):
        try:
            result = await fund_allocation(uow, gateway, clock, allocation_id)
        except DomainError as failure:
            summary.failed.append(FundingFailure(allocation_id, failure.code, failure.message))
        else:
            if result.step is FundingStep.ALREADY_SETTLED:
                summary.already_settled.append(result.funding)
            else:
                summary.funded.append(result.funding)
        if on_allocation_done is not None:
            on_allocation_done(done, len(allocation_ids))
    return summary


async def allocation_funding(uow: MoneyUnitOfWork, allocation_id: int) -> AllocationFunding:
    """Where the allocation's funding stands; one never tried yet reads ``pending`` with no attempts."""
    async with uow:
        allocation = await uow.allocations.get(allocation_id)
        if allocation is None:
            raise AllocationNotFound()
        found = await uow.fundings.get(allocation_id)
        if found is not None:
            return found
        child = await uow.children.get(allocation.child_id)
        if child is None:
            raise ChildNotFound()
        return AllocationFunding(allocation.id, child.family_id, allocation.allocation_cents)
