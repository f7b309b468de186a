"""Keeping our copy of the gateway's state fresh, by jobs: pages read the copy (``last_synced_at`` says
how old it is) and never wait on the gateway.

- A change (a card set up, a method chosen) asks for its own provider's sync at once.
- Every 15 minutes, the providers waiting on the gateway (an instrument not ``Active`` yet, such as a
  bank link the provider has still to finish, or a wallet never synced) are synced: that is what
  changes on the gateway's side alone and what the provider waits to see.
- Once a day, every wallet (families' balances, providers' settled instruments): the rest rarely changes
  without us, and syncing it every 15 minutes would write a job row per wallet four times an hour.
  (Paying, in part 2, refreshes the provider it pays first.)

Each sync is its own job, so one wallet the gateway cannot read is retried alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from domain.money.ports import MoneyUnitOfWork, PaymentSettingsRepository
from domain.money.use_cases.jobs import SYNC_FAMILY_WALLET, SYNC_PROVIDER_WALLET
from domain.money.wallets import ProviderPaymentSettings, awaits_gateway

PAGE = 500
PENDING_EVERY = timedelta(minutes=15)
ALL_EVERY = timedelta(days=1)

Lister = Callable[[PaymentSettingsRepository, str | None], Awaitable[list[str]]]


def stale_after(settings: ProviderPaymentSettings) -> timedelta:
    """How old the copy may be before the refresh is behind (two runs of the sweep that covers it)."""
    return 2 * (PENDING_EVERY if awaits_gateway(settings) else ALL_EVERY)


@dataclass(frozen=True, slots=True)
class RefreshAsked:
    families: int
    providers: int


async def ask_for_wallet_refresh(uow: MoneyUnitOfWork, *, page: int = PAGE) -> RefreshAsked:
    """Asks for a sync of every family's and provider's wallet, a page of holders per transaction."""

    async def families(repo: PaymentSettingsRepository, after: str | None) -> list[str]:
        return await repo.families_with_wallet(after=after, limit=page)

    async def providers(repo: PaymentSettingsRepository, after: str | None) -> list[str]:
        return await repo.providers_with_wallet(after=after, limit=page)

    return RefreshAsked(
        families=await _ask(uow, families, SYNC_FAMILY_WALLET, page),
        providers=await _ask(uow, providers, SYNC_PROVIDER_WALLET, page),
    )


async def ask_for_pending_refresh(uow: MoneyUnitOfWork, *, page: int = PAGE) -> int:
    """Asks for a sync of every provider waiting on the gateway (see ``awaits_gateway``)."""

    async def waiting(repo: PaymentSettingsRepository, after: str | None) -> list[str]:
        return await repo.providers_awaiting_gateway(after=after, limit=page)

    return await _ask(uow, waiting, SYNC_PROVIDER_WALLET, page)


async def _ask(uow: MoneyUnitOfWork, listed: Lister, job_name: str, page: int) -> int:
    asked, after = 0, None
    while True:
        async with uow:
            owners = await listed(uow.payment_settings, after)
            for owner_id in owners:
                await uow.jobs.enqueue(job_name, owner_id)
            await uow.commit()
        asked += len(owners)
        if len(owners) < page:
            return asked
        after = owners[-1]
