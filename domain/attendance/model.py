"""An attendance record: one week (its Monday) of one child with one provider, confirmed separately by the
family and by the provider (each side enters full and half days). A side is *due* until it has entered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from domain.errors import NotFound, RuleRefused
from domain.programme.providers import ProviderType

MAX_DAYS_PER_WEEK = 7


@dataclass(frozen=True, slots=True)
class SideEntry:
    """What one side (family or provider) said, and when it first opened its list."""

    full_days: int | None = None
    half_days: int | None = None
    entered_at: datetime | None = None
    opened_at: datetime | None = None

    @property
    def due(self) -> bool:
        return self.entered_at is None


@dataclass(frozen=True, slots=True)
class AttendanceRecord:
    id: str
    week: date  # the Monday
    child_id: str
    provider_id: str
    provider_type: ProviderType
    family: SideEntry = field(default_factory=SideEntry)
    provider: SideEntry = field(default_factory=SideEntry)

    @property
    def is_center(self) -> bool:
        return self.provider_type is ProviderType.CENTER

    @property
    def pair(self) -> tuple[str, str]:
        return (self.child_id, self.provider_id)


@dataclass(frozen=True, slots=True)
class DaysEntered:
    """One row of a POST: the record's id and the side's counts, each 0..7."""

    record_id: str
    full_days: int
    half_days: int

    def __post_init__(self) -> None:
        for count in (self.full_days, self.half_days):
            if not 0 <= count <= MAX_DAYS_PER_WEEK:
                raise DaysOutOfRange()


def entered(side: SideEntry, full_days: int, half_days: int, at: datetime) -> SideEntry:
    return replace(side, full_days=full_days, half_days=half_days, entered_at=at)


class AttendanceNotFound(NotFound):
    """Not the caller's record, or not due from the caller (a center's month not over yet)."""

    code = "attendance_not_found"
    default_message = "No such attendance record is due from you."


class AttendanceAlreadyEntered(RuleRefused):
    code = "attendance_already_entered"
    default_message = "Attendance for this week has already been entered."


class DaysOutOfRange(RuleRefused):
    code = "attendance_days_out_of_range"
    default_message = f"Full days and half days must each be between 0 and {MAX_DAYS_PER_WEEK}."


class AttendanceWeekNotAllowed(RuleRefused):
    code = "attendance_week_not_allowed"
    default_message = "Attendance is created for a week (its Monday) that has ended."
