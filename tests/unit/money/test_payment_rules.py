"""The payment flow's pure rules: what an item is, the keys of the two steps, the backoff, the statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.money.history import HistoryLine
from domain.money.ledger import Account, TransactionKind
from domain.money.payments import (
    IntentItem,
    IntentStatus,
    PaymentIntent,
    PaymentKind,
    PaymentRules,
    PaymentStep,
    family_to_provider_transaction,
    payout_transaction,
    retry_wait,
    step_key,
)
from domain.money.wallets import PaymentMethod

NOW = datetime(2025, 1, 1, 17, 0, tzinfo=UTC)


def _intent(**changes: object) -> PaymentIntent:
    values: dict[str, object] = {
        "id": "5f0c1c1e-0000-4000-8000-000000000001",
        "kind": PaymentKind.CARE_DAYS,
        "family_id": "fam",
        "child_id": "kid",
        "provider_id": "prov",
        "allocation_id": 7,
        "amount_cents": 12_000,
        "items": (IntentItem(4_000, care_day_id=1), IntentItem(8_000, care_day_id=2)),
        "created_at": NOW,
        "updated_at": NOW,
    }
    return PaymentIntent(**(values | changes))  # type: ignore[arg-type]


def test_an_item_is_a_care_day_or_a_lump_sum_with_a_positive_amount() -> None:
    assert IntentItem(100, lump_sum_id=3).lump_sum_id == 3
    with pytest.raises(ValueError, match="care day or a lump sum"):
        IntentItem(100)
    with pytest.raises(ValueError, match="care day or a lump sum"):
        IntentItem(100, care_day_id=1, lump_sum_id=1)
    with pytest.raises(ValueError, match="positive"):
        IntentItem(0, care_day_id=1)


def test_each_step_has_one_key_for_every_try_at_the_gateway_and_in_the_ledger() -> None:
    intent = _intent()
    first, payout = (
        step_key(intent.id, PaymentStep.FAMILY_TO_PROVIDER),
        step_key(intent.id, PaymentStep.PAYOUT),
    )
    assert first == f"payment_intent:{intent.id}:family_to_provider"
    assert first != payout
    moved = family_to_provider_transaction(intent)
    assert (moved.kind, moved.idempotency_key, moved.record_id) == (
        TransactionKind.FAMILY_TO_PROVIDER,
        first,
        intent.id,
    )
    assert {(e.account, e.amount_cents) for e in moved.entries} == {
        (Account.family_wallet("fam"), -12_000),
        (Account.provider_wallet("prov"), 12_000),
    }
    paid_out = payout_transaction(intent, PaymentMethod.ACH)
    assert (paid_out.kind, paid_out.idempotency_key) == (TransactionKind.PAYOUT, payout)
    assert {(e.account, e.amount_cents) for e in paid_out.entries} == {
        (Account.provider_wallet("prov"), -12_000),
        (Account.provider_payout("prov"), 12_000),
    }


def test_retries_wait_30_s_doubling_to_an_hour() -> None:
    waits = [retry_wait(n) for n in range(1, 10)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=1)
    assert retry_wait(1000) == timedelta(hours=1)


def test_a_failed_try_retries_when_a_time_is_given_and_fails_for_an_operator_otherwise() -> None:
    started = _intent().started(NOW)
    assert (started.status, started.attempts) == (IntentStatus.PROCESSING, 1)
    later = NOW + timedelta(seconds=30)
    retrying = started.failed("gateway_unavailable", "timed out", NOW, retry_at=later)
    assert (retrying.status, retrying.next_attempt_at) == (IntentStatus.RETRYING, later)
    assert retrying.status.is_open
    failed = retrying.started(later).failed("gateway_declined", "no", later, retry_at=None)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == (IntentStatus.FAILED, 2, None)
    assert not failed.status.is_open
    paid = failed.paid(PaymentMethod.CARD, "tr_1", later)
    assert (paid.status, paid.payout_transfer_id, paid.paid_at) == (IntentStatus.PAID, "tr_1", later)


def test_payment_rules_refuse_nonsense() -> None:
    assert PaymentRules().max_payment_cents == 140_000
    with pytest.raises(ValueError, match="max_payment_cents"):
        PaymentRules(max_payment_cents=0)
    with pytest.raises(ValueError, match="max_attempts"):
        PaymentRules(max_attempts=0)


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (IntentStatus.PAID, "success"),
        (IntentStatus.FAILED, "failed"),
        (IntentStatus.RETRYING, "pending"),
        (IntentStatus.PROCESSING, "pending"),
        (IntentStatus.PENDING, "pending"),
    ],
)
def test_history_shows_the_frontends_three_statuses(status: IntentStatus, shown: str) -> None:
    line = HistoryLine(
        "i",
        None,
        NOW,
        1,
        status,
        PaymentKind.CARE_DAYS,
        "p",
        "Care",
        "c",
        "Ana",
        "Doe",
        NOW.date(),
        None,
        (),
        None,
    )
    assert (line.shown_status, line.child_name) == (shown, "Ana Doe")


@pytest.mark.parametrize(
    ("status", "moved", "refusal"),
    [
        (IntentStatus.FAILED, False, None),
        (IntentStatus.FAILED, True, "retry its payout"),
        (IntentStatus.PAID, True, "is paid"),
        (IntentStatus.CANCELLED, False, "cancelled already"),
        (IntentStatus.PENDING, False, "is pending"),
        (IntentStatus.PROCESSING, False, "is processing"),
        (IntentStatus.RETRYING, False, "is retrying"),
    ],
)
def test_only_a_failed_intent_that_moved_no_money_may_be_cancelled(
    status: IntentStatus, moved: bool, refusal: str | None
) -> None:
    intent = _intent(status=status, family_to_provider_transfer_id="t-1" if moved else None)
    found = intent.cancel_refusal()
    assert found is None if refusal is None else refusal in (found or "")
    if refusal is None:
        cancelled = intent.cancelled(NOW + timedelta(minutes=1))
        assert (cancelled.status, cancelled.cancelled_at) == (
            IntentStatus.CANCELLED,
            NOW + timedelta(minutes=1),
        )
        assert not cancelled.status.is_open  # the jobs never pick it up
