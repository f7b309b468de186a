"""Business time: "today", months and care-day lock instants in the programme's timezone.

Every date with business meaning is computed from the injected clock in the business timezone, never
from the host's clock or timezone. Lock instants are built as local wall-clock times and then converted,
so a week that changes to or from daylight saving time still locks at Monday 23:59:59 local time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.ports import Clock

LOCK_TIME_OF_DAY = time(23, 59, 59)
# The frontend greys out days on or after locked_past_date, so one week stays open after locked_until_date.
OPEN_DAYS_AFTER_LOCKED_UNTIL = 8


def month_start(day: date) -> date:
    return day.replace(day=1)


def following_month_start(day: date) -> date:
    first = month_start(day)
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def in_same_month(day: date, month: date) -> bool:
    return (day.year, day.month) == (month.year, month.month)


class BusinessCalendar:
    def __init__(self, clock: Clock, timezone: str) -> None:
        self._clock = clock
        self.timezone = ZoneInfo(timezone)

    @property
    def clock(self) -> Clock:
        return self._clock

    def now(self) -> datetime:
        """The current instant in UTC (what gets stored)."""
        return self._clock.now().astimezone(UTC)

    def local_now(self) -> datetime:
        return self._clock.now().astimezone(self.timezone)

    def today(self) -> date:
        return self.local_now().date()

    def current_month(self) -> date:
        return month_start(self.today())

    def next_month(self) -> date:
        return following_month_start(self.today())

    def lock_instant(self, care_date: date) -> datetime:
        """Monday 23:59:59 business time of the care date's ISO week (Monday to Sunday), as a UTC instant."""
        local = datetime.combine(week_monday(care_date), LOCK_TIME_OF_DAY, tzinfo=self.timezone)
        return local.astimezone(UTC)

    def is_locked(self, care_date: date) -> bool:
        # Strictly after: the last second, 23:59:59 itself, is still open.
        return self.now() > self.lock_instant(care_date)

    def locked_until_date(self) -> date:
        """The last date that is already locked: the Sunday ending the latest week whose Monday has passed."""
        monday = week_monday(self.today())
        if self.is_locked(monday):
            return monday + timedelta(days=6)
        return monday - timedelta(days=1)

    def locked_past_date(self) -> date:
        return self.locked_until_date() + timedelta(days=OPEN_DAYS_AFTER_LOCKED_UNTIL)
