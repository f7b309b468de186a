"""The refusals' stable codes and the statuses the edge will give them, and the fake transaction."""

from __future__ import annotations

import inspect

import pytest

from domain.errors import DomainError
from domain.jobs import JobArgumentsError
from domain.programme import errors
from domain.programme.families import Child
from entrypoints.http.errors import status_for
from tests.fakes import FakeProgrammeUnitOfWork
from tests.unit.programme.builders import FAMILY

PROGRAMME_ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, DomainError) and cls.__module__ == errors.__name__
]


def test_every_refusal_has_its_own_code() -> None:
    codes = [cls.code for cls in PROGRAMME_ERRORS]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.AllocationNotFound(), 400),  # the frontend's month navigation depends on 400
        (errors.AllocationExceeded(), 400),
        (errors.CareDayExists(), 400),
        (errors.InvalidField("month", "must be between 1 and 12"), 400),
        (errors.CareDayLocked(), 403),
        (errors.CareDaySubmitted(), 403),
        (errors.AdminRequired(), 403),
        (errors.PaymentRateNotFound(), 404),
        (errors.CareDayNotFound(), 404),
        (errors.ChildNotFound(), 404),
        (errors.ProviderAtCapacity(), 409),
    ],
)
def test_statuses_at_the_edge_follow_the_frontend_contract(error: DomainError, status: int) -> None:
    assert status_for(error) == status


def test_fixed_texts() -> None:
    assert errors.PaymentRateNotFound().message == "Payment rate not found"
    assert errors.AllocationNotFound().message == "Allocation not found"
    assert errors.CareDayExists().message == "Care day already exists for this date"


async def test_the_fake_unit_of_work_discards_what_was_not_committed() -> None:
    uow = FakeProgrammeUnitOfWork()
    child = Child(id="x", family_id=FAMILY, first_name="A", last_name="B")
    async with uow:
        await uow.children.add(child)
    assert "x" not in uow.state.children
    async with uow:
        await uow.children.add(child)
        await uow.commit()
    assert uow.state.children["x"] == child
    with pytest.raises(RuntimeError):
        await uow.children.get("x")  # outside the transaction


async def test_the_fake_uow_jobs_keep_only_committed_work() -> None:
    uow = FakeProgrammeUnitOfWork()
    async with uow:
        await uow.jobs.enqueue("kept", 1)
        await uow.commit()
    async with uow:
        await uow.jobs.enqueue("dropped", 2)
    async with uow:
        assert [name for _, name, *_ in uow.state.jobs] == ["kept"]
    with pytest.raises(JobArgumentsError):
        async with uow:
            await uow.jobs.enqueue("bad", object())
