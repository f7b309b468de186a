"""ORM rows of money's tables. They never leave this package: repositories map them by hand.

The ledger's rules are in the schema as well as in the domain, so a bug or a hand-written SQL fix cannot
break them: a deferred constraint trigger refuses a transaction whose entries do not sum to zero (or has
fewer than two), a trigger keeps each account's balance and refuses UPDATE and DELETE of transactions and
entries (append-only), and a CHECK keeps wallets at or above zero. ``migrations/versions/
0007_ledger_and_wallets.py`` creates exactly this, and the triggers; ``0012_payments.py`` adds the payment
intents, their items, attempts and payments.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.programme.rows import one_of
from domain.money.funding import FundingStatus
from domain.money.ledger import AccountKind, RecordType, TransactionKind
from domain.money.payments import AttemptOutcome, IntentStatus, PaymentKind
from domain.money.wallets import PaymentMethod

KEY = 200
GATEWAY_ID = 100


def _now() -> Mapped[datetime]:
    return mapped_column(DateTimeUTC(timezone=True), server_default=func.now())


class LedgerAccountRow(DefaultBase):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint(
            "kind", "owner_id", name="uq_ledger_accounts_kind_owner_id", postgresql_nulls_not_distinct=True
        ),
        CheckConstraint(one_of("kind", AccountKind), name="kind"),
        CheckConstraint(
            "(owner_id IS NULL) = (kind IN ('programme', 'reclaimed'))", name="owner_matches_kind"
        ),
        CheckConstraint(
            "kind NOT IN ('family_wallet', 'provider_wallet') OR balance_cents >= 0",
            name="wallet_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[UUID | None] = mapped_column(GUID, nullable=True)
    balance_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_at: Mapped[datetime] = _now()


class LedgerTransactionRow(DefaultBase):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_ledger_transactions_idempotency_key"),
        CheckConstraint(one_of("kind", TransactionKind), name="kind"),
        CheckConstraint(one_of("record_type", RecordType), name="record_type"),
        Index("ix_ledger_transactions_record", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(KEY))
    description: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = _now()


class LedgerEntryRow(DefaultBase):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_cents"),
        Index("ix_ledger_entries_account_id", "account_id", "id"),
        Index("ix_ledger_entries_transaction_id", "transaction_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_transactions.id", ondelete="RESTRICT")
    )
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # The account's balance just after this entry (kept by the trigger that maintains the balance).
    balance_after_cents: Mapped[int] = mapped_column(BigInteger)


class AllocationFundingRow(DefaultBase):
    """One per allocation (its primary key): the row whose insert claims the funding."""

    __tablename__ = "allocation_fundings"
    __table_args__ = (
        CheckConstraint(one_of("status", FundingStatus), name="status"),
        CheckConstraint("amount_cents >= 0", name="amount_cents"),
        CheckConstraint(
            "(status = 'funded') = (gateway_transfer_id IS NOT NULL AND ledger_transaction_id IS NOT NULL)",
            name="funded_has_transfer",
        ),
        Index("ix_allocation_fundings_pending", "allocation_id", postgresql_where="status = 'pending'"),
    )

    allocation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("month_allocations.id", ondelete="RESTRICT"), primary_key=True
    )
    family_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("families.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    gateway_transfer_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    ledger_transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_transactions.id", ondelete="RESTRICT"), nullable=True
    )
    funded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    created_at: Mapped[datetime] = _now()


class FamilyPaymentSettingsRow(DefaultBase):
    __tablename__ = "family_payment_settings"

    family_id: Mapped[UUID] = mapped_column(
        GUID, ForeignKey("families.id", ondelete="RESTRICT"), primary_key=True
    )
    gateway_user_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    wallet_balance_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class ProviderPaymentSettingsRow(DefaultBase):
    __tablename__ = "provider_payment_settings"
    __table_args__ = (
        CheckConstraint(
            "payment_method IS NULL OR " + one_of("payment_method", PaymentMethod), name="payment_method"
        ),
    )

    provider_id: Mapped[UUID] = mapped_column(
        GUID, ForeignKey("providers.id", ondelete="RESTRICT"), primary_key=True
    )
    gateway_user_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    payment_method: Mapped[str | None] = mapped_column(String(8), nullable=True)
    payment_method_updated_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), nullable=True
    )
    card_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    card_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ach_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    ach_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    wallet_balance_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


# --- The sandbox gateway's own books (a stand-in for the gateway's system; not ours) -------------------


class SandboxWalletRow(DefaultBase):
    __tablename__ = "sandbox_wallets"
    __table_args__ = (
        UniqueConstraint("email", name="uq_sandbox_wallets_email"),
        CheckConstraint("balance_cents >= 0", name="balance_cents"),
    )

    user_id: Mapped[str] = mapped_column(String(GATEWAY_ID), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)  # None: the programme's balance
    first_name: Mapped[str] = mapped_column(String(24))
    last_name: Mapped[str] = mapped_column(String(24))
    balance_cents: Mapped[int] = mapped_column(BigInteger, server_default="0")
    card_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    card_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ach_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    ach_status: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = _now()


class SandboxTransferRow(DefaultBase):
    __tablename__ = "sandbox_transfers"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_sandbox_transfers_idempotency_key"),
        CheckConstraint("amount_cents > 0", name="amount_cents"),
    )

    transfer_id: Mapped[str] = mapped_column(String(GATEWAY_ID), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(KEY))
    operation: Mapped[str] = mapped_column(String(40))
    from_user_id: Mapped[str] = mapped_column(String(GATEWAY_ID))
    to_user_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)  # None: paid out
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _now()


class SandboxFaultRow(DefaultBase):
    """A failure the sandbox will answer the next matching calls with (set by an operator or a test)."""

    __tablename__ = "sandbox_faults"
    __table_args__ = (CheckConstraint("remaining > 0", name="remaining"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    operation: Mapped[str] = mapped_column(String(40))  # an operation name, or '*' for any
    fault: Mapped[str] = mapped_column(String(20))
    remaining: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = _now()


# --- Paying providers: intent → attempt → payment ---------------------------------------------------


class PaymentIntentRow(DefaultBase):
    """What is paid. Its progress (status, the transfer id of each recorded step) is kept on the row, so
    a retry knows where the last try stopped; each try is a ``payment_attempts`` row."""

    __tablename__ = "payment_intents"
    __table_args__ = (
        CheckConstraint(one_of("kind", PaymentKind), name="kind"),
        CheckConstraint(one_of("status", IntentStatus), name="status"),
        CheckConstraint("amount_cents > 0", name="amount_cents"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint(
            "payment_method IS NULL OR " + one_of("payment_method", PaymentMethod), name="payment_method"
        ),
        CheckConstraint(
            "status <> 'paid' OR (payout_transfer_id IS NOT NULL"
            " AND family_to_provider_transfer_id IS NOT NULL AND paid_at IS NOT NULL)",
            name="paid_has_transfers",
        ),
        # A cancelled intent never moved money: the ledger has nothing to undo (migration 0017).
        CheckConstraint(
            "status <> 'cancelled' OR (cancelled_at IS NOT NULL AND family_to_provider_transfer_id IS NULL)",
            name="cancelled_moved_nothing",
        ),
        Index("ix_payment_intents_allocation_id", "allocation_id"),
        Index("ix_payment_intents_family_id_created_at", "family_id", "created_at"),
        Index("ix_payment_intents_provider_id_created_at", "provider_id", "created_at"),
        Index("ix_payment_intents_open", "status", "updated_at", postgresql_where="status <> 'paid'"),
    )

    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    family_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("families.id", ondelete="RESTRICT"))
    child_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("children.id", ondelete="RESTRICT"))
    provider_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("providers.id", ondelete="RESTRICT"))
    allocation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("month_allocations.id", ondelete="RESTRICT")
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    last_error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    family_to_provider_transfer_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    payout_transfer_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    payment_method: Mapped[str | None] = mapped_column(String(8), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class PaymentIntentItemRow(DefaultBase):
    """One claimed item. UNIQUE care_day_id and UNIQUE lump_sum_id over the unreleased items are the
    claims: a care day or a lump sum belongs to one live intent at most, decided by the database (NULLs do
    not collide). An operator's cancel of a failed intent releases its items (``released_at``), so the
    day can be claimed again."""

    __tablename__ = "payment_intent_items"
    __table_args__ = (
        Index(
            "uq_payment_intent_items_care_day_id",
            "care_day_id",
            unique=True,
            postgresql_where=text("released_at IS NULL"),
        ),
        Index(
            "uq_payment_intent_items_lump_sum_id",
            "lump_sum_id",
            unique=True,
            postgresql_where=text("released_at IS NULL"),
        ),
        CheckConstraint("(care_day_id IS NULL) <> (lump_sum_id IS NULL)", name="one_item"),
        CheckConstraint("amount_cents > 0", name="amount_cents"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    intent_id: Mapped[UUID] = mapped_column(
        GUID, ForeignKey("payment_intents.id", ondelete="RESTRICT"), index=True
    )
    care_day_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("care_days.id", ondelete="RESTRICT"), nullable=True
    )
    lump_sum_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("lump_sums.id", ondelete="RESTRICT"), nullable=True
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    released_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class PaymentAttemptRow(DefaultBase):
    __tablename__ = "payment_attempts"
    __table_args__ = (
        UniqueConstraint("intent_id", "number", name="uq_payment_attempts_intent_id_number"),
        CheckConstraint(one_of("outcome", AttemptOutcome), name="outcome"),
        CheckConstraint("number >= 1", name="number"),
        CheckConstraint(
            "payment_method IS NULL OR " + one_of("payment_method", PaymentMethod), name="payment_method"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    intent_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("payment_intents.id", ondelete="RESTRICT"))
    number: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str | None] = mapped_column(String(8), nullable=True)
    family_gateway_user_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    provider_gateway_user_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    card_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    family_to_provider_transfer_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    payout_transfer_id: Mapped[str | None] = mapped_column(String(GATEWAY_ID), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class PaymentRow(DefaultBase):
    """A paid intent's one payment (UNIQUE intent_id): what the history pages list as paid."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("intent_id", name="uq_payments_intent_id"),
        CheckConstraint("amount_cents > 0", name="amount_cents"),
        CheckConstraint(one_of("payment_method", PaymentMethod), name="payment_method"),
    )

    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)
    intent_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("payment_intents.id", ondelete="RESTRICT"))
    attempt_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("payment_attempts.id", ondelete="RESTRICT")
    )
    family_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("families.id", ondelete="RESTRICT"))
    child_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("children.id", ondelete="RESTRICT"))
    provider_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("providers.id", ondelete="RESTRICT"))
    allocation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("month_allocations.id", ondelete="RESTRICT"), index=True
    )
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    payment_method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
