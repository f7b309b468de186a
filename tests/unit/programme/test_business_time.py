"""Business today, months and the weekly lock, in Denver time, across month ends and DST changes.

Instants are written in UTC by hand (MST is UTC-7, MDT is UTC-6) so the tests do not trust the code's
own timezone arithmetic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.programme.business_time import BusinessCalendar, following_month_start, week_monday
from domain.programme.config import ProgrammeRules
from tests.fakes import FixedClock
from tests.fields import RulesFields


def calendar_at(instant: datetime) -> BusinessCalendar:
    return BusinessCalendar(FixedClock(instant), "America/Denver")


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_business_today_is_denver_date_not_utc_date() -> None:
    # 20:00 MST on Monday 13 January is already Tuesday in UTC.
    assert calendar_at(utc(2025, 1, 14, 3, 0)).today() == date(2025, 1, 13)


@pytest.mark.parametrize(
    ("instant", "current", "following"),
    [
        (utc(2025, 2, 1, 6, 59, 59), date(2025, 1, 1), date(2025, 2, 1)),  # Jan 31 23:59:59 MST
        (utc(2025, 2, 1, 7, 0, 0), date(2025, 2, 1), date(2025, 3, 1)),  # Feb 1 00:00:00 MST
        (utc(2025, 12, 31, 12, 0), date(2025, 12, 1), date(2026, 1, 1)),  # year end
        (utc(2026, 7, 1, 5, 59, 59), date(2026, 6, 1), date(2026, 7, 1)),  # Jun 30 23:59:59 MDT
        (utc(2026, 7, 1, 6, 0, 0), date(2026, 7, 1), date(2026, 8, 1)),
    ],
)
def test_current_and_next_business_month(instant: datetime, current: date, following: date) -> None:
    calendar = calendar_at(instant)
    assert calendar.current_month() == current
    assert calendar.next_month() == following


def test_month_and_week_helpers() -> None:
    assert following_month_start(date(2025, 12, 31)) == date(2026, 1, 1)
    assert following_month_start(date(2025, 1, 31)) == date(2025, 2, 1)
    assert week_monday(date(2025, 1, 19)) == date(2025, 1, 13)  # Sunday belongs to the week before
    assert week_monday(date(2025, 1, 13)) == date(2025, 1, 13)


@pytest.mark.parametrize(
    ("care_date", "lock"),
    [
        (date(2025, 1, 15), utc(2025, 1, 14, 6, 59, 59)),  # ordinary MST week
        (date(2025, 1, 19), utc(2025, 1, 14, 6, 59, 59)),  # its Sunday
        # March 2026: clocks go forward on Sunday the 8th, which still belongs to the MST week of the 2nd.
        (date(2026, 3, 8), utc(2026, 3, 3, 6, 59, 59)),
        (date(2026, 3, 9), utc(2026, 3, 10, 5, 59, 59)),  # first MDT Monday
        (date(2026, 3, 15), utc(2026, 3, 10, 5, 59, 59)),
        # November 2026: clocks go back on Sunday the 1st, which belongs to the MDT week of 26 October.
        (date(2026, 11, 1), utc(2026, 10, 27, 5, 59, 59)),
        (date(2026, 11, 2), utc(2026, 11, 3, 6, 59, 59)),  # first MST Monday
        (date(2026, 11, 8), utc(2026, 11, 3, 6, 59, 59)),
    ],
)
def test_lock_instant_is_monday_235959_denver_of_the_iso_week(care_date: date, lock: datetime) -> None:
    assert calendar_at(lock).lock_instant(care_date) == lock


@pytest.mark.parametrize(
    ("care_date", "last_open_second"),
    [
        (date(2025, 1, 15), utc(2025, 1, 14, 6, 59, 58)),
        (date(2026, 3, 11), utc(2026, 3, 10, 5, 59, 58)),  # DST starts the Sunday before
        (date(2026, 3, 5), utc(2026, 3, 3, 6, 59, 58)),  # DST starts the Sunday after
        (date(2026, 11, 4), utc(2026, 11, 3, 6, 59, 58)),  # DST ended the Sunday before
        (date(2026, 10, 28), utc(2026, 10, 27, 5, 59, 58)),  # DST ends the Sunday after
    ],
)
def test_lock_boundary_one_second_either_side(care_date: date, last_open_second: datetime) -> None:
    assert not calendar_at(last_open_second).is_locked(care_date)  # Monday 23:59:58
    assert not calendar_at(last_open_second + timedelta(seconds=1)).is_locked(care_date)  # 23:59:59 itself
    assert calendar_at(last_open_second + timedelta(seconds=2)).is_locked(care_date)  # Tuesday 00:00:00


@pytest.mark.parametrize(
    ("instant", "until", "past"),
    [
        (utc(2025, 1, 15, 17, 0), date(2025, 1, 19), date(2025, 1, 27)),  # Wednesday: this week locked
        (utc(2025, 1, 13, 17, 0), date(2025, 1, 12), date(2025, 1, 20)),  # Monday morning: this week open
        (utc(2025, 1, 14, 3, 0), date(2025, 1, 12), date(2025, 1, 20)),  # Monday evening (Tuesday in UTC)
        (utc(2025, 1, 14, 6, 59, 59), date(2025, 1, 12), date(2025, 1, 20)),  # Monday 23:59:59
        (utc(2025, 1, 14, 7, 0, 0), date(2025, 1, 19), date(2025, 1, 27)),  # Tuesday 00:00:00
        (utc(2026, 3, 10, 5, 59, 58), date(2026, 3, 8), date(2026, 3, 16)),  # first MDT Monday 23:59:58
        (utc(2026, 3, 10, 6, 0, 0), date(2026, 3, 15), date(2026, 3, 23)),
        (utc(2026, 11, 3, 6, 59, 58), date(2026, 11, 1), date(2026, 11, 9)),  # first MST Monday 23:59:58
        (utc(2026, 11, 3, 7, 0, 0), date(2026, 11, 8), date(2026, 11, 16)),
    ],
)
def test_locked_until_and_locked_past_dates(instant: datetime, until: date, past: date) -> None:
    calendar = calendar_at(instant)
    assert calendar.locked_until_date() == until
    # One open week between them: the frontend greys out everything outside it.
    assert calendar.locked_past_date() == past


def test_now_is_utc_even_if_the_clock_answers_in_another_zone() -> None:
    instant = datetime(2025, 1, 15, 10, 0, tzinfo=ZoneInfo("America/Denver"))
    assert calendar_at(instant).now() == utc(2025, 1, 15, 17, 0)
    assert calendar_at(instant).now().tzinfo is UTC


def test_rules_default_to_the_programme_constants() -> None:
    rules = ProgrammeRules()
    assert (rules.max_children_per_provider, rules.max_allocation_cents) == (2, 140_000)
    assert rules.program_end_date is None
    assert rules.business_timezone == "America/Denver"


@pytest.mark.parametrize(
    "bad",
    [{"business_timezone": "Mars/Olympus"}, {"max_children_per_provider": 0}, {"max_allocation_cents": 0}],
)
def test_rules_refuse_nonsense(bad: RulesFields) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is for the operator, not the test
        ProgrammeRules(**bad)


def test_program_end_date_stops_months_starting_on_or_after_it() -> None:
    rules = ProgrammeRules(program_end_date=date(2026, 7, 1))
    assert rules.allows_allocations_for(date(2026, 6, 1))
    assert not rules.allows_allocations_for(date(2026, 7, 1))
    mid_month = ProgrammeRules(program_end_date=date(2026, 6, 15))
    assert mid_month.allows_allocations_for(date(2026, 6, 1))
    assert not mid_month.allows_allocations_for(date(2026, 7, 1))
