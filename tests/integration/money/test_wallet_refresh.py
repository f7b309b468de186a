"""The periodic refreshes (system schedules) ask for one sync per wallet concerned, a page per transaction:
every 15 minutes the providers waiting on the gateway, daily every wallet; a sync copies the gateway's
balance and statuses to our row, or records why it could not."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.jobs.dispatch_store import DeclaredSchedule
from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from domain.money.errors import GatewayUnavailable
from domain.money.use_cases.refresh import ask_for_wallet_refresh
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.money import (
    REFRESH_PENDING_CRON,
    REFRESH_WALLETS_CRON,
    open_family_wallet_job,
    open_provider_wallet_job,
    refresh_pending_instruments,
    refresh_wallets,
    sync_family_wallet_job,
    sync_provider_wallet_job,
)
from entrypoints.jobs.scheduler_main import declared_schedules
from tests.integration.money.conftest import MoneyUowFactory
from tests.integration.programme.conftest import UowFactory, a_family, a_provider


async def _providers(new_uow: UowFactory, count: int) -> list[str]:
    providers = [
        a_provider(email=f"care{i}@example.org", first_name="Rosa", last_name=f"P{i}") for i in range(count)
    ]
    async with new_uow() as uow:
        for provider in providers:
            await uow.providers.add(provider)
        await uow.commit()
    return [p.id for p in providers]


async def _family(new_uow: UowFactory) -> str:
    family = a_family()
    async with new_uow() as uow:
        await uow.families.add(family)
        await uow.commit()
    return family.id


async def _asked(engine: AsyncEngine, name: str) -> list[Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT args FROM jobs WHERE name = :name ORDER BY created_at"), {"name": name}
        )
        return sorted(args[0] for (args,) in rows)


def _sandbox(context: JobContext) -> SandboxGateway:
    gateway = context.gateway
    assert isinstance(gateway, SandboxGateway)
    return gateway


def test_the_refreshes_are_system_schedules() -> None:
    assert (REFRESH_PENDING_CRON, REFRESH_WALLETS_CRON) == ("*/15 * * * *", "30 3 * * *")
    declared = declared_schedules()
    for name, cron in (
        ("money.refresh_pending_instruments", REFRESH_PENDING_CRON),
        ("money.refresh_wallets", REFRESH_WALLETS_CRON),
    ):
        assert DeclaredSchedule(key=name, job_name=name, cron=cron, timezone=None) in declared


async def test_every_15_minutes_the_providers_waiting_on_the_gateway_are_synced(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    never_synced, settled, invited, no_wallet = await _providers(new_uow, 4)
    for provider_id in (never_synced, settled, invited):
        await open_provider_wallet_job(provider_id)
    gateway = _sandbox(context)
    async with context.money_unit_of_work() as uow:
        users = {
            p: s.gateway_user_id
            for p, s in (await uow.payment_settings.providers([settled, invited])).items()
        }
    await gateway.create_card(users[settled] or "")
    await gateway.start_ach_linking(users[invited] or "")
    for provider_id in (settled, invited):
        await sync_provider_wallet_job(provider_id)  # Active card; Pending ACH
    async with engine.begin() as connection:
        await connection.execute(text("DELETE FROM jobs"))

    assert await refresh_pending_instruments() == {"providers": 2}

    assert await _asked(engine, "money.sync_provider_wallet") == sorted([never_synced, invited])
    assert no_wallet not in await _asked(engine, "money.sync_provider_wallet")


async def test_the_refresh_asks_for_a_sync_of_every_wallet_and_only_those(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    with_wallet = await _providers(new_uow, 3)
    without_wallet = await _providers(new_uow, 1)
    family_id = await _family(new_uow)
    for provider_id in with_wallet:
        await open_provider_wallet_job(provider_id)
    await open_family_wallet_job(family_id)

    assert await refresh_wallets() == {"families": 1, "providers": 3}

    assert await _asked(engine, "money.sync_provider_wallet") == sorted(with_wallet)
    assert without_wallet[0] not in await _asked(engine, "money.sync_provider_wallet")
    assert await _asked(engine, "money.sync_family_wallet") == [family_id]


async def test_the_refresh_pages_through_the_wallets(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory, engine: AsyncEngine
) -> None:
    providers = await _providers(new_uow, 5)
    for provider_id in providers:
        await open_provider_wallet_job(provider_id)

    asked = await ask_for_wallet_refresh(new_money_uow(), page=2)  # pages of 2, 2 and 1

    assert (asked.providers, asked.families) == (5, 0)
    assert await _asked(engine, "money.sync_provider_wallet") == sorted(providers)


async def test_a_sync_copies_the_balance_and_statuses(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory
) -> None:
    family_id = await _family(new_uow)
    opened = await open_family_wallet_job(family_id)
    await _sandbox(context).fund_family_wallet(opened["gateway_user_id"], 12_345, idempotency_key="test:fund")

    assert await sync_family_wallet_job(family_id) == {
        "family_id": family_id,
        "synced": True,
        "wallet_balance_cents": 12_345,
    }
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.family(family_id)
    assert settings is not None
    assert (settings.wallet_balance_cents, settings.last_synced_at) == (12_345, context.clock.now())


async def test_a_sync_the_gateway_cannot_answer_is_recorded_and_retried(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory
) -> None:
    [provider_id] = await _providers(new_uow, 1)
    await open_provider_wallet_job(provider_id)
    await _sandbox(context).fail_next(Fault.TIMEOUT, operation="wallet_state")

    with pytest.raises(GatewayUnavailable):
        await sync_provider_wallet_job(provider_id)
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.provider(provider_id)
    assert settings is not None
    assert "timed out" in (settings.last_error or "")
    assert settings.last_synced_at is None

    assert (await sync_provider_wallet_job(provider_id))["synced"] is True  # the retry
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.provider(provider_id)
    assert settings is not None
    assert (settings.last_error, settings.last_synced_at) == (None, context.clock.now())


async def test_a_sync_the_gateway_refuses_is_recorded_and_ends(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory
) -> None:
    family_id = await _family(new_uow)
    await open_family_wallet_job(family_id)
    await _sandbox(context).fail_next(Fault.DECLINED, operation="wallet_state")

    result = await sync_family_wallet_job(family_id)

    assert (result["synced"], result["reason"]) == (False, "gateway_declined")
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.family(family_id)
    assert settings is not None
    assert "declined" in (settings.last_error or "")
