"""The small rules behind the payment-settings page: the status the frontend is shown, and when our copy of
the gateway's state is behind the refresh that should keep it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.money.use_cases.refresh import stale_after
from domain.money.wallets import (
    Instrument,
    PaymentMethod,
    ProviderPaymentSettings,
    awaits_gateway,
    needs_refresh,
    shown_status,
)

NOW = datetime(2025, 1, 1, 17, 0, tzinfo=UTC)
CARD, PENDING_ACH = Instrument("card_1", "Active"), Instrument("dp_1", "Pending")


def test_a_pending_ach_invitation_is_shown_as_invited_and_nothing_else_is_renamed() -> None:
    assert shown_status(PaymentMethod.ACH, PENDING_ACH) == "Invited"
    assert shown_status(PaymentMethod.ACH, Instrument("dp_1", "Active")) == "Active"
    assert shown_status(PaymentMethod.CARD, Instrument("card_1", "Pending")) == "Pending"
    assert shown_status(PaymentMethod.CARD, Instrument("card_1", "Inactive")) == "Inactive"
    assert shown_status(PaymentMethod.ACH, None) is None


def test_a_provider_awaits_the_gateway_while_an_instrument_is_not_active_or_it_was_never_synced() -> None:
    synced = ProviderPaymentSettings("p", gateway_user_id="u", card=CARD, last_synced_at=NOW)
    assert not awaits_gateway(synced)
    assert awaits_gateway(ProviderPaymentSettings("p", gateway_user_id="u", card=CARD))
    assert awaits_gateway(
        ProviderPaymentSettings("p", gateway_user_id="u", ach=PENDING_ACH, last_synced_at=NOW)
    )
    assert not awaits_gateway(ProviderPaymentSettings("p"))  # no wallet: nothing to ask the gateway


def test_a_copy_is_stale_after_two_runs_of_the_sweep_that_covers_it() -> None:
    settled = ProviderPaymentSettings("p", gateway_user_id="u", card=CARD, last_synced_at=NOW)
    invited = ProviderPaymentSettings("p", gateway_user_id="u", ach=PENDING_ACH, last_synced_at=NOW)
    assert (stale_after(settled), stale_after(invited)) == (timedelta(days=2), timedelta(minutes=30))
    assert not needs_refresh(NOW, "u", NOW + timedelta(minutes=30), stale_after=timedelta(minutes=30))
    assert needs_refresh(NOW, "u", NOW + timedelta(minutes=31), stale_after=timedelta(minutes=30))
    assert needs_refresh(None, "u", NOW, stale_after=timedelta(days=2))
    assert not needs_refresh(None, None, NOW, stale_after=timedelta(days=2))
