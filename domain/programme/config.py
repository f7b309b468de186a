"""The programme's tunable rules, given to use cases by the composition roots (not read from os.environ)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_MAX_CHILDREN_PER_PROVIDER = 2
DEFAULT_MAX_ALLOCATION_CENTS = 140_000
DEFAULT_BUSINESS_TIMEZONE = "America/Denver"


@dataclass(frozen=True, slots=True)
class ProgrammeRules:
    max_children_per_provider: int = DEFAULT_MAX_CHILDREN_PER_PROVIDER
    max_allocation_cents: int = DEFAULT_MAX_ALLOCATION_CENTS
    # No allocation is created for a month starting on or after this date (the programme winds down).
    program_end_date: date | None = None
    # Attendance records and reminders stop on and after this date (domain/attendance/weeks.py).
    attendance_cutoff_date: date | None = None
    business_timezone: str = DEFAULT_BUSINESS_TIMEZONE

    def __post_init__(self) -> None:
        if self.max_children_per_provider < 1:
            raise ValueError("max_children_per_provider must be at least 1")
        if self.max_allocation_cents < 1:
            raise ValueError("max_allocation_cents must be positive")
        try:
            ZoneInfo(self.business_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown business timezone {self.business_timezone!r}") from exc

    def allows_allocations_for(self, month_start: date) -> bool:
        return self.program_end_date is None or month_start < self.program_end_date
