"""Wallets are opened by jobs that onboarding asks for, idempotently; an outage is recorded and retried,
details the gateway cannot take are recorded and end the job; a sync copies the gateway's state to our row."""

from __future__ import annotations

from typing import Unpack

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from domain.money.errors import GatewayUnavailable
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.money import open_family_wallet_job, open_provider_wallet_job, sync_provider_wallet_job
from tests.fields import GuardianFields
from tests.integration.money.conftest import MoneyUowFactory
from tests.integration.programme.conftest import UowFactory, a_family, a_provider


async def _add_family(new_uow: UowFactory, **guardian_fields: Unpack[GuardianFields]) -> str:
    family = a_family()
    if guardian_fields:
        from dataclasses import replace

        family = replace(family, guardians=(replace(family.guardians[0], **guardian_fields),))
    async with new_uow() as uow:
        await uow.families.add(family)
        await uow.commit()
    return family.id


async def test_a_family_wallet_is_opened_once(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory, engine: AsyncEngine
) -> None:
    family_id = await _add_family(new_uow)
    first = await open_family_wallet_job(family_id)
    again = await open_family_wallet_job(family_id)
    assert first["opened"]
    assert again == first
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.family(family_id)
    assert settings is not None
    assert settings.gateway_user_id == first["gateway_user_id"]
    async with engine.connect() as connection:
        assert (
            await connection.execute(text("SELECT count(*) FROM sandbox_wallets WHERE email IS NOT NULL"))
        ).scalar() == 1


async def test_a_gateway_outage_is_recorded_and_the_job_fails_to_be_retried(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory
) -> None:
    family_id = await _add_family(new_uow)
    gateway = context.gateway
    assert isinstance(gateway, SandboxGateway)
    await gateway.fail_next(Fault.TIMEOUT, operation="ensure_wallet")
    with pytest.raises(GatewayUnavailable):
        await open_family_wallet_job(family_id)
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.family(family_id)
    assert settings is not None
    assert settings.gateway_user_id is None
    assert "timed out" in (settings.last_error or "")

    assert (await open_family_wallet_job(family_id))["opened"]  # the retry
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.family(family_id)
    assert settings is not None
    assert settings.gateway_user_id is not None
    assert settings.last_error is None


async def test_details_the_gateway_cannot_take_are_recorded_and_end_the_job(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory
) -> None:
    family_id = await _add_family(new_uow, email=None)
    result = await open_family_wallet_job(family_id)
    assert (result["opened"], result["reason"]) == (False, "wallet_details_invalid")
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.family(family_id)
    assert settings is not None
    assert "email" in (settings.last_error or "")


async def test_a_provider_wallet_sync_copies_the_gateway_s_instruments(
    context: JobContext, new_uow: UowFactory, new_money_uow: MoneyUowFactory
) -> None:
    provider = a_provider(
        email="care@example.org", first_name="Rosa", last_name="Park", phone_number="+13035550199"
    )
    async with new_uow() as uow:
        await uow.providers.add(provider)
        await uow.commit()
    assert (await sync_provider_wallet_job(provider.id)) == {
        "provider_id": provider.id,
        "synced": False,
        "reason": "no_wallet",
    }
    opened = await open_provider_wallet_job(provider.id)
    gateway = context.gateway
    assert isinstance(gateway, SandboxGateway)
    await gateway.start_ach_linking(opened["gateway_user_id"])
    await gateway.link_bank(opened["gateway_user_id"])
    synced = await sync_provider_wallet_job(provider.id)
    assert (synced["ach_status"], synced["card_status"], synced["wallet_balance_cents"]) == (
        "Active",
        None,
        0,
    )
    async with new_money_uow() as uow:
        settings = await uow.payment_settings.provider(provider.id)
    assert settings is not None
    assert settings.last_synced_at == context.clock.now()
