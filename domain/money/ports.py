"""Money's ports: the ledger (our books), the payment gateway (who moves the money) and the records.

Every money-moving gateway call takes an idempotency key derived from our own record: the gateway moves
the money at most once per key and answers a repeated call with the first transfer's id, so a retry after
a crash (or a timeout whose outcome we never saw) is always safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.attendance.ports import OpenAttendanceReads
from domain.money.funding import AllocationFunding
from domain.money.history import HistoryLine
from domain.money.ledger import Account, AccountLine, LedgerTransaction, RecordedTransaction
from domain.money.payments import IntentStatus, Payment, PaymentAttempt, PaymentIntent
from domain.money.wallet_details import WalletHolder
from domain.money.wallets import FamilyPaymentSettings, Instrument, ProviderPaymentSettings
from domain.programme.ports import ProgrammeUnitOfWork


class Ledger(Protocol):
    async def record(self, transaction: LedgerTransaction) -> RecordedTransaction:
        """Records a balanced transaction in the unit of work, or returns the one its idempotency key
        already recorded (``newly_recorded`` False). ``IdempotencyKeyReused`` when that one moved
        something else; ``WalletOverdrawn`` when a wallet would go below zero (nothing is kept)."""
        ...

    async def balance(self, account: Account) -> int:
        """The account's balance in cents (0 for an account with no entries)."""
        ...

    async def balances(self, accounts: Sequence[Account]) -> dict[Account, int]:
        """Each named account's balance, in one query."""
        ...

    async def statement(self, account: Account, *, limit: int = 200) -> list[AccountLine]:
        """The account's lines, oldest first, with the running balance."""
        ...


@dataclass(frozen=True, slots=True)
class Transfer:
    transfer_id: str  # the gateway's id for the move


@dataclass(frozen=True, slots=True)
class WalletState:
    """What the gateway reports for one of its users."""

    balance_cents: int
    card: Instrument | None
    ach: Instrument | None


@dataclass(frozen=True, slots=True)
class AchInvitation:
    instrument: Instrument
    invite_sent_to: str | None


class PaymentGateway(Protocol):
    """What the programme needs from a money mover. Failures raise ``GatewayDeclined`` (a refusal:
    retrying will not help) or ``GatewayUnavailable`` (outcome unknown: retry with the same key)."""

    async def ensure_wallet(self, holder: WalletHolder) -> str:
        """The gateway's user id for the holder: found by email when it exists, created otherwise."""
        ...

    async def fund_family_wallet(self, user_id: str, amount_cents: int, *, idempotency_key: str) -> Transfer:
        """Programme balance → the family's wallet."""
        ...

    async def transfer_to_provider(
        self, family_user_id: str, provider_user_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        """Family wallet → provider wallet."""
        ...

    async def pay_out_by_card(
        self, provider_user_id: str, card_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        """Provider wallet → the provider's card."""
        ...

    async def pay_out_by_ach(
        self, provider_user_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        """Provider wallet → the provider's bank (same-day ACH)."""
        ...

    async def reclaim(self, family_user_id: str, amount_cents: int, *, idempotency_key: str) -> Transfer:
        """Family wallet → programme balance."""
        ...

    async def wallet_state(self, user_id: str) -> WalletState: ...

    async def create_card(self, user_id: str) -> Instrument:
        """A virtual card for the provider, funded with nothing."""
        ...

    async def start_ach_linking(self, user_id: str) -> AchInvitation:
        """Invites the provider to link a bank account; the instrument is pending until they do."""
        ...


class PaymentSettingsRepository(Protocol):
    async def family(self, family_id: str) -> FamilyPaymentSettings | None: ...
    async def families(self, family_ids: Sequence[str]) -> dict[str, FamilyPaymentSettings]: ...
    async def provider(self, provider_id: str) -> ProviderPaymentSettings | None: ...
    async def providers(self, provider_ids: Sequence[str]) -> dict[str, ProviderPaymentSettings]: ...
    async def provider_for_update(self, provider_id: str) -> ProviderPaymentSettings | None: ...
    async def family_for_update(self, family_id: str) -> FamilyPaymentSettings | None:
        """The family's row, locked until the unit of work ends: two payments from one wallet (two
        children's, at once) check its balance one after the other."""
        ...

    async def save_family(self, settings: FamilyPaymentSettings) -> None:
        """Inserts or updates the family's one row (unique per family)."""
        ...

    async def save_provider(self, settings: ProviderPaymentSettings) -> None:
        """Inserts or updates the provider's one row (unique per provider)."""
        ...

    async def families_without_wallet(self, *, limit: int) -> list[str]:
        """Families that have no gateway user yet (no row, or a row without one)."""
        ...

    async def providers_without_wallet(self, *, limit: int) -> list[str]: ...

    async def families_with_wallet(self, *, after: str | None, limit: int) -> list[str]:
        """Families that have a gateway user, in id order after ``after`` (a page of the refresh)."""
        ...

    async def providers_with_wallet(self, *, after: str | None, limit: int) -> list[str]: ...

    async def providers_awaiting_gateway(self, *, after: str | None, limit: int) -> list[str]:
        """Providers with a wallet never synced, or an instrument not ``Active`` (``awaits_gateway``)."""
        ...


class FundingRepository(Protocol):
    async def claim(self, funding: AllocationFunding) -> AllocationFunding:
        """The allocation's one funding row, inserted if absent (a unique constraint decides who
        inserts), then locked until the unit of work ends: concurrent funders of one allocation wait."""
        ...

    async def get(self, allocation_id: int) -> AllocationFunding | None: ...
    async def save(self, funding: AllocationFunding) -> None: ...
    async def unfunded(self, *, limit: int) -> list[AllocationFunding]:
        """Allocations with a non-zero budget whose funding has not succeeded (no row yet, or pending)."""
        ...


class PaymentRepository(Protocol):
    """Payment intents, their attempts and payments. Claims are the database's: ``add_intent`` raises
    ``ItemsAlreadyClaimed`` when a care day or lump sum already belongs to an intent (UNIQUE), and the
    unit of work then keeps nothing of the refused change."""

    async def add_intent(self, intent: PaymentIntent) -> None:
        """Stores the intent and its items; marks its care days submitted (``last_submitted_at``,
        ``payment_distribution_requested``) in the same statements, whatever their number."""
        ...

    async def get(self, intent_id: str) -> PaymentIntent | None: ...
    async def get_for_update(self, intent_id: str) -> PaymentIntent | None:
        """Locks the intent's row until the unit of work ends: concurrent tries of one intent take turns
        recording their steps."""
        ...

    async def save(self, intent: PaymentIntent) -> None:
        """Stores the intent's progress (status, attempts, errors, transfer ids)."""
        ...

    async def release(self, intent: PaymentIntent, at: datetime) -> None:
        """Releases the (cancelled) intent's claims: its items are marked released, its care days are
        payable again (no longer submitted) and its lump sum is cancelled, leaving the allocation's
        ``lump_sum_cents``; a fixed number of statements whatever the number of items."""
        ...

    async def add_attempt(self, attempt: PaymentAttempt) -> PaymentAttempt:
        """Stores a new attempt and returns it with its id (UNIQUE intent and number)."""
        ...

    async def save_attempt(self, attempt: PaymentAttempt) -> None: ...
    async def attempts(self, intent_id: str) -> list[PaymentAttempt]:
        """The intent's attempts, first first."""
        ...

    async def latest_attempt(self, intent_id: str) -> PaymentAttempt | None: ...
    async def add_payment(self, payment: Payment) -> bool:
        """Stores the intent's one payment, links its care days to it and adds its amount to the
        allocation's ``paid_cents``; False (and nothing written) when the intent has its payment already."""
        ...

    async def payment_of(self, intent_id: str) -> Payment | None: ...
    async def unpaid_claimed_cents(self, allocation_id: int) -> int:
        """What the allocation's intents that are not paid yet have claimed (failed ones too: their
        items stay claimed until an operator decides)."""
        ...

    async def unmoved_claims_cents(self, family_id: str) -> int:
        """What the family's unpaid intents will still take from its wallet (their first step has not
        been recorded yet)."""
        ...

    async def due(self, now: datetime, *, abandoned_before: datetime, limit: int) -> list[str]:
        """Open intents a sweep should try now: retrying ones whose time has come, pending or processing
        ones untouched since ``abandoned_before`` (their process died), oldest first."""
        ...

    async def list_by_status(
        self, statuses: Sequence[IntentStatus], *, limit: int, offset: int = 0
    ) -> list[PaymentIntent]:
        """Intents in any of the statuses (all when empty), newest first."""
        ...


class MoneyUnitOfWork(ProgrammeUnitOfWork, Protocol):
    @property
    def ledger(self) -> Ledger: ...
    @property
    def payment_settings(self) -> PaymentSettingsRepository: ...
    @property
    def fundings(self) -> FundingRepository: ...
    @property
    def payments(self) -> PaymentRepository: ...
    @property
    def attendance(self) -> OpenAttendanceReads: ...  # the payment block (domain/attendance/block.py)


class PaymentHistoryReads(Protocol):
    """The history pages' reads: a fixed number of statements whatever the number of payments."""

    async def for_family(self, family_id: str, *, limit: int) -> list[HistoryLine]:
        """The family's payment intents, newest first, with their days or lump sum."""
        ...

    async def for_provider(self, provider_id: str, *, limit: int) -> list[HistoryLine]: ...


class SettingsReads(Protocol):
    async def family(self, family_id: str) -> FamilyPaymentSettings | None: ...
    async def provider(self, provider_id: str) -> ProviderPaymentSettings | None: ...
    async def providers(self, provider_ids: Sequence[str]) -> dict[str, ProviderPaymentSettings]: ...


class BalanceReads(Protocol):
    async def balance(self, account: Account) -> int: ...


class PaymentFlagReads(Protocol):
    """What the home pages read about money (``can_make_payments``, ``is_payable``): on every page view,
    so an adapter may answer it on a faster path than the unit of work, which satisfies it too."""

    @property
    def payment_settings(self) -> SettingsReads: ...
    @property
    def ledger(self) -> BalanceReads: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...
