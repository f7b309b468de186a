"""The home pages' asyncpg paths (``RawFamilyHomeReads``, ``RawProviderHomeReads``, ``RawPaymentFlagReads``)
answer exactly as the units of work do, in a fixed number of statements whatever the number of records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.postgres.money.flag_reads import RawPaymentFlagReads
from adapters.postgres.programme.home_reads import RawFamilyHomeReads, RawProviderHomeReads
from domain.money.ledger import Account, LedgerTransaction, RecordType, TransactionKind
from domain.money.use_cases.dashboards import family_payment_flags, provider_is_payable
from domain.money.wallets import (
    FamilyPaymentSettings,
    Instrument,
    PaymentMethod,
    ProviderPaymentSettings,
)
from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.errors import ChildNotFound, ProviderNotFound
from domain.programme.rates import PaymentRate
from domain.programme.records import UNSAVED_ID
from domain.programme.use_cases.dashboards import default_child_id, family_dashboard, provider_dashboard
from tests.integration.money.conftest import MoneyUowFactory
from tests.integration.programme.conftest import NOW, Seeded, UowFactory, a_child, a_provider, seed
from tests.statement_counts import CountingPool


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[CountingPool]:
    pool = CountingPool(database_url)
    yield pool
    await pool.close()


@dataclass
class Household:
    seeded: Seeded
    payable_provider: str  # the seeded provider: card chosen and active
    other_provider: str  # linked to the same child, no payment settings


async def _household(new_uow: UowFactory, new_money_uow: MoneyUowFactory) -> Household:
    """A family with two children (the first with two providers), a funded wallet, one payable provider
    with rates for both children, and a second child created later (the order is by creation)."""
    seeded = await seed(new_uow())
    other = a_provider()
    second = a_child(seeded.family.id)
    async with new_uow() as uow:
        await uow.providers.add(other)
        await uow.links.link(other.id, seeded.child.id)
        await uow.children.add(second)
        await uow.links.link(seeded.provider.id, second.id)
        later = NOW + timedelta(minutes=5)
        rate = PaymentRate(UNSAVED_ID, seeded.provider.id, second.id, 3_000, 6_000, later, later)
        await uow.rates.add(rate)
        await uow.commit()
    async with new_money_uow() as uow:
        wallet = FamilyPaymentSettings(seeded.family.id, gateway_user_id="u-fam")
        await uow.payment_settings.save_family(wallet)
        await uow.payment_settings.save_provider(
            ProviderPaymentSettings(
                seeded.provider.id,
                gateway_user_id="u-prov",
                payment_method=PaymentMethod.CARD,
                payment_method_updated_at=NOW,
                card=Instrument("card-1", "Active"),
            )
        )
        await uow.ledger.record(
            LedgerTransaction.move(
                TransactionKind.ALLOCATION_FUNDING,
                Account.programme(),
                Account.family_wallet(seeded.family.id),
                12_345,
                record_type=RecordType.ALLOCATION,
                record_id=str(seeded.allocation.id),
                idempotency_key=f"home-reads-{seeded.allocation.id}",
            )
        )
        await uow.commit()
    return Household(seeded, seeded.provider.id, other.id)


async def test_the_family_home_reads_what_the_unit_of_work_reads(
    new_uow: UowFactory, new_money_uow: MoneyUowFactory, pool: CountingPool
) -> None:
    house = await _household(new_uow, new_money_uow)
    family = Actor.family(house.seeded.family.id)
    raw = RawFamilyHomeReads(pool)

    for child_id in (None, house.seeded.child.id):
        through_asyncpg = await family_dashboard(raw, family, child_id)
        assert through_asyncpg == await family_dashboard(new_uow(), family, child_id)
    assert through_asyncpg.children[0].id == house.seeded.child.id
    assert len(through_asyncpg.children) == 2
    assert {p.id for p in through_asyncpg.providers} == {house.payable_provider, house.other_provider}
    assert await default_child_id(raw, family) == await default_child_id(new_uow(), family)

    providers = [house.payable_provider, house.other_provider, "not-a-uuid"]
    flags = await family_payment_flags(RawPaymentFlagReads(pool), house.seeded.family.id, providers)
    assert flags == await family_payment_flags(new_money_uow(), house.seeded.family.id, providers)
    assert flags.can_make_payments
    assert flags.payable_provider_ids == {house.payable_provider}


async def test_the_provider_home_reads_what_the_unit_of_work_reads(
    new_uow: UowFactory, new_money_uow: MoneyUowFactory, pool: CountingPool, rules: ProgrammeRules
) -> None:
    house = await _household(new_uow, new_money_uow)
    provider = Actor.provider(house.payable_provider)

    through_asyncpg = await provider_dashboard(RawProviderHomeReads(pool), rules, provider)
    assert through_asyncpg == await provider_dashboard(new_uow(), rules, provider)
    assert len(through_asyncpg.children) == 2
    assert all(c.rate is not None for c in through_asyncpg.children)
    for provider_id, payable in ((house.payable_provider, True), (house.other_provider, False)):
        assert await provider_is_payable(RawPaymentFlagReads(pool), provider_id) is payable
        assert await provider_is_payable(new_money_uow(), provider_id) is payable


async def test_a_family_without_money_records_cannot_pay_on_either_path(
    new_uow: UowFactory, new_money_uow: MoneyUowFactory, pool: CountingPool
) -> None:
    seeded = await seed(new_uow())
    for reads in (RawPaymentFlagReads(pool), new_money_uow()):
        flags = await family_payment_flags(reads, seeded.family.id, [seeded.provider.id])
        assert not flags.can_make_payments
        assert flags.payable_provider_ids == frozenset()


async def test_strangers_are_refused_on_the_raw_paths(
    new_uow: UowFactory, pool: CountingPool, rules: ProgrammeRules
) -> None:
    seeded = await seed(new_uow())
    with pytest.raises(ChildNotFound):
        await family_dashboard(RawFamilyHomeReads(pool), Actor.family(seeded.family.id), "not-a-uuid")
    stranger = Actor.family("00000000-0000-4000-8000-000000000000")
    with pytest.raises(ChildNotFound):
        await family_dashboard(RawFamilyHomeReads(pool), stranger, seeded.child.id)
    with pytest.raises(ProviderNotFound):
        await provider_dashboard(RawProviderHomeReads(pool), rules, Actor.provider("not-a-uuid"))


@pytest.mark.parametrize("more", [False, True])
async def test_the_home_pages_cost_the_same_statements_however_many_records(
    new_uow: UowFactory, new_money_uow: MoneyUowFactory, pool: CountingPool, rules: ProgrammeRules, more: bool
) -> None:
    if more:
        house = await _household(new_uow, new_money_uow)
        seeded, providers = house.seeded, [house.payable_provider, house.other_provider]
    else:
        seeded = await seed(new_uow())
        providers = [seeded.provider.id]
    home = await family_dashboard(RawFamilyHomeReads(pool), Actor.family(seeded.family.id))
    await family_payment_flags(RawPaymentFlagReads(pool), seeded.family.id, providers)
    assert len(pool.statements) == 2 + 3, pool.statements  # children, providers; settings ×2, balance
    assert len(home.providers) == len(providers)
    pool.statements.clear()
    await provider_dashboard(RawProviderHomeReads(pool), rules, Actor.provider(seeded.provider.id))
    await provider_is_payable(RawPaymentFlagReads(pool), seeded.provider.id)
    assert len(pool.statements) == 3 + 1, pool.statements  # provider, children, rates; settings
