"""The weekly records: on Monday (business time), one record for last week per pair ``needs_record``
picks. Running it again — a retry, a repeated tick, ``cap-portal attendance create`` — creates nothing
twice: the database's unique (child, provider, week) decides. A dry run applies every rule and the same
insert, then rolls back, so its counts are the real run's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.attendance.model import AttendanceWeekNotAllowed
from domain.attendance.ports import AttendanceUnitOfWork
from domain.attendance.rules import needs_record
from domain.attendance.weeks import creation_stopped, last_week, week_has_ended
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules


@dataclass(frozen=True, slots=True)
class AttendanceRunSummary:
    week: date
    dry_run: bool = False
    stopped: bool = False  # on or after ATTENDANCE_CUTOFF_DATE: nothing is created
    pairs: int = 0  # linked pairs looked at
    eligible: int = 0  # pairs that get a record this week
    created: int = 0  # new now (would be, on a dry run)

    @property
    def already_existed(self) -> int:
        return self.eligible - self.created


def check_week(week: date, today: date) -> None:
    if week.weekday() != 0:
        raise AttendanceWeekNotAllowed(f"{week.isoformat()} is not a Monday.")
    if not week_has_ended(week, today):
        raise AttendanceWeekNotAllowed(f"The week of {week.isoformat()} has not ended yet.")


async def create_attendance_records(
    uow: AttendanceUnitOfWork,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    *,
    week: date | None = None,
    dry_run: bool = False,
) -> AttendanceRunSummary:
    """Last week's records (or ``week``'s, a Monday of a week that has ended)."""
    today = calendar.today()
    week = last_week(today) if week is None else week
    check_week(week, today)
    if creation_stopped(week, rules.attendance_cutoff_date):
        return AttendanceRunSummary(week, dry_run=dry_run, stopped=True)
    async with uow:
        candidates = await uow.attendance.pair_candidates(week)
        chosen = [c.pair for c in candidates if needs_record(c)]
        created = await uow.attendance.add_missing(week, chosen) if chosen else 0
        if dry_run:
            await uow.rollback()
        else:
            await uow.commit()
    return AttendanceRunSummary(
        week, dry_run=dry_run, pairs=len(candidates), eligible=len(chosen), created=created
    )
