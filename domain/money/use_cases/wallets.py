"""Opening wallets at the gateway and refreshing what we know of them.

Opening is idempotent twice over: a wallet already recorded is not asked for again, and the gateway
finds an existing user by email before creating one. The gateway is called outside any transaction of
ours (a slow gateway holds no row lock); the result is written afterwards, by an upsert on the one row.
"""

from __future__ import annotations

from dataclasses import replace

from domain.money.ports import MoneyUnitOfWork, PaymentGateway
from domain.money.wallet_details import HolderKind, WalletHolder, wallet_holder
from domain.money.wallets import FamilyPaymentSettings, ProviderPaymentSettings
from domain.ports import Clock
from domain.programme.errors import FamilyNotFound, ProviderNotFound
from domain.programme.families import Family
from domain.programme.providers import Provider


def family_holder(family: Family) -> WalletHolder:
    guardian = family.primary_guardian
    address = guardian.address if guardian else None
    return wallet_holder(
        HolderKind.FAMILY,
        family.id,
        email=guardian.email if guardian else None,
        phone_number=guardian.phone_number if guardian else None,
        first_name=guardian.first_name if guardian else None,
        last_name=guardian.last_name if guardian else None,
        address_line_1=address.line_1 if address else None,
        city=address.city if address else None,
        state=address.state if address else None,
        zip_code=address.zip_code if address else None,
    )


def provider_holder(provider: Provider) -> WalletHolder:
    first, last = provider.first_name, provider.last_name
    if not first and not last:
        first, _, last = provider.name.partition(" ")
    place = provider.care_location
    return wallet_holder(
        HolderKind.PROVIDER,
        provider.id,
        email=provider.email,
        phone_number=provider.phone_number,
        first_name=first,
        last_name=last,
        address_line_1=place.line_1,
        city=place.city,
        state=place.state,
        zip_code=place.zip_code,
    )


async def open_family_wallet(
    uow: MoneyUnitOfWork, gateway: PaymentGateway, family_id: str
) -> FamilyPaymentSettings:
    async with uow:
        family = await uow.families.get(family_id)
        if family is None:
            raise FamilyNotFound()
        settings = await uow.payment_settings.family(family_id)
    if settings is not None and settings.gateway_user_id is not None:
        return settings
    user_id = await gateway.ensure_wallet(family_holder(family))
    async with uow:
        current = await uow.payment_settings.family(family_id) or FamilyPaymentSettings(family_id)
        opened = replace(current, gateway_user_id=current.gateway_user_id or user_id, last_error=None)
        await uow.payment_settings.save_family(opened)
        await uow.commit()
    return opened


async def open_provider_wallet(
    uow: MoneyUnitOfWork, gateway: PaymentGateway, provider_id: str
) -> ProviderPaymentSettings:
    async with uow:
        provider = await uow.providers.get(provider_id)
        if provider is None:
            raise ProviderNotFound()
        settings = await uow.payment_settings.provider(provider_id)
    if settings is not None and settings.gateway_user_id is not None:
        return settings
    user_id = await gateway.ensure_wallet(provider_holder(provider))
    async with uow:
        current = await uow.payment_settings.provider(provider_id) or ProviderPaymentSettings(provider_id)
        opened = replace(current, gateway_user_id=current.gateway_user_id or user_id, last_error=None)
        await uow.payment_settings.save_provider(opened)
        await uow.commit()
    return opened


async def record_wallet_error(
    uow: MoneyUnitOfWork, *, family_id: str | None = None, provider_id: str | None = None, error: str
) -> None:
    """Keeps why a wallet could not be opened or synced on its row, where operators and pages see it."""
    async with uow:
        if family_id is not None:
            family = await uow.payment_settings.family(family_id) or FamilyPaymentSettings(family_id)
            await uow.payment_settings.save_family(replace(family, last_error=error[:2000]))
        if provider_id is not None:
            provider = await uow.payment_settings.provider(provider_id) or ProviderPaymentSettings(
                provider_id
            )
            await uow.payment_settings.save_provider(replace(provider, last_error=error[:2000]))
        await uow.commit()


async def sync_provider_wallet(
    uow: MoneyUnitOfWork, gateway: PaymentGateway, clock: Clock, provider_id: str
) -> ProviderPaymentSettings | None:
    """The gateway's balance and instrument statuses, copied to our row (None: no wallet yet)."""
    async with uow:
        settings = await uow.payment_settings.provider(provider_id)
    if settings is None or settings.gateway_user_id is None:
        return None
    state = await gateway.wallet_state(settings.gateway_user_id)
    async with uow:
        current = await uow.payment_settings.provider_for_update(provider_id) or settings
        synced = replace(
            current,
            card=state.card or current.card,
            ach=state.ach or current.ach,
            wallet_balance_cents=state.balance_cents,
            last_synced_at=clock.now(),
            last_error=None,
        )
        await uow.payment_settings.save_provider(synced)
        await uow.commit()
    return synced


async def sync_family_wallet(
    uow: MoneyUnitOfWork, gateway: PaymentGateway, clock: Clock, family_id: str
) -> FamilyPaymentSettings | None:
    async with uow:
        settings = await uow.payment_settings.family(family_id)
    if settings is None or settings.gateway_user_id is None:
        return None
    state = await gateway.wallet_state(settings.gateway_user_id)
    async with uow:
        current = await uow.payment_settings.family(family_id) or settings
        synced = replace(
            current, wallet_balance_cents=state.balance_cents, last_synced_at=clock.now(), last_error=None
        )
        await uow.payment_settings.save_family(synced)
        await uow.commit()
    return synced
