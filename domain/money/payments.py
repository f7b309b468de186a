"""Paying a provider: a payment intent (what is paid), an attempt per try (how), a payment (once, on success).

An intent names the provider, the child's allocation, the amount and its items — care days, or one lump
sum. Its items are claimed by the database (a care day or a lump sum belongs to at most one intent: a
UNIQUE constraint), so nothing can be paid twice, however many requests race or retries run.

The money moves in two gateway steps, each under an idempotency key made of the intent and the step:
the family's wallet → the provider's wallet, then the provider's wallet → their card or bank. The intent
remembers each step's transfer id once our ledger has recorded it, so a retry after a crash between the
steps redoes only what is missing, and a step whose answer was lost is asked again under the same key
(the gateway answers with the first transfer, never a second move).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.money.ledger import Account, LedgerTransaction, RecordType, TransactionKind
from domain.money.wallets import PaymentMethod

# Upstream's cap on one payment; MAX_PAYMENT_CENTS changes it.
DEFAULT_MAX_PAYMENT_CENTS = 140_000
# Tries of one intent before an operator must look at it: about four hours of backoff.
DEFAULT_MAX_PAYMENT_ATTEMPTS = 8
FIRST_RETRY_AFTER = timedelta(seconds=30)
LONGEST_RETRY_WAIT = timedelta(hours=1)
# A try that has said nothing for this long died with its process (a killed worker): the sweep resumes it.
ABANDONED_AFTER = timedelta(minutes=10)


class PaymentKind(enum.StrEnum):
    CARE_DAYS = "care_days"
    LUMP_SUM = "lump_sum"


class IntentStatus(enum.StrEnum):
    PENDING = "pending"  # claimed, not tried yet
    PROCESSING = "processing"  # a try is under way (or its process died: the sweep resumes it)
    RETRYING = "retrying"  # the gateway was unavailable; a job tries again at next_attempt_at
    PAID = "paid"
    FAILED = "failed"  # declined, or out of tries: an operator decides; the items stay claimed
    CANCELLED = "cancelled"  # a failed intent an operator cancelled: it moved no money, its items released

    @property
    def is_open(self) -> bool:
        """Still to be paid by the jobs (a failed intent waits for an operator instead)."""
        return self in (IntentStatus.PENDING, IntentStatus.PROCESSING, IntentStatus.RETRYING)


class PaymentStep(enum.StrEnum):
    FAMILY_TO_PROVIDER = "family_to_provider"
    PAYOUT = "payout"


class AttemptOutcome(enum.StrEnum):
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class IntentItem:
    """One claimed thing: exactly one of care_day_id and lump_sum_id is set."""

    amount_cents: int
    care_day_id: int | None = None
    lump_sum_id: int | None = None

    def __post_init__(self) -> None:
        if (self.care_day_id is None) == (self.lump_sum_id is None):
            raise ValueError("an intent item is a care day or a lump sum")
        if self.amount_cents <= 0:
            raise ValueError("an intent item pays a positive amount")


@dataclass(frozen=True, slots=True)
class PaymentIntent:
    id: str
    kind: PaymentKind
    family_id: str
    child_id: str
    provider_id: str
    allocation_id: int
    amount_cents: int
    items: tuple[IntentItem, ...]
    created_at: datetime
    updated_at: datetime
    status: IntentStatus = IntentStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error_code: str | None = None
    last_error: str | None = None
    # Set once our ledger recorded the step: a retry skips it.
    family_to_provider_transfer_id: str | None = None
    payout_transfer_id: str | None = None
    payment_method: PaymentMethod | None = None  # how the provider was paid out (set with the payout)
    paid_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def care_day_ids(self) -> list[int]:
        return [item.care_day_id for item in self.items if item.care_day_id is not None]

    @property
    def lump_sum_ids(self) -> list[int]:
        return [item.lump_sum_id for item in self.items if item.lump_sum_id is not None]

    def started(self, at: datetime) -> PaymentIntent:
        return replace(
            self,
            status=IntentStatus.PROCESSING,
            attempts=self.attempts + 1,
            next_attempt_at=None,
            updated_at=at,
        )

    def failed(self, code: str, error: str, at: datetime, *, retry_at: datetime | None) -> PaymentIntent:
        status = IntentStatus.RETRYING if retry_at is not None else IntentStatus.FAILED
        return replace(
            self,
            status=status,
            next_attempt_at=retry_at,
            last_error_code=code,
            last_error=error[:2000],
            updated_at=at,
        )

    def paid(self, method: PaymentMethod, payout_transfer_id: str, at: datetime) -> PaymentIntent:
        return replace(
            self,
            status=IntentStatus.PAID,
            payment_method=method,
            payout_transfer_id=payout_transfer_id,
            next_attempt_at=None,
            paid_at=at,
            updated_at=at,
        )

    def cancel_refusal(self) -> str | None:
        """Why an operator may not cancel this intent, or None. Only a failed intent is cancelled: one
        paid is paid, one pending, processing or retrying is still the jobs' (a try may be moving money
        right now), and one whose money reached the provider's wallet must be retried, not released (the
        family's money is no longer theirs to spend again)."""
        if self.status is IntentStatus.CANCELLED:
            return "This payment intent is cancelled already"
        if self.status is IntentStatus.PAID:
            return "This payment intent is paid: a paid intent cannot be cancelled"
        if self.status is not IntentStatus.FAILED:
            return f"This payment intent is {self.status.value}: only a failed one can be cancelled"
        if self.family_to_provider_transfer_id is not None:
            return (
                "The money of this payment intent reached the provider's wallet already:"
                " retry its payout instead of cancelling it"
            )
        return None

    def cancelled(self, at: datetime) -> PaymentIntent:
        return replace(
            self, status=IntentStatus.CANCELLED, next_attempt_at=None, cancelled_at=at, updated_at=at
        )


@dataclass(frozen=True, slots=True)
class PaymentAttempt:
    """One try, with the instruments it used and the gateway's id for each step it completed."""

    id: int
    intent_id: str
    number: int  # 1-based per intent
    started_at: datetime
    payment_method: PaymentMethod | None
    family_gateway_user_id: str | None
    provider_gateway_user_id: str | None
    card_id: str | None
    outcome: AttemptOutcome = AttemptOutcome.PROCESSING
    family_to_provider_transfer_id: str | None = None
    payout_transfer_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    """Exists only for a paid intent, once (UNIQUE intent_id)."""

    id: str
    intent_id: str
    attempt_id: int
    family_id: str
    child_id: str
    provider_id: str
    allocation_id: int
    amount_cents: int
    payment_method: PaymentMethod
    created_at: datetime


def step_key(intent_id: str, step: PaymentStep) -> str:
    """The idempotency key of one step: the same for every try of the intent, at the gateway and in our
    ledger alike."""
    return f"payment_intent:{intent_id}:{step.value}"


def retry_wait(attempts: int) -> timedelta:
    """30 s after the first failed try, doubling, at most an hour."""
    wait = FIRST_RETRY_AFTER * (1 << min(max(attempts - 1, 0), 16))
    return min(wait, LONGEST_RETRY_WAIT)


def family_to_provider_transaction(intent: PaymentIntent) -> LedgerTransaction:
    return LedgerTransaction.move(
        TransactionKind.FAMILY_TO_PROVIDER,
        Account.family_wallet(intent.family_id),
        Account.provider_wallet(intent.provider_id),
        intent.amount_cents,
        record_type=RecordType.PAYMENT,
        record_id=intent.id,
        idempotency_key=step_key(intent.id, PaymentStep.FAMILY_TO_PROVIDER),
        description=f"Payment {intent.id}: family to provider",
    )


def payout_transaction(intent: PaymentIntent, method: PaymentMethod) -> LedgerTransaction:
    return LedgerTransaction.move(
        TransactionKind.PAYOUT,
        Account.provider_wallet(intent.provider_id),
        Account.provider_payout(intent.provider_id),
        intent.amount_cents,
        record_type=RecordType.PAYMENT,
        record_id=intent.id,
        idempotency_key=step_key(intent.id, PaymentStep.PAYOUT),
        description=f"Payment {intent.id}: paid out by {method.value}",
    )


@dataclass(frozen=True, slots=True)
class PaymentRules:
    """The payment flow's tunables, from settings (MAX_PAYMENT_CENTS, PAYMENT_MAX_ATTEMPTS)."""

    max_payment_cents: int = DEFAULT_MAX_PAYMENT_CENTS
    max_attempts: int = DEFAULT_MAX_PAYMENT_ATTEMPTS

    def __post_init__(self) -> None:
        if self.max_payment_cents < 1:
            raise ValueError("max_payment_cents must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
