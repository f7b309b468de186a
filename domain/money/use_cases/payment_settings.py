"""A provider's payment settings: reading them, choosing how to be paid, and setting up a card or ACH.

Reads answer from our records only (``last_synced_at`` says how fresh they are); the gateway's state
reaches them through the refresh job, which every change here asks for in its own transaction.

Setting up an instrument is the one place a request talks to the gateway, because the provider is
waiting for the card or the bank invitation. It holds the provider's settings row locked while it
does (one provider's row, for the gateway's timeout at most), so two clicks on "set up my card" make
one card: the second waits, then finds the first's card (``already_exists``). Chek's card and user
creation are not idempotent, so this lock is what keeps a double click from making two. A gateway
failure rolls the row back to what it was and is said to the caller (503, or 400 for a refusal).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.audit import AuditStamp, Snapshot
from domain.money.errors import PaymentInstrumentMissing, ProviderPaymentsNotEnabled
from domain.money.ports import MoneyUnitOfWork, PaymentGateway
from domain.money.use_cases.jobs import SYNC_PROVIDER_WALLET
from domain.money.use_cases.wallets import provider_holder
from domain.money.wallets import PaymentMethod, ProviderPaymentSettings
from domain.ports import Clock
from domain.programme.errors import ProviderNotFound


@dataclass(frozen=True, slots=True)
class PaymentSetup:
    settings: ProviderPaymentSettings
    method: PaymentMethod
    already_exists: bool  # the instrument was there before this call: nothing was asked of the gateway
    invite_sent_to: str | None = None  # ACH: where the gateway sent the bank-linking invitation


async def provider_payment_settings(uow: MoneyUnitOfWork, provider_id: str) -> ProviderPaymentSettings:
    """Our record of the provider's settings (empty ones before the wallet is opened)."""
    async with uow:
        settings = await uow.payment_settings.provider(provider_id)
    return settings or ProviderPaymentSettings(provider_id)


async def choose_payment_method(
    uow: MoneyUnitOfWork, clock: Clock, provider_id: str, method: PaymentMethod
) -> ProviderPaymentSettings:
    """Pay the provider by ``method`` from now on: only to an instrument that has been set up
    (``PaymentInstrumentMissing`` otherwise, and nothing changes). Choosing the current method
    again changes nothing."""
    async with uow:
        if await uow.payment_settings.provider(provider_id) is None:
            raise _missing(method)
        current = await uow.payment_settings.provider_for_update(provider_id)
        if current is None or current.instrument(method) is None:
            raise _missing(method)
        if current.payment_method is method:
            return current
        chosen = replace(current, payment_method=method, payment_method_updated_at=clock.now())
        await uow.payment_settings.save_provider(chosen)
        await uow.jobs.enqueue(SYNC_PROVIDER_WALLET, provider_id)
        await uow.commit()
    return chosen


async def set_up_payment(
    uow: MoneyUnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    provider_id: str,
    method: PaymentMethod,
    *,
    audit: AuditStamp | None = None,
) -> PaymentSetup:
    """Creates the provider's card, or invites them to link a bank account, and makes it their method.
    Idempotent: when the instrument exists already, nothing is asked of the gateway and nothing changes
    (``already_exists``). Opens the provider's wallet first if onboarding's job has not yet. ``audit``:
    an operator asked, written to the audit log (``provider_payment_settings.set_up``) with the set-up."""
    async with uow:
        provider = await uow.providers.get(provider_id)
        if provider is None:
            raise ProviderNotFound()
        if not provider.payment_enabled:
            raise ProviderPaymentsNotEnabled()
        settings = await uow.payment_settings.provider(provider_id)
    if settings is not None and settings.instrument(method) is not None:
        return PaymentSetup(settings, method, already_exists=True)
    async with uow:
        # Locked (the row created if absent) until the commit: concurrent set-ups wait here, and find
        # the first one's wallet and instrument, so the gateway opens one wallet and makes one card.
        current = await uow.payment_settings.provider_for_update(provider_id) or ProviderPaymentSettings(
            provider_id
        )
        if current.instrument(method) is not None:
            return PaymentSetup(current, method, already_exists=True)
        user_id = current.gateway_user_id or await gateway.ensure_wallet(provider_holder(provider))
        ready, invite_sent_to = replace(current, gateway_user_id=user_id), None
        if method is PaymentMethod.CARD:
            ready = replace(ready, card=await gateway.create_card(user_id))
        else:
            invitation = await gateway.start_ach_linking(user_id)
            ready, invite_sent_to = replace(ready, ach=invitation.instrument), invitation.invite_sent_to
        ready = replace(ready, payment_method=method, payment_method_updated_at=clock.now(), last_error=None)
        await uow.payment_settings.save_provider(ready)
        await uow.jobs.enqueue(SYNC_PROVIDER_WALLET, provider_id)
        if audit is not None:
            entry = audit.entry(
                "provider_payment_settings.set_up",
                "provider_payment_settings",
                provider_id,
                settings_snapshot(current),
                settings_snapshot(ready),
            )
            await uow.audit.record(entry)
        await uow.commit()
    return PaymentSetup(ready, method, already_exists=False, invite_sent_to=invite_sent_to)


def settings_snapshot(settings: ProviderPaymentSettings) -> Snapshot:
    """What the audit log keeps of how a provider is paid: the method and each instrument's status."""
    return {
        "payment_method": settings.payment_method.value if settings.payment_method else None,
        "gateway_user_id": settings.gateway_user_id,
        "card": f"{settings.card.id} ({settings.card.status})" if settings.card else None,
        "ach": f"{settings.ach.id} ({settings.ach.status})" if settings.ach else None,
    }


def _missing(method: PaymentMethod) -> PaymentInstrumentMissing:
    what = "virtual card" if method is PaymentMethod.CARD else "bank account (ACH)"
    return PaymentInstrumentMissing(
        f"Your {what} has not been set up yet; set it up first (POST /provider/initialize-my-payment).",
        details={"payment_method": method.value},
    )
