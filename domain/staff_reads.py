"""What staff look up in the console: a search across families, children and providers, a family's
whole picture (guardians, children, allocations by month with their care days and lump sums) and a
provider's, and the lists a family or provider page shows a window of (payments, messages, attendance,
invitations, ledger entries), each read a window at a time so a page and its CSV ask the same question.

Reads only; every change goes through the use cases. The port is answered by one adapter on plain
asyncpg (``adapters/postgres/staff_reads.py``), in a fixed number of statements per page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Protocol

from domain.attendance.model import AttendanceRecord, SideEntry
from domain.attendance.rules import blocks_paying, due_from_provider, provider_overdue
from domain.invitations.model import Direction
from domain.money.wallets import ProviderPaymentSettings, payability_problem


class HitKind(Enum):
    FAMILY = "family"
    CHILD = "child"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class Search:
    """``text``: part of a guardian's name, email or phone, a child's name, or a provider's name, email
    or phone; ``kind`` narrows it to one kind of record."""

    text: str
    kind: HitKind | None = None
    limit: int = 25
    offset: int = 0


@dataclass(frozen=True, slots=True)
class SearchHit:
    kind: HitKind
    id: str
    name: str
    detail: str  # the email and phone, or for a child their family's guardian
    family_id: str | None = None  # the page a family or child hit opens


@dataclass(frozen=True, slots=True)
class GuardianLine:
    name: str
    type: str
    email: str | None
    phone_number: str | None


@dataclass(frozen=True, slots=True)
class CareDayLine:
    date: date
    type: str
    amount_cents: int
    provider_name: str
    paid: bool
    deleted: bool


@dataclass(frozen=True, slots=True)
class LumpSumLine:
    amount_cents: int
    provider_name: str
    days: int
    half_days: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MonthLine:
    allocation_id: int
    month: date
    allocation_cents: int
    paid_cents: int
    lump_sum_cents: int
    reclaimed_cents: int
    care_days: list[CareDayLine] = field(default_factory=list)
    lump_sums: list[LumpSumLine] = field(default_factory=list)

    @property
    def scheduled_cents(self) -> int:
        return sum(day.amount_cents for day in self.care_days if not day.deleted)


@dataclass(frozen=True, slots=True)
class ChildLine:
    id: str
    name: str
    status: str
    payment_enabled: bool
    monthly_allocation_cents: int | None
    prorated_allocation_cents: int | None
    months: list[MonthLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PaymentLine:
    intent_id: str
    child_name: str
    provider_name: str
    kind: str
    amount_cents: int
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    paid_at: datetime | None
    family_id: str
    family_name: str  # the family's first guardian
    provider_id: str


@dataclass(frozen=True, slots=True)
class FamilyPicture:
    id: str
    language: str
    zip_code: str | None
    external_id: str | None
    guardians: list[GuardianLine]
    children: list[ChildLine]

    @property
    def name(self) -> str:
        return self.guardians[0].name if self.guardians else self.id


@dataclass(frozen=True, slots=True)
class FailedPayment:
    """A payment intent that needs an operator, with the names that say whose it is."""

    intent_id: str
    family_id: str
    family_name: str
    child_name: str
    provider_name: str
    amount_cents: int
    attempts: int
    last_error_code: str | None
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CaredChild:
    child_id: str
    family_id: str
    name: str
    half_day_rate_cents: int | None
    full_day_rate_cents: int | None


@dataclass(frozen=True, slots=True)
class ProviderPicture:
    """A provider: its record, the children it cares for with their rates, and how it is paid."""

    id: str
    name: str
    type: str
    email: str | None
    phone_number: str | None
    status: str
    payment_enabled: bool
    preferred_language: str
    external_id: str | None
    children: list[CaredChild]
    payment_settings: ProviderPaymentSettings | None  # None: the provider never opened a wallet

    @property
    def payability_problem(self) -> str | None:
        """Why the provider cannot be paid now (the payment rules' own words), or None."""
        return payability_problem(self.payment_settings)


class Owner(Enum):
    """Whose page a list is on."""

    FAMILY = "family"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class Window:
    """One family's or provider's list, ``limit`` rows from ``offset``, newest first."""

    owner: Owner
    owner_id: str
    limit: int
    offset: int = 0


@dataclass(frozen=True, slots=True)
class MessageLine:
    """A message from the notifications' log, to one of the family's guardians (or about the family)."""

    id: int
    created_at: datetime
    channel: str
    kind: str
    recipient: str
    subject: str | None
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttendanceLine:
    record: AttendanceRecord
    child_name: str
    provider_name: str

    def family_side(self) -> str:
        # A family's week blocks paying from the Monday it is created until it is entered.
        return "overdue" if self.record.family.due else _days(self.record.family)

    def provider_side(self, today: date) -> str:
        record = self.record
        if not record.provider.due:
            return _days(record.provider)
        if not due_from_provider(record, today):
            return "not asked yet"  # a center attests once the month is over
        return "overdue" if provider_overdue(record, today) else "due"

    def blocks_paying(self, today: date) -> bool:
        return blocks_paying(self.record, today)


def _days(side: SideEntry) -> str:
    return f"{side.full_days} full, {side.half_days} half"


@dataclass(frozen=True, slots=True)
class InvitationLine:
    id: int
    direction: Direction
    email: str
    cell: str | None
    created_at: datetime
    opened_at: datetime | None
    accepted_at: datetime | None
    family_name: str | None  # the inviting family, or the family that accepted
    provider_name: str | None  # the inviting provider, or the provider that accepted
    children: str  # the children named by the invite (or chosen on accepting)

    def sent_by(self, owner: Owner) -> bool:
        inviter = Owner.FAMILY if self.direction is Direction.FAMILY_INVITES_PROVIDER else Owner.PROVIDER
        return inviter is owner

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        return "opened" if self.opened_at is not None else "not opened"


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """One entry on one of the owner's ledger accounts, with the other side of its transaction."""

    entry_id: int
    at: datetime
    account: str  # the owner's account: family_wallet, provider_wallet or provider_payout
    amount_cents: int
    balance_after_cents: int  # the account's running balance after this entry
    counter_accounts: str  # the transaction's other accounts, named
    kind: str  # what the move was for: allocation_funding, family_to_provider, payout, …
    description: str
    record_type: str
    record_id: str


class StaffReads(Protocol):
    async def search(self, search: Search) -> list[SearchHit]:
        """Matches, families first, then children, then providers; by name within each."""
        ...

    async def family(self, family_id: str) -> FamilyPicture | None: ...

    async def provider(self, provider_id: str) -> ProviderPicture | None: ...

    async def failed_payments(self, *, limit: int, offset: int) -> list[FailedPayment]:
        """Intents with status failed, the most recently failed first."""
        ...

    async def owner_name(self, owner: Owner, owner_id: str) -> str | None:
        """The family's (first guardian's) or provider's name; None when there is no such record."""
        ...

    async def payments(self, window: Window) -> list[PaymentLine]: ...

    async def messages(self, window: Window) -> list[MessageLine]: ...

    async def attendance(self, window: Window) -> list[AttendanceLine]: ...

    async def invitations(self, window: Window) -> list[InvitationLine]: ...

    async def ledger(self, window: Window) -> list[LedgerLine]: ...
