"""Keeping our copy of the gateway's state fresh: one sync job per wallet, asked for by a periodic job.

Pages read the copy (``last_synced_at`` says how old it is) and never wait on the gateway. A change
(a card set up, a method chosen) asks for its own provider's sync at once; this sweep catches what
changes on the gateway's side alone: a provider linking their bank, a balance moving. Each sync is its
own job, so one wallet the gateway cannot read is retried alone and the rest are not held up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain.money.ports import MoneyUnitOfWork, PaymentSettingsRepository
from domain.money.use_cases.jobs import SYNC_FAMILY_WALLET, SYNC_PROVIDER_WALLET

PAGE = 500

Lister = Callable[[PaymentSettingsRepository, str | None], Awaitable[list[str]]]


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
