"""A provider's payment settings (frontend-contract.md §2.9–§2.11, upstream-domain.md §3.2):
``GET``/``PUT /provider/payment-settings``, ``POST /provider/initialize-my-payment`` and, for operators
with an API key, ``POST /provider/{provider_id}/initialize-payment``.

The JSON keeps the frontend's names (``chek_user_id`` holds the gateway's user id, whichever gateway).
Upstream's defects are not copied: the read never calls the gateway (it answers our records and says
when they were last synced, ``last_sync``/``last_synced_at``; ``needs_refresh`` when the refresh job is
behind), a pending ACH invitation reads ``Invited`` (the frontend's yellow) rather than ``Pending``
("not available"), and switching to an instrument that was never set up is a 400 that changes nothing.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import get, post, put
from litestar.params import FromPath, JSONBody

from domain.audit import AuditStamp, who
from domain.identity.model import Role
from domain.money.use_cases import payment_settings as use_cases
from domain.money.use_cases import refresh
from domain.money.wallets import (
    PaymentMethod,
    ProviderPaymentSettings,
    needs_refresh,
    payability_problem,
    shown_status,
)
from entrypoints.http.api_keys import require_api_key
from entrypoints.http.programme.actors import AnyRequest, person_guard, provider_account
from entrypoints.http.programme.views import utc_or_none
from entrypoints.http.services import services_of

provider_person = person_guard(Role.PROVIDER)


class InstrumentJson(msgspec.Struct):
    available: bool  # set up: the frontend switches to it with PUT rather than setting it up
    status: str | None  # Active (green), Invited (yellow), null (not configured), else "not available"
    id: str | None


class ValidationJson(msgspec.Struct):
    is_valid: bool
    message: str | None


class PaymentSettingsJson(msgspec.Struct):
    provider_id: str
    chek_user_id: str | None  # null: the wallet is not open yet (the frontend says "setup required")
    payment_method: str | None
    payment_method_updated_at: datetime | None
    is_payable: bool
    needs_refresh: bool
    last_sync: datetime | None  # the frontend's name …
    last_synced_at: datetime | None  # … and ours, for the same moment
    wallet_balance_cents: int | None  # the gateway's figure at the last sync
    card: InstrumentJson
    ach: InstrumentJson
    validation: ValidationJson


class MethodChoice(msgspec.Struct, forbid_unknown_fields=True):
    payment_method: PaymentMethod


class MethodChosenJson(msgspec.Struct):
    message: str
    provider_id: str
    payment_method: str
    payment_method_updated_at: datetime | None
    is_payable: bool


class PaymentSetupRequest(msgspec.Struct, forbid_unknown_fields=True):
    payment_method: PaymentMethod = PaymentMethod.CARD


class PaymentSetupJson(msgspec.Struct):
    message: str  # the frontend shows it verbatim as a success toast
    payment_method: str
    provider_id: str
    chek_user_id: str | None
    card_id: str | None
    direct_pay_id: str | None
    invite_sent_to: str | None
    already_exists: bool


def _instrument(settings: ProviderPaymentSettings, method: PaymentMethod) -> InstrumentJson:
    instrument = settings.instrument(method)
    return InstrumentJson(
        available=instrument is not None,
        status=shown_status(method, instrument),
        id=None if instrument is None else instrument.id,
    )


def settings_json(settings: ProviderPaymentSettings, now: datetime) -> PaymentSettingsJson:
    problem = payability_problem(settings)
    return PaymentSettingsJson(
        provider_id=settings.provider_id,
        chek_user_id=settings.gateway_user_id,
        payment_method=None if settings.payment_method is None else settings.payment_method.value,
        payment_method_updated_at=utc_or_none(settings.payment_method_updated_at),
        is_payable=problem is None,
        needs_refresh=needs_refresh(
            settings.last_synced_at, settings.gateway_user_id, now, stale_after=refresh.stale_after(settings)
        ),
        last_sync=utc_or_none(settings.last_synced_at),
        last_synced_at=utc_or_none(settings.last_synced_at),
        wallet_balance_cents=settings.wallet_balance_cents,
        card=_instrument(settings, PaymentMethod.CARD),
        ach=_instrument(settings, PaymentMethod.ACH),
        validation=ValidationJson(is_valid=problem is None, message=problem),
    )


_SET_UP = {
    (PaymentMethod.CARD, False): "Your virtual card is ready.",
    (PaymentMethod.CARD, True): "Your virtual card is already set up.",
    (PaymentMethod.ACH, False): "We have emailed you a link to connect your bank account.",
    (PaymentMethod.ACH, True): "Your bank account (ACH) has already been requested.",
}


def setup_json(done: use_cases.PaymentSetup) -> PaymentSetupJson:
    settings = done.settings
    return PaymentSetupJson(
        message=_SET_UP[done.method, done.already_exists],
        payment_method=done.method.value,
        provider_id=settings.provider_id,
        chek_user_id=settings.gateway_user_id,
        card_id=None if settings.card is None else settings.card.id,
        direct_pay_id=None if settings.ach is None else settings.ach.id,
        invite_sent_to=done.invite_sent_to,
        already_exists=done.already_exists,
    )


async def _own_provider_id(request: AnyRequest) -> str:
    actor, _ = await provider_account(request)
    assert actor.provider_id is not None  # provider_account admits only a linked provider
    return actor.provider_id


@get("/provider/payment-settings", guards=[provider_person], summary="The provider's payment settings")
async def read_payment_settings(request: AnyRequest) -> PaymentSettingsJson:
    services = services_of(request)
    provider_id = await _own_provider_id(request)
    settings = await use_cases.provider_payment_settings(services.money_reads(), provider_id)
    return settings_json(settings, services.clock.now())


@put(
    "/provider/payment-settings",
    guards=[provider_person],
    summary="Choose how the provider is paid (card or ACH), among the instruments set up",
)
async def choose_payment_method(request: AnyRequest, data: JSONBody[MethodChoice]) -> MethodChosenJson:
    services = services_of(request)
    provider_id = await _own_provider_id(request)
    settings = await use_cases.choose_payment_method(
        services.money_unit_of_work(), services.clock, provider_id, data.payment_method
    )
    return MethodChosenJson(
        message="Payment method updated successfully",
        provider_id=provider_id,
        payment_method=data.payment_method.value,
        payment_method_updated_at=utc_or_none(settings.payment_method_updated_at),
        is_payable=payability_problem(settings) is None,
    )


async def _set_up(
    request: AnyRequest, provider_id: str, method: PaymentMethod, audit: AuditStamp | None = None
) -> PaymentSetupJson:
    services = services_of(request)
    done = await use_cases.set_up_payment(
        services.money_unit_of_work(), services.gateway, services.clock, provider_id, method, audit=audit
    )
    return setup_json(done)


@post(
    "/provider/initialize-my-payment",
    guards=[provider_person],
    status_code=200,
    summary="Set up the provider's own virtual card or ACH (idempotent)",
)
async def initialize_my_payment(request: AnyRequest, data: JSONBody[PaymentSetupRequest]) -> PaymentSetupJson:
    return await _set_up(request, await _own_provider_id(request), data.payment_method)


@post(
    "/provider/{provider_id:str}/initialize-payment",
    guards=[require_api_key],
    status_code=200,
    summary="Set up a provider's virtual card or ACH (operators; idempotent)",
)
async def initialize_payment(
    request: AnyRequest, provider_id: FromPath[str], data: JSONBody[PaymentSetupRequest]
) -> PaymentSetupJson:
    # An operator setting up someone else's payment is on the audit log (the provider's own is not staff's).
    audit = AuditStamp(who("admin-api", "api-key"), services_of(request).clock.now())
    return await _set_up(request, provider_id, data.payment_method, audit)


ROUTES = [read_payment_settings, choose_payment_method, initialize_my_payment, initialize_payment]
