"""A small, known programme for the unit tests: two families, two providers, one allocation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Unpack
from zoneinfo import ZoneInfo

from domain.programme.allocations import MonthAllocation
from domain.programme.care_days import CareDay, CareDayType
from domain.programme.families import Child, Family, Guardian, GuardianType
from domain.programme.providers import Provider, ProviderType
from domain.programme.rates import PaymentRate
from tests.fakes import FakeProgrammeUnitOfWork
from tests.fields import AllocationSums, CareDayFields, ChildFields

DENVER = ZoneInfo("America/Denver")
FAMILY, OTHER_FAMILY = "family-1", "family-2"
CHILD, SIBLING, OTHER_CHILD = "child-1", "child-1b", "child-2"
PROVIDER, SECOND_PROVIDER, OTHER_PROVIDER = "provider-1", "provider-1b", "provider-2"
HALF, FULL = 4_000, 8_000
# Wednesday 15 January 2025, 10:00 in Denver (MST, UTC-7): Monday the 13th has locked its week.
WEDNESDAY = datetime(2025, 1, 15, 17, 0, tzinfo=UTC)
JANUARY = date(2025, 1, 1)


def denver(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=DENVER).astimezone(UTC)


def add_family(uow: FakeProgrammeUnitOfWork, family_id: str) -> Family:
    guardian = Guardian(id=f"{family_id}-g", type=GuardianType.PRIMARY, first_name="Ana", last_name="Diaz")
    family = Family(id=family_id, guardians=(guardian,))
    uow.state.families[family_id] = family
    return family


def add_child(
    uow: FakeProgrammeUnitOfWork, child_id: str, family_id: str, **fields: Unpack[ChildFields]
) -> Child:
    child = Child(
        id=child_id,
        family_id=family_id,
        first_name="Sam",
        last_name="Diaz",
        payment_enabled=True,
        monthly_allocation_cents=100_000,
        prorated_allocation_cents=50_000,
    )
    child = replace(child, **fields)
    uow.state.children[child_id] = child
    return child


def add_provider(uow: FakeProgrammeUnitOfWork, provider_id: str) -> Provider:
    provider = Provider(
        id=provider_id, name=f"Care by {provider_id}", type=ProviderType.FAMILY_FRIEND_NEIGHBOUR
    )
    uow.state.providers[provider_id] = provider
    return provider


def link_with_rate(
    uow: FakeProgrammeUnitOfWork, provider_id: str, child_id: str, half: int = HALF, full: int = FULL
) -> PaymentRate:
    uow.state.links.add((provider_id, child_id))
    rate = PaymentRate(uow.next_id(), provider_id, child_id, half, full, WEDNESDAY, WEDNESDAY)
    uow.state.rates[(provider_id, child_id)] = rate
    return rate


def add_allocation(
    uow: FakeProgrammeUnitOfWork,
    child_id: str = CHILD,
    month: date = JANUARY,
    cents: int = 100_000,
    **sums: Unpack[AllocationSums],
) -> MonthAllocation:
    allocation = MonthAllocation(uow.next_id(), child_id, month, cents, WEDNESDAY, WEDNESDAY, **sums)
    uow.state.allocations[allocation.id] = allocation
    return allocation


def add_care_day(
    uow: FakeProgrammeUnitOfWork,
    allocation: MonthAllocation,
    day: date,
    amount: int = HALF,
    *,
    provider_id: str = PROVIDER,
    type: CareDayType = CareDayType.HALF_DAY,
    **fields: Unpack[CareDayFields],
) -> CareDay:
    care_day = CareDay(
        id=uow.next_id(),
        allocation_id=allocation.id,
        child_id=allocation.child_id,
        provider_id=provider_id,
        date=day,
        type=type,
        amount_cents=amount,
        created_at=WEDNESDAY,
        updated_at=WEDNESDAY,
        amount_missing_cents=None,
    )
    care_day = replace(care_day, **fields)
    uow.state.care_days[care_day.id] = care_day
    return care_day


@dataclass
class World:
    uow: FakeProgrammeUnitOfWork
    allocation: MonthAllocation
    other_allocation: MonthAllocation


def seed_world(uow: FakeProgrammeUnitOfWork) -> World:
    """family-1: child-1 with provider-1 and provider-1b. family-2: child-2 with provider-2."""
    add_family(uow, FAMILY)
    add_family(uow, OTHER_FAMILY)
    add_child(uow, CHILD, FAMILY)
    add_child(uow, OTHER_CHILD, OTHER_FAMILY)
    for provider_id in (PROVIDER, SECOND_PROVIDER, OTHER_PROVIDER):
        add_provider(uow, provider_id)
    link_with_rate(uow, PROVIDER, CHILD)
    link_with_rate(uow, SECOND_PROVIDER, CHILD, half=3_000, full=6_000)
    link_with_rate(uow, OTHER_PROVIDER, OTHER_CHILD)
    return World(uow, add_allocation(uow, CHILD), add_allocation(uow, OTHER_CHILD))
