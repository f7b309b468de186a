"""Cron strings read as crontab(5) reads them, whatever APScheduler's own numbering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.jobs.cron import next_tick
from domain.cron import InvalidCron, parse_cron

THURSDAY_MIDNIGHT_DENVER = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 2026-11-26 is a Thursday


@pytest.mark.parametrize(
    ("weekday", "names"),
    [
        ("0", "sun"),
        ("7", "sun"),
        ("1", "mon"),
        ("6", "sat"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("0,3", "sun,wed"),
        ("sun", "sun"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("0-7", "*"),
    ],
)
def test_day_of_week_numbers_follow_crontab(weekday: str, names: str) -> None:
    assert parse_cron(f"0 0 * * {weekday}").day_of_week == names


def test_fields_are_expanded_to_explicit_values() -> None:
    spec = parse_cron("*/15 9-17 1,15 jan-mar *")
    assert (spec.minute, spec.hour, spec.day, spec.month) == (
        "0,15,30,45",
        "9,10,11,12,13,14,15,16,17",
        "1,15",
        "1,2,3",
    )


@pytest.mark.parametrize(
    "cron", ["", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8",
             "5-1 * * * *", "*/0 * * * *", "a * * * *"],
)  # fmt: skip
def test_malformed_crons_are_refused_with_a_clear_error(cron: str) -> None:
    with pytest.raises(InvalidCron, match="cron"):
        parse_cron(cron)


def test_sunday_is_0_and_7_when_the_schedule_runs() -> None:
    # APScheduler's own from_crontab would read 0 as Monday (2026-11-30).
    for weekday in ("0", "7"):
        tick = next_tick(f"0 0 * * {weekday}", "America/Denver", THURSDAY_MIDNIGHT_DENVER)
        assert tick is not None
        assert (tick.isoformat(), tick.strftime("%a")) == ("2026-11-29T00:00:00-07:00", "Sun")


def test_cron_runs_in_the_given_timezone() -> None:
    tick = next_tick("0 8 * * *", "America/Denver", THURSDAY_MIDNIGHT_DENVER)
    assert tick is not None
    assert tick.astimezone(UTC) == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def test_the_next_tick_is_strictly_after() -> None:
    tick = next_tick("* * * * *", "UTC", datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    assert tick == datetime(2026, 1, 1, 0, 1, tzinfo=UTC)


def test_day_of_month_or_day_of_week_as_in_crontab() -> None:
    # "the 1st, or any Monday": crontab ORs the two day fields when both are restricted.
    tick = next_tick("0 0 1 * 1", "UTC", THURSDAY_MIDNIGHT_DENVER)
    assert tick == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 30th, before Tuesday the 1st
