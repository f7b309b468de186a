"""The funding decision, payability and the gateway's name, phone and state rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.money.errors import WalletDetailsInvalid
from domain.money.funding import (
    AllocationFunding,
    FundingStatus,
    FundingStep,
    funding_key,
    funding_step,
    funding_transaction,
)
from domain.money.ledger import Account, RecordType, TransactionKind
from domain.money.wallet_details import HolderKind, e164_phone, short_name, state_code, wallet_holder
from domain.money.wallets import (
    FamilyPaymentSettings,
    Instrument,
    PaymentMethod,
    ProviderPaymentSettings,
    can_make_payments,
    is_payable,
    payability_problem,
)

FAMILY = "11111111-1111-1111-1111-111111111111"
AT = datetime(2025, 1, 1, tzinfo=UTC)


def test_funding_moves_the_allocation_from_the_programme_to_the_family_wallet_under_the_allocation() -> None:
    transaction = funding_transaction(AllocationFunding(42, FAMILY, 80_000))
    assert transaction.kind is TransactionKind.ALLOCATION_FUNDING
    assert (transaction.record_type, transaction.record_id) == (RecordType.ALLOCATION, "42")
    assert transaction.idempotency_key == funding_key(42) == "allocation:42:funding"
    moves = {entry.account: entry.amount_cents for entry in transaction.entries}
    assert moves == {Account.programme(): -80_000, Account.family_wallet(FAMILY): 80_000}


def test_a_failed_try_stays_pending_and_counts_and_success_clears_the_error() -> None:
    funding = AllocationFunding(1, FAMILY, 100).failed("gateway down", AT)
    assert (funding.status, funding.attempts, funding.last_error) == (
        FundingStatus.PENDING,
        1,
        "gateway down",
    )
    assert not funding.is_settled
    done = funding.funded("tr_1", 7, AT)
    assert (done.status, done.attempts, done.last_error, done.gateway_transfer_id) == (
        FundingStatus.FUNDED,
        2,
        None,
        "tr_1",
    )
    assert done.is_settled


def test_the_funding_decision_moves_money_only_for_an_unsettled_budget_into_an_open_wallet() -> None:
    pending = AllocationFunding(1, FAMILY, 100)
    assert funding_step(pending, "user_1") is FundingStep.MOVE_MONEY
    assert funding_step(pending.failed("down", AT), "user_1") is FundingStep.MOVE_MONEY  # a retry
    assert funding_step(pending, None) is FundingStep.WAIT_FOR_WALLET
    zero = AllocationFunding(2, FAMILY, 0)
    # A zero budget needs no wallet and no gateway: it is settled as it is.
    assert funding_step(zero, None) is FundingStep.NOTHING_TO_FUND
    assert funding_step(zero.nothing_to_fund(AT), "user_1") is FundingStep.ALREADY_SETTLED
    assert funding_step(pending.funded("tr_1", 7, AT), "user_1") is FundingStep.ALREADY_SETTLED
    assert funding_step(pending.funded("tr_1", 7, AT), None) is FundingStep.ALREADY_SETTLED


def test_nothing_to_fund_is_settled_without_a_transfer() -> None:
    settled = AllocationFunding(2, FAMILY, 0).failed("no wallet", AT).nothing_to_fund(AT)
    assert (settled.status, settled.attempts, settled.last_error, settled.gateway_transfer_id) == (
        FundingStatus.NOTHING_TO_FUND,
        2,
        None,
        None,
    )
    assert settled.is_settled


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("(303) 555-0100", "+13035550100"), ("1-303-555-0100", "+13035550100"), ("", None), (None, None)],
)
def test_phone_numbers_become_e164(raw: str | None, expected: str | None) -> None:
    assert e164_phone(raw) == expected


@pytest.mark.parametrize("raw", ["555-0100", "+44 20 7946 0958", "2-303-555-0100"])
def test_other_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(WalletDetailsInvalid):
        e164_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("Colorado", "CO"), ("co", "CO"), ("new  york", "NY"), (None, None)]
)
def test_states_become_two_letter_codes(raw: str | None, expected: str | None) -> None:
    assert state_code(raw) == expected


def test_an_unknown_state_is_refused() -> None:
    with pytest.raises(WalletDetailsInvalid):
        state_code("Narnia")


def test_names_fit_24_characters_last_name_first() -> None:
    assert short_name("Ann", "Lee") == ("Ann", "Lee")
    first, last = short_name("Maximiliana", "Vandersteenhoven-Rodriguez Smith")
    assert last == "Vandersteenh"  # first word, at most 12 characters
    assert len(f"{first} {last}") <= 24
    first, last = short_name("Bartholomew-Christopher-Alexander", "Ng")
    assert last == "Ng"
    assert len(f"{first} {last}") == 24


def test_a_wallet_needs_an_email() -> None:
    with pytest.raises(WalletDetailsInvalid):
        wallet_holder(HolderKind.FAMILY, FAMILY, email=None, phone_number=None, first_name="A", last_name="B")


def test_payable_means_a_chosen_method_with_an_active_instrument() -> None:
    base = ProviderPaymentSettings("p", gateway_user_id="u1")
    assert payability_problem(None) is not None
    assert not is_payable(base)
    card = Instrument("card_1", "Active")
    assert not is_payable(ProviderPaymentSettings("p", gateway_user_id="u1", card=card))  # no method chosen
    assert is_payable(
        ProviderPaymentSettings("p", gateway_user_id="u1", card=card, payment_method=PaymentMethod.CARD)
    )
    pending_ach = Instrument("dp_1", "Pending")
    assert not is_payable(
        ProviderPaymentSettings("p", gateway_user_id="u1", ach=pending_ach, payment_method=PaymentMethod.ACH)
    )
    assert not is_payable(
        ProviderPaymentSettings("p", gateway_user_id="u1", card=card, payment_method=PaymentMethod.ACH)
    )


def test_a_family_can_pay_with_a_wallet_and_money_in_it_by_our_ledger() -> None:
    assert not can_make_payments(None, 100)
    assert not can_make_payments(FamilyPaymentSettings(FAMILY), 100)
    assert not can_make_payments(FamilyPaymentSettings(FAMILY, gateway_user_id="u"), 0)
    assert can_make_payments(FamilyPaymentSettings(FAMILY, gateway_user_id="u"), 1)
