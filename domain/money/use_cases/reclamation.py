"""Reclaiming an allocation's unpaid remainder, exactly once (see domain/money/reclamation.py for why the
row comes first).

Three short steps, the gateway called outside any transaction of ours:

1. lock the allocation (payments and lump sums on it wait), and claim its reclamation row with the
   remainder as its amount and the allocation's key — committed before anything moves;
2. ask the gateway to move that amount from the family's wallet under that key;
3. lock the row again and record the ledger transaction, the transfer and the allocation's
   ``reclaimed_cents``, unless a concurrent run already has.

A failure in 2 is written on the row (attempts, last_error) and raised; the row stays pending with its
amount, and the next run repeats 2 with the same key: the gateway answers a key it has seen with its first
transfer, so a crash between 2 and 3 never reclaims twice.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from domain.errors import DomainError, RuleRefused
from domain.money.errors import FamilyWalletMissing, GatewayDeclined, GatewayUnavailable
from domain.money.funding import FundingStatus
from domain.money.ports import PaymentGateway
from domain.money.reclamation import (
    ReclaimCandidate,
    Reclamation,
    is_reclaimable_month,
    latest_reclaimable_month,
    reclamation_transaction,
)
from domain.money.reclamation_ports import ReclamationUnitOfWork
from domain.programme.business_time import BusinessCalendar
from domain.programme.errors import AllocationNotFound


class MonthNotReclaimable(RuleRefused):
    code = "month_not_reclaimable"
    default_message = "Only months two or more months before the current one are reclaimed"


class ReclaimStep(enum.StrEnum):
    RECLAIMED = "reclaimed"  # recorded now
    ALREADY_RECLAIMED = "already_reclaimed"
    NOTHING_TO_RECLAIM = "nothing_to_reclaim"  # everything was paid (or it had no budget)
    NOT_FUNDED = "not_funded"  # the money never reached the wallet: nothing there to take back


@dataclass(frozen=True, slots=True)
class ReclaimResult:
    allocation_id: int
    step: ReclaimStep
    reclamation: Reclamation | None = None


async def reclaim_allocation(
    uow: ReclamationUnitOfWork, gateway: PaymentGateway, calendar: BusinessCalendar, allocation_id: int
) -> ReclaimResult:
    """Reclaims the allocation's unpaid remainder if it has not been; raises ``MonthNotReclaimable``,
    ``FamilyWalletMissing``, ``GatewayUnavailable`` or ``GatewayDeclined`` (recorded on the row first)."""
    async with uow:
        allocation = await uow.allocations.get_for_update(allocation_id)
        if allocation is None:
            raise AllocationNotFound()
        if not is_reclaimable_month(allocation.month, calendar.today()):
            raise MonthNotReclaimable(details={"month": allocation.month.isoformat()[:7]})
        reclamation = await uow.reclamations.get(allocation_id)
        if reclamation is None:
            funding = await uow.fundings.get(allocation_id)
            if funding is None or funding.status is not FundingStatus.FUNDED:
                return ReclaimResult(allocation_id, ReclaimStep.NOT_FUNDED)
            remainder = await uow.reclamations.unpaid_remainder_cents(allocation_id)
            if remainder <= 0:
                return ReclaimResult(allocation_id, ReclaimStep.NOTHING_TO_RECLAIM)
            reclamation = await uow.reclamations.claim(
                Reclamation(allocation_id, funding.family_id, remainder)
            )
        if reclamation.is_done:
            return ReclaimResult(allocation_id, ReclaimStep.ALREADY_RECLAIMED, reclamation)
        wallet = await uow.payment_settings.family(reclamation.family_id)
        user_id = None if wallet is None else wallet.gateway_user_id
        if user_id is None:
            missing = FamilyWalletMissing()
            await uow.reclamations.save(reclamation.failed(missing.message, calendar.now()))
            await uow.commit()
            raise missing
        # The claim (and its amount) is kept before the gateway is asked: whatever happens next, the
        # next run moves exactly this, under this key.
        await uow.commit()
    try:
        transfer = await gateway.reclaim(
            user_id, reclamation.amount_cents, idempotency_key=reclamation.idempotency_key
        )
    except (GatewayDeclined, GatewayUnavailable) as failure:
        await _record_failure(uow, calendar, reclamation, failure.message)
        raise
    async with uow:
        current = await uow.reclamations.claim(reclamation)
        if current.is_done:  # a concurrent run recorded the same transfer first
            return ReclaimResult(allocation_id, ReclaimStep.ALREADY_RECLAIMED, current)
        recorded = await uow.ledger.record(reclamation_transaction(current))
        done = current.reclaimed(transfer.transfer_id, recorded.id, calendar.now())
        await uow.reclamations.save(done)
        await uow.commit()
    return ReclaimResult(allocation_id, ReclaimStep.RECLAIMED, done)


async def _record_failure(
    uow: ReclamationUnitOfWork, calendar: BusinessCalendar, reclamation: Reclamation, error: str
) -> None:
    async with uow:
        current = await uow.reclamations.claim(reclamation)
        if current.is_done:
            return
        await uow.reclamations.save(current.failed(error, calendar.now()))
        await uow.commit()


@dataclass(frozen=True, slots=True)
class ReclaimFailure:
    allocation_id: int
    code: str
    message: str


@dataclass
class ReclaimRunSummary:
    through: date
    month: date | None
    dry_run: bool
    candidates: list[ReclaimCandidate] = field(default_factory=list)
    reclaimed: list[Reclamation] = field(default_factory=list)
    already_reclaimed: list[int] = field(default_factory=list)
    nothing_to_reclaim: list[int] = field(default_factory=list)
    failed: list[ReclaimFailure] = field(default_factory=list)

    @property
    def reclaimed_cents(self) -> int:
        return sum(r.amount_cents for r in self.reclaimed)


async def reclaim_unpaid_allocations(
    uow: ReclamationUnitOfWork,
    gateway: PaymentGateway,
    calendar: BusinessCalendar,
    *,
    month: date | None = None,
    dry_run: bool = False,
    limit: int = 100_000,
    on_allocation_done: Callable[[int, int], None] | None = None,
) -> ReclaimRunSummary:
    """The monthly run (or an operator's, for one ``month``): every funded allocation of a reclaimable
    month with money left unpaid, each reclaimed once. A failure is recorded on its row and listed; the run
    goes on with the next one. ``dry_run`` lists them and asks the gateway nothing."""
    through = latest_reclaimable_month(calendar.today())
    if month is not None and not is_reclaimable_month(month, calendar.today()):
        raise MonthNotReclaimable(details={"month": month.isoformat()[:7], "latest": through.isoformat()[:7]})
    async with uow:
        candidates = await uow.reclamations.candidates(through=through, month=month, limit=limit)
    summary = ReclaimRunSummary(through, month, dry_run, candidates)
    if dry_run:
        return summary
    for done, candidate in enumerate(candidates, start=1):
        try:
            result = await reclaim_allocation(uow, gateway, calendar, candidate.allocation_id)
        except DomainError as failure:
            summary.failed.append(ReclaimFailure(candidate.allocation_id, failure.code, failure.message))
        else:
            if result.step is ReclaimStep.RECLAIMED and result.reclamation is not None:
                summary.reclaimed.append(result.reclamation)
            elif result.step is ReclaimStep.ALREADY_RECLAIMED:
                summary.already_reclaimed.append(candidate.allocation_id)
            else:
                summary.nothing_to_reclaim.append(candidate.allocation_id)
        if on_allocation_done is not None:
            on_allocation_done(done, len(candidates))
    return summary
