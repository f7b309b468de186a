"""Creating monthly allocations: by hand, by the monthly schedule, and at a family's onboarding."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from domain.errors import DomainError
from domain.programme.actors import Actor, require_admin
from domain.programme.allocations import (
    MonthAllocation,
    allocation_amount_cents,
    check_month_in_window,
    check_month_open_for_allocations,
)
from domain.programme.business_time import BusinessCalendar, month_start
from domain.programme.config import ProgrammeRules
from domain.programme.errors import ChildNotFound, ProgramEnded
from domain.programme.events import AllocationCreated
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.records import UNSAVED_ID

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AllocationOutcome:
    allocation: MonthAllocation
    created: bool


async def create_allocation(
    uow: ProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    actor: Actor,
    *,
    child_id: str,
    month: date,
) -> AllocationOutcome:
    """Idempotent: when the child already has the month's allocation, that one comes back uncreated."""
    require_admin(actor)
    month = month_start(month)
    check_month_open_for_allocations(month, calendar, rules)
    async with uow:
        outcome = await allocate_within(uow, calendar, rules, child_id=child_id, month=month)
        await uow.commit()
    return outcome


async def allocate_within(
    uow: ProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules, *, child_id: str, month: date
) -> AllocationOutcome:
    """The allocation rules inside a unit of work the caller owns and commits (onboarding, the batch)."""
    check_month_open_for_allocations(month, calendar, rules)
    # Locking the child serialises allocation creation per child, so "is this the first one?" (prorated
    # or monthly amount) has one answer even when two months are created at once.
    child = await uow.children.get_for_update(child_id)
    if child is None:
        raise ChildNotFound()
    existing = await uow.allocations.get_for_child_month(child_id, month)
    if existing is not None:
        return AllocationOutcome(existing, created=False)
    is_first = not await uow.allocations.child_has_any(child_id)
    amount = allocation_amount_cents(child, is_first=is_first, rules=rules)
    now = calendar.now()
    draft = MonthAllocation(UNSAVED_ID, child_id, month, amount, created_at=now, updated_at=now)
    stored = await uow.allocations.add_if_absent(draft)
    if stored is None:
        # Another transaction created it first; the unique constraint keeps exactly one.
        winner = await uow.allocations.get_for_child_month(child_id, month)
        assert winner is not None, "add_if_absent refused an allocation that does not exist"
        return AllocationOutcome(winner, created=False)
    await uow.allocation_events.allocation_created(
        AllocationCreated(stored.id, child_id, child.family_id, month, amount, occurred_at=now)
    )
    return AllocationOutcome(stored, created=True)


async def allocate_family_within(
    uow: ProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules, *, family_id: str
) -> list[AllocationOutcome]:
    """Current and next month for each payment-enabled child, at onboarding (the caller commits).

    Allocations that already exist count as done: onboarding twice is not an error (upstream answered
    400 when everything already existed).
    """
    outcomes = []
    for child in await uow.children.list_for_family(family_id):
        if not child.payment_enabled:
            continue
        for month in (calendar.current_month(), calendar.next_month()):
            if rules.allows_allocations_for(month):
                outcomes.append(await allocate_within(uow, calendar, rules, child_id=child.id, month=month))
    return outcomes


@dataclass(frozen=True, slots=True)
class ChildNotAllocated:
    child_id: str
    code: str
    message: str


@dataclass(slots=True)
class AllocationRunSummary:
    month: date
    dry_run: bool
    created: list[str] = field(default_factory=list)
    skipped: list[ChildNotAllocated] = field(default_factory=list)
    failed: list[ChildNotAllocated] = field(default_factory=list)


# Told after each child of a run: how many are done and how many there are (a progress bar, a log).
ChildDone = Callable[[int, int], None]


async def create_allocations_for_month(
    uow: ProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    actor: Actor,
    *,
    month: date,
    dry_run: bool = False,
    on_child_done: ChildDone | None = None,
) -> AllocationRunSummary:
    """Every payment-enabled child's allocation for the month; safe to run again.

    Each child is its own transaction, so one child's failure never undoes or stops the others. A dry
    run applies the same rules and rolls every transaction back.
    """
    require_admin(actor)
    month = month_start(month)
    summary = AllocationRunSummary(month=month, dry_run=dry_run)
    check_month_in_window(month, calendar)
    async with uow:
        children = await uow.children.list_payment_enabled()
    if not rules.allows_allocations_for(month):
        ended = ProgramEnded()
        summary.skipped = [ChildNotAllocated(c.id, ended.code, ended.message) for c in children]
        return summary
    for done, child in enumerate(children, start=1):
        await _allocate_one(uow, calendar, rules, summary, child_id=child.id)
        if on_child_done is not None:
            on_child_done(done, len(children))
    return summary


async def _allocate_one(
    uow: ProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    summary: AllocationRunSummary,
    *,
    child_id: str,
) -> None:
    """One child's allocation in its own transaction, its outcome recorded in ``summary``."""
    month = summary.month
    try:
        async with uow:
            outcome = await allocate_within(uow, calendar, rules, child_id=child_id, month=month)
            if not summary.dry_run:
                await uow.commit()
    except DomainError as exc:
        summary.failed.append(ChildNotAllocated(child_id, exc.code, exc.message))
        return
    except Exception as exc:  # a broken row or a database hiccup must not stop the run
        logger.exception("allocation failed", extra={"child_id": child_id, "month": month.isoformat()})
        summary.failed.append(ChildNotAllocated(child_id, "unexpected_error", repr(exc)))
        return
    if outcome.created:
        summary.created.append(child_id)
    else:
        summary.skipped.append(ChildNotAllocated(child_id, "allocation_exists", "Allocation already exists"))
