"""Attendance weeks in business time (``BUSINESS_TIMEZONE``, America/Denver by default).

A week is Monday to Sunday, named by its Monday. The Monday job records *last* week: the week before the
business week "today" falls in. "Today" is the local date of the clock's instant, so around a daylight
saving change the week still turns at local midnight (a run at Monday 01:00 local is 07:00 or 08:00 UTC).

``ATTENDANCE_CUTOFF_DATE`` (upstream 2026-07-07) stops creation and reminders on and after it: a week is
still recorded when the Monday that records it falls before the cutoff (the first week of July, recorded
on 6 July 2026, still is).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.programme.business_time import following_month_start, week_monday

WEEK = timedelta(days=7)


def last_week(today: date) -> date:
    """The Monday of the week before the one ``today`` is in."""
    return week_monday(today) - WEEK


def recording_day(week: date) -> date:
    """The Monday the week is recorded on: the day after its Sunday."""
    return week + WEEK


def week_has_ended(week: date, today: date) -> bool:
    return recording_day(week) <= today


def creation_stopped(week: date, cutoff: date | None) -> bool:
    return cutoff is not None and recording_day(week) >= cutoff


def communications_stopped(today: date, cutoff: date | None) -> bool:
    return cutoff is not None and today >= cutoff


def center_month_over(week: date, today: date) -> bool:
    """Centers attest monthly: their side is asked for once the month of the record's Monday is over."""
    return today >= following_month_start(week)


def week_instants(week: date, timezone: str) -> tuple[datetime, datetime]:
    """The week as UTC instants [Monday 00:00 local, next Monday 00:00 local): 167 or 169 hours long
    when daylight saving starts or ends inside it."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(week, time(0), tzinfo=zone)
    end = datetime.combine(recording_day(week), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
