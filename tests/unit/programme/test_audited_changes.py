"""A staff change and its audit entry are one transaction: both or neither."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.audit import AuditStamp
from domain.errors import DomainError
from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.families import Child
from domain.programme.use_cases import families
from tests.fakes import FakeProgrammeUnitOfWork

AT = datetime(2025, 1, 1, 12, tzinfo=UTC)
STAMP = AuditStamp("console:user_staff", AT)


def _uow_with_a_child() -> FakeProgrammeUnitOfWork:
    uow = FakeProgrammeUnitOfWork()
    child = Child("c1", "f1", "Ana", "Doe", monthly_allocation_cents=80_000)
    uow.state.children[child.id] = child
    uow._committed = uow.state.copy()
    return uow


async def test_the_change_and_its_entry_are_committed_together() -> None:
    uow = _uow_with_a_child()
    changes = families.ChildChanges(monthly_allocation_cents=95_000)
    await families.update_child(uow, ProgrammeRules(), Actor.admin(), "c1", changes, audit=STAMP)
    [entry] = uow.audit.committed()
    assert (entry.actor, entry.action, entry.record_id, entry.at) == (STAMP.actor, "child.changed", "c1", AT)
    assert entry.changed_fields() == ["monthly_allocation_cents"]
    assert entry.before is not None
    assert entry.before["monthly_allocation_cents"] == 80_000
    assert entry.after is not None
    assert entry.after["monthly_allocation_cents"] == 95_000


async def test_a_refused_change_leaves_no_entry() -> None:
    uow = _uow_with_a_child()
    too_much = families.ChildChanges(monthly_allocation_cents=ProgrammeRules().max_allocation_cents + 1)
    with pytest.raises(DomainError):
        await families.update_child(uow, ProgrammeRules(), Actor.admin(), "c1", too_much, audit=STAMP)
    assert uow.audit.committed() == []
    assert uow.state.children["c1"].monthly_allocation_cents == 80_000
