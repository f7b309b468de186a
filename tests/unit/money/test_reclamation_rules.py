"""Reclamation's rules: which months may be reclaimed (two or more before the current one, in business
time), one key per allocation, and the ledger move it records."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.money.ledger import Account, RecordType, TransactionKind
from domain.money.reclamation import (
    Reclamation,
    ReclamationStatus,
    is_reclaimable_month,
    latest_reclaimable_month,
    reclamation_key,
    reclamation_transaction,
)

FAMILY = "11111111-1111-1111-1111-111111111111"


@pytest.mark.parametrize(
    ("today", "latest"),
    [
        (date(2025, 3, 2), date(2025, 1, 1)),
        (date(2025, 3, 31), date(2025, 1, 1)),
        (date(2025, 1, 2), date(2024, 11, 1)),
        (date(2025, 2, 1), date(2024, 12, 1)),
    ],
)
def test_the_month_before_last_is_the_newest_reclaimable_one(today: date, latest: date) -> None:
    assert latest_reclaimable_month(today) == latest
    assert is_reclaimable_month(latest, today)
    assert not is_reclaimable_month(date(latest.year + (latest.month // 12), latest.month % 12 + 1, 1), today)


def test_one_key_per_allocation_for_the_row_the_gateway_and_the_ledger() -> None:
    reclamation = Reclamation(42, FAMILY, 1_500, id=9)
    assert reclamation.idempotency_key == reclamation_key(42) == "allocation:42:reclamation"
    transaction = reclamation_transaction(reclamation)
    assert transaction.idempotency_key == reclamation.idempotency_key
    assert (transaction.kind, transaction.record_type, transaction.record_id) == (
        TransactionKind.RECLAMATION, RecordType.RECLAMATION, "9",
    )  # fmt: skip
    moves = {entry.account: entry.amount_cents for entry in transaction.entries}
    assert moves == {Account.family_wallet(FAMILY): -1_500, Account.reclaimed(): 1_500}


def test_a_reclamation_not_yet_claimed_has_no_ledger_move() -> None:
    with pytest.raises(ValueError, match="row exists"):
        reclamation_transaction(Reclamation(42, FAMILY, 1_500))


def test_a_failure_keeps_it_pending_and_success_records_the_transfer() -> None:
    at = datetime(2025, 3, 2, tzinfo=UTC)
    failed = Reclamation(42, FAMILY, 1_500, id=9).failed("down", at)
    assert (failed.status, failed.attempts, failed.last_error, failed.is_done) == (
        ReclamationStatus.PENDING, 1, "down", False,
    )  # fmt: skip
    done = failed.reclaimed("tr_1", 5, at)
    assert (done.status, done.attempts, done.last_error, done.gateway_transfer_id, done.is_done) == (
        ReclamationStatus.RECLAIMED, 2, None, "tr_1", True,
    )  # fmt: skip
