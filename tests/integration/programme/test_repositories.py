"""Each repository stores its records and gives them back as the same domain objects."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from typing import Unpack

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from domain.programme.actors import Actor
from domain.programme.allocations import MonthAllocation
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDay, CareDayType
from domain.programme.config import ProgrammeRules
from domain.programme.events import AllocationCreated
from domain.programme.families import Address, Guardian, GuardianType
from domain.programme.providers import ProviderType
from domain.programme.rates import PaymentRate
from domain.programme.records import UNSAVED_ID, new_reference_id
from domain.programme.statuses import ApplicationStatus, Language
from domain.programme.use_cases.allocations import create_allocation
from tests.fakes import FixedClock
from tests.fields import CareDayFields
from tests.integration.programme.conftest import (
    FIRST_OPEN_DAY,
    JANUARY,
    NOW,
    a_child,
    a_family,
    a_provider,
    seed,
)

LATER = NOW + timedelta(hours=1)


async def test_a_family_round_trips_with_its_guardians_in_order(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    family = a_family(external_id="site-family-1")
    other = a_family()
    async with uow:
        await uow.families.add(family)
        await uow.families.add(other)
        await uow.commit()

    async with uow:
        assert await uow.families.get(family.id) == family
        assert await uow.families.get_by_external_id("site-family-1") == family
        assert await uow.families.list_all() == [family, other]
        assert await uow.families.get(new_reference_id()) is None
        assert await uow.families.get("not-a-uuid") is None
        assert await uow.families.get_by_external_id("unknown") is None


async def test_saving_a_family_replaces_its_guardians(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    family = a_family()
    async with uow:
        await uow.families.add(family)
        await uow.commit()
    primary, secondary = family.guardians
    newcomer = Guardian(
        id=new_reference_id(),
        type=GuardianType.PRIMARY,
        first_name="Maya",
        last_name="Lopez",
        address=Address(city="Aurora"),
        external_id="g-9",
    )
    changed = replace(
        family,
        language=Language.SPANISH,
        household_size=None,
        external_id="site-2",
        # The old primary becomes the second guardian; the old secondary leaves.
        guardians=(newcomer, replace(primary, type=GuardianType.SECONDARY)),
    )
    async with uow:
        await uow.families.save(changed)
        await uow.commit()
    async with uow:
        assert await uow.families.get(family.id) == changed
        # The same session reads its own writes, never a stale copy.
        await uow.families.save(replace(changed, guardians=(newcomer,)))
        assert await uow.families.get(family.id) == replace(changed, guardians=(newcomer,))
    assert secondary not in changed.guardians


async def test_guardian_order_is_enforced_by_the_database(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    family = a_family()
    secondary_first = replace(family, guardians=tuple(reversed(family.guardians)))
    with pytest.raises(IntegrityError, match="ck_guardians_primary_first"):
        async with uow:
            await uow.families.add(secondary_first)


async def test_children_round_trip(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    family = a_family()
    child = a_child(family.id, external_id="site-child-1", middle_name="Lee")
    sibling = a_child(family.id, payment_enabled=False, monthly_allocation_cents=None)
    async with uow:
        await uow.families.add(family)
        await uow.children.add(child)
        await uow.children.add(sibling)
        await uow.commit()

    async with uow:
        assert await uow.children.get(child.id) == child
        assert await uow.children.get_for_update(child.id) == child
        assert await uow.children.get_by_external_id("site-child-1") == child
        assert await uow.children.list_for_family(family.id) == [child, sibling]
        assert await uow.children.list_payment_enabled() == [child]
        assert await uow.children.get("nope") is None
        assert await uow.children.get_for_update(new_reference_id()) is None
        assert await uow.children.list_for_family("nope") == []

        paused = replace(
            child, status=ApplicationStatus.HOLD, payment_enabled=False, prorated_allocation_cents=None
        )
        await uow.children.save(paused)
        assert await uow.children.get(child.id) == paused
        await uow.commit()
    async with uow:
        assert await uow.children.list_payment_enabled() == []


async def test_a_page_of_families_reads_its_children_at_once(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    family, other, childless = a_family(), a_family(), a_family()
    child, sibling, cousin = a_child(family.id), a_child(family.id), a_child(other.id)
    async with uow:
        for f in (family, other, childless):
            await uow.families.add(f)
        for c in (child, cousin, sibling):
            await uow.children.add(c)
        await uow.commit()

    async with uow:
        found = await uow.children.list_for_families([family.id, childless.id, other.id, "nope"])
        assert found == {family.id: [child, sibling], other.id: [cousin]}
        assert await uow.children.list_for_families([other.id]) == {other.id: [cousin]}
        assert await uow.children.list_for_families([]) == {}


async def test_a_provider_reads_the_children_it_cares_for_and_their_rates(
    uow: SqlAlchemyProgrammeUnitOfWork,
) -> None:
    seeded = await seed(uow)
    unrated = a_child(seeded.family.id)
    stranger = a_child(seeded.family.id)
    async with uow:
        await uow.children.add(unrated)
        await uow.children.add(stranger)
        await uow.links.link(seeded.provider.id, unrated.id)
        await uow.commit()

    async with uow:
        cared_for = await uow.children.list_cared_for_by(seeded.provider.id)
        assert cared_for == sorted([seeded.child, unrated], key=lambda c: c.id)
        assert await uow.rates.list_for_provider(seeded.provider.id) == [seeded.rate]
        assert await uow.children.list_cared_for_by("nope") == []
        assert await uow.rates.list_for_provider("nope") == []


async def test_providers_round_trip(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    provider = a_provider(
        first_name="Rosa",
        email="rosa@example.org",
        phone_number="+17205550123",
        status=ApplicationStatus.APPROVED,
        payment_enabled=True,
        care_location=Address("2 Elm St", "Unit 4", "Denver", "CO", "80203"),
        preferred_language=Language.ARABIC,
        link_id="invite-1",
        external_id="site-provider-1",
    )
    other = a_provider(type=ProviderType.CENTER)
    async with uow:
        await uow.providers.add(provider)
        await uow.providers.add(other)
        await uow.commit()
    async with uow:
        assert await uow.providers.get(provider.id) == provider
        assert await uow.providers.get_for_update(provider.id) == provider
        assert await uow.providers.get_by_external_id("site-provider-1") == provider
        assert await uow.providers.list_all() == [provider, other]
        assert await uow.providers.get("nope") is None
        renamed = replace(provider, name="Sunny Days II", care_location=Address())
        await uow.providers.save(renamed)
        await uow.commit()
    async with uow:
        assert await uow.providers.get(provider.id) == renamed


async def test_links_are_idempotent_and_read_both_ways(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    family = a_family()
    child, sibling = a_child(family.id), a_child(family.id)
    provider, second = a_provider(), a_provider()
    async with uow:
        await uow.families.add(family)
        for c in (child, sibling):
            await uow.children.add(c)
        for p in (provider, second):
            await uow.providers.add(p)
        await uow.links.link(provider.id, child.id)
        await uow.links.link(provider.id, child.id)  # a repeat changes nothing
        await uow.links.link(provider.id, sibling.id)
        await uow.links.link(second.id, child.id)
        await uow.commit()
    async with uow:
        assert await uow.links.is_linked(provider.id, child.id)
        assert not await uow.links.is_linked(second.id, sibling.id)
        assert not await uow.links.is_linked("nope", child.id)
        assert await uow.links.children_of(provider.id) == sorted([child.id, sibling.id])
        assert await uow.links.providers_of(child.id) == sorted([provider.id, second.id])
        assert await uow.links.children_of("nope") == []
        assert await uow.links.children_of_each([provider.id, second.id, "nope"]) == {
            provider.id: sorted([child.id, sibling.id]),
            second.id: [child.id],
        }
        assert await uow.links.children_of_each([]) == {}
        caring = await uow.providers.list_caring_for(child.id)
        assert caring == sorted([provider, second], key=lambda p: p.id)
        assert await uow.providers.list_caring_for(sibling.id) == [provider]
        assert await uow.providers.list_caring_for("nope") == []
        await uow.links.unlink(provider.id, child.id)
        await uow.commit()
    async with uow:
        assert await uow.links.children_of(provider.id) == [sibling.id]


async def test_payment_rates_round_trip_with_database_ids(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    seeded = await seed(uow)
    async with uow:
        assert seeded.rate.id > 0
        assert await uow.rates.get(seeded.provider.id, seeded.child.id) == seeded.rate
        assert await uow.rates.get(seeded.provider.id, "nope") is None
        dearer = replace(seeded.rate, half_day_rate_cents=5_000, full_day_rate_cents=9_000, updated_at=LATER)
        await uow.rates.save(dearer)
        await uow.commit()
    async with uow:
        assert await uow.rates.get(seeded.provider.id, seeded.child.id) == dearer


@pytest.mark.parametrize(("half", "full"), [(99, 8_000), (4_000, 16_001), (9_000, 8_000)])
async def test_rates_outside_the_rules_are_refused_by_the_database(
    uow: SqlAlchemyProgrammeUnitOfWork, half: int, full: int
) -> None:
    seeded = await seed(uow)
    other = a_provider()
    with pytest.raises(IntegrityError, match="ck_payment_rates"):
        async with uow:
            await uow.providers.add(other)
            await uow.rates.add(PaymentRate(UNSAVED_ID, other.id, seeded.child.id, half, full, NOW, NOW))


async def test_allocations_round_trip_and_stay_one_per_child_and_month(
    uow: SqlAlchemyProgrammeUnitOfWork,
) -> None:
    seeded = await seed(uow, allocation_cents=70_000)
    allocation = seeded.allocation
    async with uow:
        assert allocation.id > 0
        assert await uow.allocations.get(allocation.id) == allocation
        assert await uow.allocations.get_for_update(allocation.id) == allocation
        assert await uow.allocations.get_for_child_month(seeded.child.id, JANUARY) == allocation
        assert await uow.allocations.get_for_child_month(seeded.child.id, date(2025, 2, 1)) is None
        assert await uow.allocations.child_has_any(seeded.child.id)
        assert not await uow.allocations.child_has_any(new_reference_id())
        assert await uow.allocations.get(allocation.id + 1000) is None

        twin = MonthAllocation(UNSAVED_ID, seeded.child.id, JANUARY, 1, NOW, NOW)
        assert await uow.allocations.add_if_absent(twin) is None
        february = await uow.allocations.add_if_absent(replace(twin, month=date(2025, 2, 1)))
        assert february is not None
        assert february.id > allocation.id
        await uow.commit()
    async with uow:
        assert await uow.allocations.get(allocation.id) == allocation  # the losing insert changed nothing


async def test_an_allocation_must_start_on_the_first_of_a_month(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    seeded = await seed(uow)
    with pytest.raises(IntegrityError, match="ck_month_allocations_first_of_month"):
        async with uow:
            await uow.allocations.add_if_absent(
                MonthAllocation(UNSAVED_ID, seeded.child.id, date(2025, 3, 2), 1, NOW, NOW)
            )


def _care_day(
    seeded_allocation: MonthAllocation,
    provider_id: str,
    day: date,
    *,
    type: CareDayType = CareDayType.FULL_DAY,
    amount_cents: int = 8_000,
    **fields: Unpack[CareDayFields],
) -> CareDay:
    care_day = CareDay(
        id=UNSAVED_ID,
        allocation_id=seeded_allocation.id,
        child_id=seeded_allocation.child_id,
        provider_id=provider_id,
        date=day,
        type=type,
        amount_cents=amount_cents,
        amount_missing_cents=None,
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(care_day, **fields)


async def test_care_days_round_trip_and_list_by_allocation_and_provider(
    uow: SqlAlchemyProgrammeUnitOfWork,
) -> None:
    seeded = await seed(uow)
    mine = seeded.provider.id
    second = a_provider()
    async with uow:
        await uow.providers.add(second)
        later = await uow.care_days.add(
            _care_day(seeded.allocation, mine, FIRST_OPEN_DAY + timedelta(days=2))
        )
        first = await uow.care_days.add(
            _care_day(
                seeded.allocation,
                mine,
                FIRST_OPEN_DAY,
                type=CareDayType.HALF_DAY,
                amount_cents=1_000,
                amount_missing_cents=3_000,
            )
        )
        elsewhere = await uow.care_days.add(_care_day(seeded.allocation, second.id, FIRST_OPEN_DAY))
        await uow.commit()

    assert 0 < later.id < first.id < elsewhere.id
    async with uow:
        assert await uow.care_days.get(first.id) == first
        assert await uow.care_days.get(first.id + 1000) is None
        assert await uow.care_days.find(seeded.allocation.id, mine, FIRST_OPEN_DAY) == first
        assert await uow.care_days.find(seeded.allocation.id, "nope", FIRST_OPEN_DAY) is None
        assert await uow.care_days.list_for_allocation(seeded.allocation.id) == [first, elsewhere, later]
        assert await uow.care_days.list_for_provider(mine, child_id=None, start=None, end=None) == [
            first,
            later,
        ]
        assert await uow.care_days.list_for_provider(
            mine, child_id=seeded.child.id, start=FIRST_OPEN_DAY + timedelta(days=1), end=None
        ) == [later]
        assert await uow.care_days.list_for_provider(mine, child_id=None, start=None, end=FIRST_OPEN_DAY) == [
            first
        ]
        assert (
            await uow.care_days.list_for_provider(mine, child_id=new_reference_id(), start=None, end=None)
            == []
        )
        assert await uow.care_days.list_for_provider(mine, child_id="nope", start=None, end=None) == []

        removed = replace(first, deleted_at=LATER, updated_at=LATER)
        # Submitted (claimed by a payment intent); its payment_id names a payment once it is paid.
        paid = replace(
            later,
            payment_distribution_requested=True,
            last_submitted_at=LATER,
            updated_at=LATER,
        )
        await uow.care_days.save(removed)
        await uow.care_days.save(paid)
        await uow.commit()
    async with uow:
        # Removed days are still listed: the calendar shows them as such.
        assert await uow.care_days.list_for_allocation(seeded.allocation.id) == [removed, elsewhere, paid]
        assert (await uow.care_days.find(seeded.allocation.id, mine, FIRST_OPEN_DAY)) == removed


async def test_one_care_day_row_per_allocation_provider_and_date(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    seeded = await seed(uow)
    async with uow:
        first = await uow.care_days.add(_care_day(seeded.allocation, seeded.provider.id, FIRST_OPEN_DAY))
        await uow.care_days.save(replace(first, deleted_at=LATER))
        await uow.commit()
    # Even a removed day keeps its place: it is restored, never inserted twice.
    with pytest.raises(IntegrityError, match="uq_care_days_allocation_id_provider_id_date"):
        async with uow:
            await uow.care_days.add(_care_day(seeded.allocation, seeded.provider.id, FIRST_OPEN_DAY))


async def test_an_allocation_event_is_a_job_written_in_its_transaction_and_sent_after_the_commit(
    uow: SqlAlchemyProgrammeUnitOfWork, engine: AsyncEngine, redis: Redis
) -> None:
    seeded = await seed(uow)
    event = AllocationCreated(
        seeded.allocation.id, seeded.child.id, seeded.family.id, JANUARY, 100_000, occurred_at=NOW
    )
    async with uow:
        await uow.allocation_events.allocation_created(event)  # rolled back: never a job
    async with uow:
        await uow.allocation_events.allocation_created(event)
        assert await redis.llen("dramatiq:default") == 0  # nothing is sent before the commit
        await uow.commit()

    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, name, args, kwargs, status FROM jobs"))).all()
    assert [row[1:] for row in rows] == [
        (
            "programme.allocation_created",
            [],
            {
                "allocation_id": seeded.allocation.id,
                "child_id": seeded.child.id,
                "family_id": seeded.family.id,
                "month": "2025-01-01",
                "allocation_cents": 100_000,
                "occurred_at": "2025-01-01T17:00:00+00:00",
            },
            "queued",
        )
    ]
    job_id = str(rows[0][0])
    for _ in range(500):  # the message is sent from a thread just after the commit
        if await redis.hexists("dramatiq:default.msgs", job_id):
            break
        await asyncio.sleep(0.01)
    assert await redis.hexists("dramatiq:default.msgs", job_id)


async def test_an_event_published_outside_its_unit_of_work_is_refused(
    uow: SqlAlchemyProgrammeUnitOfWork, engine: AsyncEngine
) -> None:
    event = AllocationCreated(7, new_reference_id(), new_reference_id(), JANUARY, 1, occurred_at=NOW)
    async with uow:
        publisher = uow.allocation_events
    with pytest.raises(RuntimeError, match="inside its unit of work"):
        await publisher.allocation_created(event)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM jobs"))).scalar() == 0


async def test_without_a_job_queue_no_allocation_can_be_created_without_its_event(
    session_factory: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    family = a_family()
    child = a_child(family.id)
    uow = SqlAlchemyProgrammeUnitOfWork(session_factory)  # reference data only, as an import script
    async with uow:
        await uow.families.add(family)
        await uow.children.add(child)
        await uow.commit()
    calendar = BusinessCalendar(FixedClock(NOW), "America/Denver")
    with pytest.raises(RuntimeError, match="no job queue"):
        await create_allocation(
            uow, calendar, ProgrammeRules(), Actor.admin(), child_id=child.id, month=JANUARY
        )
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM month_allocations"))).scalar() == 0


async def test_repositories_need_an_open_unit_of_work(uow: SqlAlchemyProgrammeUnitOfWork) -> None:
    with pytest.raises(RuntimeError, match="not open"):
        _ = uow.families
