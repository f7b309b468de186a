"""Payment settings: each family's and provider's wallet at the gateway, and a provider's payout instrument.

They are our records of the gateway's state, refreshed by a job (``last_synced_at`` says when), never
fetched from the gateway while a page waits. One row per family and per provider, enforced by the database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    ACH = "ach"


class InstrumentStatus(enum.StrEnum):
    """The gateway's own words; the frontend shows ``Active`` green and ``Invited`` yellow."""

    ACTIVE = "Active"
    INVITED = "Invited"  # ACH: the provider was asked to link a bank and has not yet
    PENDING = "Pending"
    INACTIVE = "Inactive"


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    status: str  # kept as the gateway says it, so an unknown status is shown rather than lost


@dataclass(frozen=True, slots=True)
class FamilyPaymentSettings:
    family_id: str
    gateway_user_id: str | None = None
    wallet_balance_cents: int | None = None  # the gateway's figure at the last sync
    last_synced_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderPaymentSettings:
    provider_id: str
    gateway_user_id: str | None = None
    payment_method: PaymentMethod | None = None
    payment_method_updated_at: datetime | None = None
    card: Instrument | None = None
    ach: Instrument | None = None
    wallet_balance_cents: int | None = None
    last_synced_at: datetime | None = None
    last_error: str | None = None

    def instrument(self, method: PaymentMethod) -> Instrument | None:
        return self.card if method is PaymentMethod.CARD else self.ach


def payability_problem(settings: ProviderPaymentSettings | None) -> str | None:
    """Why the provider cannot be paid now, or None when they can: a method chosen whose instrument
    the gateway reports ``Active``."""
    if settings is None or settings.gateway_user_id is None:
        return "The provider has no wallet yet"
    if settings.payment_method is None:
        return "The provider has not chosen a payment method"
    instrument = settings.instrument(settings.payment_method)
    if instrument is None:
        return f"The provider's {settings.payment_method.value} has not been set up"
    if instrument.status != InstrumentStatus.ACTIVE:
        return f"The provider's {settings.payment_method.value} is {instrument.status}, not Active"
    return None


def is_payable(settings: ProviderPaymentSettings | None) -> bool:
    return payability_problem(settings) is None


def can_make_payments(settings: FamilyPaymentSettings | None, ledger_balance_cents: int) -> bool:
    """A family can pay when it has a wallet and our ledger says money is in it."""
    return settings is not None and settings.gateway_user_id is not None and ledger_balance_cents > 0


def shown_status(method: PaymentMethod, instrument: Instrument | None) -> str | None:
    """The instrument's status in the frontend's words: an ACH invitation the provider has not answered
    yet is ``Invited`` (yellow). The gateway calls it ``Pending``, which the frontend would show as
    "not available", as if the invitation had failed."""
    if instrument is None:
        return None
    if method is PaymentMethod.ACH and instrument.status == InstrumentStatus.PENDING:
        return InstrumentStatus.INVITED.value
    return instrument.status


def awaits_gateway(settings: ProviderPaymentSettings) -> bool:
    """Whether the provider waits on something only the gateway will tell us: an instrument that is not
    ``Active`` yet (a bank link the provider has still to finish), or a wallet never synced."""
    if settings.gateway_user_id is None:
        return False
    if settings.last_synced_at is None:
        return True
    return any(i is not None and i.status != InstrumentStatus.ACTIVE for i in (settings.card, settings.ach))


def needs_refresh(
    last_synced_at: datetime | None, gateway_user_id: str | None, now: datetime, *, stale_after: timedelta
) -> bool:
    """Whether our copy of the gateway's state is older than the periodic refresh promises (or was
    never taken): a page says so instead of asking the gateway while it waits."""
    if gateway_user_id is None:
        return False
    return last_synced_at is None or now - last_synced_at > stale_after
