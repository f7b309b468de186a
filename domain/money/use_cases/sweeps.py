"""The operator's wallet sweep: a wallet at the gateway for every family and provider that has none yet.

Onboarding asks for each wallet by a job; this is the same use case for whoever the jobs missed (a job
that ran out of retries, records imported before wallets existed). Each wallet is opened on its own, a
failure is recorded on its row and listed, and the sweep goes on.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from domain.errors import DomainError
from domain.money.ports import MoneyUnitOfWork, PaymentGateway
from domain.money.use_cases.wallets import open_family_wallet, open_provider_wallet, record_wallet_error


class Holder(enum.StrEnum):
    FAMILY = "family"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class MissingWallet:
    holder: Holder
    owner_id: str


@dataclass(frozen=True, slots=True)
class WalletFailure:
    holder: Holder
    owner_id: str
    code: str
    message: str


@dataclass
class WalletSweepSummary:
    dry_run: bool
    missing: list[MissingWallet]
    opened: list[MissingWallet] = field(default_factory=list)
    failed: list[WalletFailure] = field(default_factory=list)


async def missing_wallets(
    uow: MoneyUnitOfWork, *, holders: frozenset[Holder], limit: int
) -> list[MissingWallet]:
    async with uow:
        missing = []
        if Holder.FAMILY in holders:
            families = await uow.payment_settings.families_without_wallet(limit=limit)
            missing += [MissingWallet(Holder.FAMILY, family_id) for family_id in families]
        if Holder.PROVIDER in holders:
            providers = await uow.payment_settings.providers_without_wallet(limit=limit)
            missing += [MissingWallet(Holder.PROVIDER, provider_id) for provider_id in providers]
        return missing


async def open_missing_wallets(
    uow: MoneyUnitOfWork,
    gateway: PaymentGateway,
    *,
    holders: frozenset[Holder] = frozenset(Holder),
    limit: int,
    dry_run: bool = False,
    on_wallet_done: Callable[[int, int], None] | None = None,
) -> WalletSweepSummary:
    """``dry_run`` lists who has no wallet and asks the gateway nothing (a wallet, once opened at the
    gateway, cannot be rolled back)."""
    missing = await missing_wallets(uow, holders=holders, limit=limit)
    summary = WalletSweepSummary(dry_run=dry_run, missing=missing)
    if dry_run:
        return summary
    for done, wallet in enumerate(missing, start=1):
        try:
            if wallet.holder is Holder.FAMILY:
                await open_family_wallet(uow, gateway, wallet.owner_id)
            else:
                await open_provider_wallet(uow, gateway, wallet.owner_id)
        except DomainError as failure:
            summary.failed.append(
                WalletFailure(wallet.holder, wallet.owner_id, failure.code, failure.message)
            )
            owner = {"family_id" if wallet.holder is Holder.FAMILY else "provider_id": wallet.owner_id}
            await record_wallet_error(uow, error=failure.message, **owner)
        else:
            summary.opened.append(wallet)
        if on_wallet_done is not None:
            on_wallet_done(done, len(missing))
    return summary
