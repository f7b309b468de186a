"""``is_payable`` and ``can_make_payments`` on the home pages follow money's records: a provider is
payable once a method is chosen whose instrument is Active, a family can pay once it has a wallet with
money in it by our ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.money.sandbox_gateway import SandboxGateway
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from domain.money.funding import AllocationFunding, funding_transaction
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import build_job_context, use_job_context
from entrypoints.jobs.money import open_family_wallet_job, sync_provider_wallet_job
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests.e2e.programme_support import Client, Household, app_at, household
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter


@asynccontextmanager
async def _job_context(settings: Settings, clock: FixedClock) -> AsyncIterator[None]:
    runtime = build_job_runtime(settings, job_manager)
    context = build_job_context(settings, runtime.queue, clock=clock)
    use_job_context(context)
    try:
        yield
    finally:
        use_job_context(None)
        await context.close()
        runtime.close()


async def _family_home(client: Client, home: Household) -> dict[str, Any]:
    response = await client.get(f"/family/{home.child_id}", headers=home.family_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _provider_payable(client: Client, home: Household) -> bool:
    response = await client.get("/provider", headers=home.provider_headers)
    assert response.status_code == 200, response.text
    return bool(response.json()["provider_info"]["is_payable"])


async def _shown_payable(client: Client, home: Household) -> bool:
    [provider] = (await _family_home(client, home))["providers"]
    return bool(provider["is_payable"])


async def _fund(settings: Settings, home: Household, amount_cents: int) -> None:
    """Our ledger records the allocation's funding (as the funding job does after the gateway's transfer)."""
    engine = build_engine(settings.require_database_url(), pool_size=1)
    try:
        async with SqlAlchemyMoneyUnitOfWork(build_session_factory(engine)) as uow:
            funding = AllocationFunding(home.allocation_id, home.family_id, amount_cents)
            await uow.ledger.record(funding_transaction(funding))
            await uow.commit()
    finally:
        await engine.dispose()


async def test_a_provider_becomes_payable_when_its_chosen_instrument_is_active(
    settings: Settings, minter: TokenMinter, fake_clerk: FakeClerk, clock: FixedClock
) -> None:
    async with AsyncTestClient(app_at(settings, clock)) as client:
        home = await household(client, minter, fake_clerk, "flags", rates=False)
        assert (await _provider_payable(client, home), await _shown_payable(client, home)) == (False, False)

        ach = await client.post(
            "/provider/initialize-my-payment", json={"payment_method": "ach"}, headers=home.provider_headers
        )
        assert ach.status_code == 200, ach.text
        # Invited, not Active: still not payable.
        assert (await _provider_payable(client, home), await _shown_payable(client, home)) == (False, False)

        engine = build_engine(settings.require_database_url(), pool_size=1)
        try:
            await SandboxGateway(build_session_factory(engine)).link_bank(ach.json()["chek_user_id"])
        finally:
            await engine.dispose()
        assert await _provider_payable(client, home) is False  # our copy says Pending until the refresh
        async with _job_context(settings, clock):
            await sync_provider_wallet_job(home.provider_id)
        assert (await _provider_payable(client, home), await _shown_payable(client, home)) == (True, True)


@pytest.mark.books_unchecked("money is put in the ledger by hand, with no funding record nor gateway wallet")
async def test_a_family_can_make_payments_once_its_wallet_holds_money(
    settings: Settings, minter: TokenMinter, fake_clerk: FakeClerk, clock: FixedClock
) -> None:
    async with AsyncTestClient(app_at(settings, clock)) as client:
        home = await household(client, minter, fake_clerk, "wallet", rates=False)
        assert (await _family_home(client, home))["can_make_payments"] is False

        await _fund(settings, home, 60_000)
        # Money in the ledger but no wallet at the gateway yet: nothing to pay from.
        assert (await _family_home(client, home))["can_make_payments"] is False

        async with _job_context(settings, clock):
            opened = await open_family_wallet_job(home.family_id)
        assert opened["opened"] is True
        assert (await _family_home(client, home))["can_make_payments"] is True
