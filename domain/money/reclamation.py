"""Reclamation: an allocation's unpaid remainder goes back to the programme once the month is over.

Two or more months after an allocation's month (on the 2nd, so the month before last has had a whole
month for late payments), what the family did not pay out of it leaves their wallet for the programme.
Exactly once per allocation: the reclamation row is unique per allocation and is written, with its
amount and its idempotency key, *before* the gateway is asked to move anything. A crash after the
gateway moved the money but before we recorded it (upstream's "RECLAIM DB FAILURE", which its next run
reclaimed again) leaves that row pending: the next run asks the gateway again under the same key, gets
the first transfer back, and records it. The amount is the row's, fixed when it was claimed, never
recomputed from a remainder that the first move already shrank.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import date, datetime

from domain.money.ledger import Account, LedgerTransaction, RecordType, TransactionKind
from domain.programme.business_time import month_start

# Reclaimed once the month is at least this many months before the current one.
MONTHS_BEFORE_RECLAIM = 2


class ReclamationStatus(enum.StrEnum):
    PENDING = "pending"  # claimed with its amount; the gateway not yet asked, or its answer not recorded
    RECLAIMED = "reclaimed"


@dataclass(frozen=True, slots=True)
class Reclamation:
    allocation_id: int
    family_id: str
    amount_cents: int
    id: int | None = None  # given by the database when the row is claimed
    status: ReclamationStatus = ReclamationStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    gateway_transfer_id: str | None = None
    ledger_transaction_id: int | None = None
    reclaimed_at: datetime | None = None

    @property
    def idempotency_key(self) -> str:
        return reclamation_key(self.allocation_id)

    @property
    def is_done(self) -> bool:
        return self.status is ReclamationStatus.RECLAIMED

    def failed(self, error: str, at: datetime) -> Reclamation:
        return replace(self, attempts=self.attempts + 1, last_error=error[:2000], last_attempt_at=at)

    def reclaimed(self, transfer_id: str, ledger_transaction_id: int, at: datetime) -> Reclamation:
        return replace(
            self,
            status=ReclamationStatus.RECLAIMED,
            attempts=self.attempts + 1,
            last_error=None,
            last_attempt_at=at,
            gateway_transfer_id=transfer_id,
            ledger_transaction_id=ledger_transaction_id,
            reclaimed_at=at,
        )


def reclamation_key(allocation_id: int) -> str:
    return f"allocation:{allocation_id}:reclamation"


def reclamation_transaction(reclamation: Reclamation) -> LedgerTransaction:
    if reclamation.id is None:
        raise ValueError("a reclamation is recorded in the ledger only once its row exists")
    return LedgerTransaction.move(
        TransactionKind.RECLAMATION,
        Account.family_wallet(reclamation.family_id),
        Account.reclaimed(),
        reclamation.amount_cents,
        record_type=RecordType.RECLAMATION,
        record_id=str(reclamation.id),
        idempotency_key=reclamation.idempotency_key,
        description=f"Allocation {reclamation.allocation_id}: unpaid remainder reclaimed",
    )


def latest_reclaimable_month(today: date) -> date:
    """The newest month whose allocations may be reclaimed on ``today`` (business time)."""
    first = month_start(today)
    months = first.year * 12 + first.month - 1 - MONTHS_BEFORE_RECLAIM
    return date(months // 12, months % 12 + 1, 1)


def is_reclaimable_month(month: date, today: date) -> bool:
    return month_start(month) <= latest_reclaimable_month(today)


@dataclass(frozen=True, slots=True)
class ReclaimCandidate:
    """An allocation of a reclaimable month, funded, with money left unpaid (read under its lock)."""

    allocation_id: int
    family_id: str
    month: date
    unpaid_remainder_cents: int
