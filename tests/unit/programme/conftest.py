from __future__ import annotations

import pytest

from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from tests.fakes import FakeProgrammeUnitOfWork, FixedClock
from tests.unit.programme.builders import WEDNESDAY, World, seed_world


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(WEDNESDAY)


@pytest.fixture
def rules() -> ProgrammeRules:
    return ProgrammeRules()


@pytest.fixture
def calendar(clock: FixedClock, rules: ProgrammeRules) -> BusinessCalendar:
    return BusinessCalendar(clock, rules.business_timezone)


@pytest.fixture
def uow() -> FakeProgrammeUnitOfWork:
    return FakeProgrammeUnitOfWork()


@pytest.fixture
def world(uow: FakeProgrammeUnitOfWork) -> World:
    return seed_world(uow)
