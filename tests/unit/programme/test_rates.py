from __future__ import annotations

import pytest

from domain.errors import NotFound
from domain.notifications.model import MessageKind
from domain.programme.actors import Actor
from domain.programme.business_time import BusinessCalendar
from domain.programme.errors import (
    ChildNotFound,
    InvalidField,
    PaymentRateAlreadySet,
    PaymentRateNotFound,
    ProviderNotFound,
)
from domain.programme.rates import PaymentRate
from domain.programme.use_cases.rates import get_payment_rate, set_payment_rate
from tests.fakes import FakeProgrammeUnitOfWork
from tests.unit.programme.builders import (
    CHILD,
    FAMILY,
    OTHER_CHILD,
    OTHER_FAMILY,
    OTHER_PROVIDER,
    PROVIDER,
    WEDNESDAY,
    World,
    add_child,
)

NEW_CHILD = "child-new"


@pytest.fixture
def linked_without_rate(world: World, uow: FakeProgrammeUnitOfWork) -> None:
    add_child(uow, NEW_CHILD, FAMILY)
    uow.state.links.add((PROVIDER, NEW_CHILD))


async def set_rate(
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    actor: Actor | None = None,
    *,
    half: int = 2_500,
    full: int = 5_000,
    provider: str = PROVIDER,
    child: str = NEW_CHILD,
) -> PaymentRate:
    actor = actor or Actor.provider(PROVIDER)
    return await set_payment_rate(
        uow,
        calendar,
        actor,
        provider_id=provider,
        child_id=child,
        half_day_rate_cents=half,
        full_day_rate_cents=full,
    )


async def test_a_provider_sets_rates_for_a_child_it_cares_for(
    linked_without_rate: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    rate = await set_rate(uow, calendar)
    assert uow.state.rates[(PROVIDER, NEW_CHILD)] == rate
    assert (rate.half_day_rate_cents, rate.full_day_rate_cents, rate.created_at) == (2_500, 5_000, WEDNESDAY)
    assert rate.id > 0
    assert uow.commits == 1


async def test_staff_hear_of_a_new_rate_and_not_of_a_refused_one(
    linked_without_rate: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    rate = await set_rate(uow, calendar)
    [message] = uow.notifier.sent()
    assert (message.kind, message.recipient.is_staff) == (MessageKind.STAFF_PAYMENT_RATE_SET, True)
    assert message.cause == f"payment_rate:{rate.id}"
    assert (message.data["half_day_rate_cents"], message.data["child_name"]) == (2_500, "Sam Diaz")
    with pytest.raises(PaymentRateAlreadySet):
        await set_rate(uow, calendar)
    assert len(uow.notifier.sent()) == 1


@pytest.mark.parametrize(("half", "full"), [(100, 100), (100, 16_000), (16_000, 16_000)])
async def test_rates_within_bounds(
    linked_without_rate: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, half: int, full: int
) -> None:
    assert (await set_rate(uow, calendar, half=half, full=full)).full_day_rate_cents == full


@pytest.mark.parametrize(
    ("half", "full", "field"),
    [
        (99, 5_000, "half_day_rate_cents"),
        (100, 16_001, "full_day_rate_cents"),
        (2_000, 99, "full_day_rate_cents"),
        (6_000, 5_000, "half_day_rate_cents"),  # a half day dearer than a full day
        (True, 5_000, "half_day_rate_cents"),  # a JSON boolean is not a number of cents
    ],
)
async def test_rates_out_of_bounds_name_the_field(
    linked_without_rate: None,
    uow: FakeProgrammeUnitOfWork,
    calendar: BusinessCalendar,
    half: int,
    full: int,
    field: str,
) -> None:
    with pytest.raises(InvalidField) as refused:
        await set_rate(uow, calendar, half=half, full=full)
    assert refused.value.details == {"field": field}
    assert (PROVIDER, NEW_CHILD) not in uow.state.rates


async def test_a_provider_sets_them_once(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    before = uow.state.rates[(PROVIDER, CHILD)]
    with pytest.raises(PaymentRateAlreadySet):
        await set_rate(uow, calendar, child=CHILD, half=9_000, full=9_000)
    assert uow.state.rates[(PROVIDER, CHILD)] == before


async def test_staff_may_change_them(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    before = uow.state.rates[(PROVIDER, CHILD)]
    rate = await set_rate(uow, calendar, Actor.admin(), child=CHILD, half=4_500, full=9_000)
    assert (rate.id, rate.half_day_rate_cents, rate.full_day_rate_cents) == (before.id, 4_500, 9_000)
    assert uow.state.rates[(PROVIDER, CHILD)] == rate


async def test_only_for_children_the_provider_cares_for(
    world: World, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar
) -> None:
    with pytest.raises(ChildNotFound):
        await set_rate(uow, calendar, child=OTHER_CHILD)
    with pytest.raises(ChildNotFound):
        await set_rate(uow, calendar, child="no-such-child")


@pytest.mark.parametrize("actor", [Actor.provider(OTHER_PROVIDER), Actor.family(FAMILY), Actor()])
async def test_nobody_else_sets_a_providers_rates(
    linked_without_rate: None, uow: FakeProgrammeUnitOfWork, calendar: BusinessCalendar, actor: Actor
) -> None:
    with pytest.raises(ProviderNotFound):
        await set_rate(uow, calendar, actor)


@pytest.mark.parametrize(
    "actor",
    [Actor.family(FAMILY), Actor.provider(PROVIDER), Actor.admin()],
    ids=["family", "provider", "admin"],
)
async def test_the_family_the_provider_and_staff_read_the_rate(
    world: World, uow: FakeProgrammeUnitOfWork, actor: Actor
) -> None:
    rate = await get_payment_rate(uow, actor, provider_id=PROVIDER, child_id=CHILD)
    assert rate == uow.state.rates[(PROVIDER, CHILD)]
    assert uow.commits == 0


@pytest.mark.parametrize(
    ("actor", "provider", "child", "error"),
    [
        (Actor.family(OTHER_FAMILY), PROVIDER, CHILD, ChildNotFound),
        (Actor.provider(OTHER_PROVIDER), PROVIDER, CHILD, ChildNotFound),
        (Actor.provider(OTHER_PROVIDER), OTHER_PROVIDER, CHILD, ChildNotFound),  # not its child
        (Actor.family(FAMILY), OTHER_PROVIDER, CHILD, ProviderNotFound),  # not the child's provider
        (Actor.family(FAMILY), PROVIDER, "no-such-child", ChildNotFound),
    ],
)
async def test_nobody_else_reads_it(
    world: World,
    uow: FakeProgrammeUnitOfWork,
    actor: Actor,
    provider: str,
    child: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await get_payment_rate(uow, actor, provider_id=provider, child_id=child)


async def test_a_missing_rate_is_404_with_the_text_the_frontend_compares(
    linked_without_rate: None, uow: FakeProgrammeUnitOfWork
) -> None:
    with pytest.raises(PaymentRateNotFound) as missing:
        await get_payment_rate(uow, Actor.family(FAMILY), provider_id=PROVIDER, child_id=NEW_CHILD)
    assert isinstance(missing.value, NotFound)
    assert missing.value.message == "Payment rate not found"
    assert missing.value.code == "payment_rate_not_found"
