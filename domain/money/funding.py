"""Allocation funding: a new month's budget moves from the programme to the family's wallet, once.

The allocation is the idempotency key for both the ledger transaction and the gateway transfer, so a
retried job, a duplicate delivery or an operator's re-run can never fund an allocation twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from domain.money.ledger import Account, LedgerTransaction, RecordType, TransactionKind


class FundingStatus(enum.StrEnum):
    PENDING = "pending"  # claimed; not yet funded (a failed try leaves it here with last_error)
    FUNDED = "funded"
    NOTHING_TO_FUND = "nothing_to_fund"  # a zero allocation moves no money


@dataclass(frozen=True, slots=True)
class AllocationFunding:
    allocation_id: int
    family_id: str
    amount_cents: int
    status: FundingStatus = FundingStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    gateway_transfer_id: str | None = None
    ledger_transaction_id: int | None = None
    funded_at: datetime | None = None

    @property
    def is_settled(self) -> bool:
        return self.status is not FundingStatus.PENDING

    def failed(self, error: str, at: datetime) -> AllocationFunding:
        return replace(self, attempts=self.attempts + 1, last_error=error[:2000], last_attempt_at=at)

    def nothing_to_fund(self, at: datetime) -> AllocationFunding:
        return replace(
            self,
            status=FundingStatus.NOTHING_TO_FUND,
            attempts=self.attempts + 1,
            last_error=None,
            last_attempt_at=at,
        )

    def funded(self, transfer_id: str, ledger_transaction_id: int, at: datetime) -> AllocationFunding:
        return replace(
            self,
            status=FundingStatus.FUNDED,
            attempts=self.attempts + 1,
            last_error=None,
            last_attempt_at=at,
            gateway_transfer_id=transfer_id,
            ledger_transaction_id=ledger_transaction_id,
            funded_at=at,
        )


class FundingStep(enum.StrEnum):
    """What a funding attempt does next, decided from the claimed row and the family's wallet."""

    ALREADY_SETTLED = "already_settled"  # funded (or nothing to fund) before: nothing moves again
    NOTHING_TO_FUND = "nothing_to_fund"  # a zero budget: settled without a gateway call
    WAIT_FOR_WALLET = "wait_for_wallet"  # the wallet job has not opened the family's wallet yet
    MOVE_MONEY = "move_money"


def funding_step(funding: AllocationFunding, family_wallet_user_id: str | None) -> FundingStep:
    if funding.is_settled:
        return FundingStep.ALREADY_SETTLED
    if funding.amount_cents == 0:
        return FundingStep.NOTHING_TO_FUND
    if family_wallet_user_id is None:
        return FundingStep.WAIT_FOR_WALLET
    return FundingStep.MOVE_MONEY


def funding_key(allocation_id: int) -> str:
    return f"allocation:{allocation_id}:funding"


def funding_transaction(funding: AllocationFunding) -> LedgerTransaction:
    return LedgerTransaction.move(
        TransactionKind.ALLOCATION_FUNDING,
        Account.programme(),
        Account.family_wallet(funding.family_id),
        funding.amount_cents,
        record_type=RecordType.ALLOCATION,
        record_id=str(funding.allocation_id),
        idempotency_key=funding_key(funding.allocation_id),
        description=f"Allocation {funding.allocation_id} funded",
    )
