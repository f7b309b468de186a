"""Which pairs get a weekly record, and when overdue attendance blocks paying a provider (upstream §2.5).

Records: a child and provider linked, both Approved and payment-enabled; a non-center provider only when
at least one of the child's care days with it that week was paid; a center always (centers are paid by
lump sums and attest monthly).

The block, per child and provider: overdue when any family-side record is due (any week, last week's
included — it is created on Monday morning), or, for non-centers, a provider-side record is due for a
week *before* last week (providers get one week's grace). A center's provider side never blocks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from domain.attendance.model import AttendanceRecord
from domain.attendance.weeks import center_month_over, last_week
from domain.programme.providers import ProviderType
from domain.programme.statuses import ApplicationStatus


@dataclass(frozen=True, slots=True)
class PairCandidate:
    """A linked child and provider as they stand when the week is recorded."""

    child_id: str
    provider_id: str
    child_status: ApplicationStatus
    child_payment_enabled: bool
    provider_status: ApplicationStatus
    provider_payment_enabled: bool
    provider_type: ProviderType
    paid_care_days: int  # the child's paid care days with this provider in the week

    @property
    def pair(self) -> tuple[str, str]:
        return (self.child_id, self.provider_id)


def needs_record(candidate: PairCandidate) -> bool:
    both_approved = (
        candidate.child_status is ApplicationStatus.APPROVED
        and candidate.provider_status is ApplicationStatus.APPROVED
    )
    if not (both_approved and candidate.child_payment_enabled and candidate.provider_payment_enabled):
        return False
    return candidate.provider_type is ProviderType.CENTER or candidate.paid_care_days > 0


def blocks_paying(record: AttendanceRecord, today: date) -> bool:
    return record.family.due or provider_overdue(record, today)


def provider_overdue(record: AttendanceRecord, today: date) -> bool:
    """The provider's side blocks paying: still due for a week before last week (a week's grace). A
    center's provider side never does."""
    return not record.is_center and record.provider.due and record.week < last_week(today)


def overdue_weeks(records: Iterable[AttendanceRecord], today: date) -> dict[tuple[str, str], list[date]]:
    """(child id, provider id) → the weeks (Mondays, ascending) whose attendance blocks paying."""
    weeks: dict[tuple[str, str], set[date]] = defaultdict(set)
    for record in records:
        if blocks_paying(record, today):
            weeks[record.pair].add(record.week)
    return {pair: sorted(days) for pair, days in weeks.items()}


def due_from_family(record: AttendanceRecord) -> bool:
    return record.family.due


def due_from_provider(record: AttendanceRecord, today: date) -> bool:
    """A center is asked once the record's month is over; other providers at once."""
    return record.provider.due and (not record.is_center or center_month_over(record.week, today))
