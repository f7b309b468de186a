"""The whole-month run used by the monthly schedule and `cap-portal allocations create`."""

from __future__ import annotations

from datetime import date

import pytest

from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.errors import AdminRequired, AllocationMonthNotAllowed
from domain.programme.use_cases.allocations import (
    AllocationRunSummary,
    ChildDone,
    ChildNotAllocated,
    create_allocations_for_month,
)
from tests.fakes import FakeProgrammeUnitOfWork
from tests.unit.programme.builders import FAMILY, add_allocation, add_child, add_family

FEBRUARY = date(2025, 2, 1)


@pytest.fixture
def children(uow: FakeProgrammeUnitOfWork) -> None:
    add_family(uow, FAMILY)
    add_child(uow, "new", FAMILY)
    add_child(uow, "existing", FAMILY)
    add_child(uow, "too-much", FAMILY, prorated_allocation_cents=200_000)
    add_child(uow, "not-enabled", FAMILY, payment_enabled=False)
    add_allocation(uow, "existing", FEBRUARY, 100_000)


async def run(
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    *,
    dry_run: bool = False,
    on_child_done: ChildDone | None = None,
) -> AllocationRunSummary:
    return await create_allocations_for_month(
        uow, calendar, rules, Actor.admin(), month=FEBRUARY, dry_run=dry_run, on_child_done=on_child_done
    )


async def test_a_run_creates_skips_and_reports_failures(
    children: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    summary = await run(uow, calendar, rules)

    assert summary.created == ["new"]
    assert summary.skipped == [
        ChildNotAllocated("existing", "allocation_exists", "Allocation already exists")
    ]
    assert [(f.child_id, f.code) for f in summary.failed] == [("too-much", "allocation_above_maximum")]
    months = sorted((a.child_id, a.allocation_cents) for a in uow.state.allocations.values())
    assert months == [("existing", 100_000), ("new", 50_000)]
    assert [e.child_id for e in uow.state.events] == ["new"]


async def test_progress_is_told_after_each_child_failures_included(
    children: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    told: list[tuple[int, int]] = []
    await run(uow, calendar, rules, on_child_done=lambda done, total: told.append((done, total)))
    assert told == [(1, 3), (2, 3), (3, 3)]  # the three payment-enabled children


async def test_running_again_creates_nothing_new(
    children: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    await run(uow, calendar, rules)
    again = await run(uow, calendar, rules)
    assert again.created == []
    assert sorted(s.child_id for s in again.skipped) == ["existing", "new"]
    assert len(uow.state.events) == 1


async def test_a_dry_run_writes_nothing(
    children: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    summary = await run(uow, calendar, rules, dry_run=True)
    assert summary.dry_run
    assert summary.created == ["new"]
    assert [a.child_id for a in uow.state.allocations.values()] == ["existing"]
    assert uow.state.events == []
    assert uow.commits == 0


async def test_an_unexpected_failure_does_not_stop_the_run(
    children: None,
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = uow.allocations.child_has_any

    async def broken_for_new(child_id: str) -> bool:
        if child_id == "new":
            raise ConnectionResetError("database hiccup")
        return await real(child_id)

    monkeypatch.setattr(uow.allocations, "child_has_any", broken_for_new)
    add_child(uow, "another", FAMILY)

    summary = await run(uow, calendar, rules)

    assert summary.created == ["another"]
    assert ("new", "unexpected_error") in [(f.child_id, f.code) for f in summary.failed]


async def test_after_the_program_end_every_child_is_skipped(
    children: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    summary = await run(uow, calendar, ProgrammeRules(program_end_date=FEBRUARY))
    assert summary.created == []
    assert {s.code for s in summary.skipped} == {"program_ended"}
    assert len(summary.skipped) == 3
    assert len(uow.state.allocations) == 1


async def test_a_month_outside_the_window_is_refused(
    children: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    with pytest.raises(AllocationMonthNotAllowed):
        await create_allocations_for_month(uow, calendar, rules, Actor.admin(), month=date(2025, 3, 1))


async def test_only_staff_and_machines_run_it(
    children: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> None:
    with pytest.raises(AdminRequired):
        await create_allocations_for_month(uow, calendar, rules, Actor.family(FAMILY), month=FEBRUARY)


async def test_a_month_outside_the_window_is_refused_even_after_the_program_end(
    children: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(AllocationMonthNotAllowed):
        await create_allocations_for_month(
            uow, calendar, ProgrammeRules(program_end_date=FEBRUARY), Actor.admin(), month=date(2030, 1, 1)
        )
