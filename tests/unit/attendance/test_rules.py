"""Attendance's rules without infrastructure: which pairs get a record, the weeks in business time
(daylight saving included), the cutoff, the payment block with the providers' one-week grace, and the
centers' monthly attestation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.attendance.model import AttendanceRecord, DaysEntered, DaysOutOfRange, SideEntry
from domain.attendance.rules import (
    PairCandidate,
    due_from_provider,
    needs_record,
    overdue_weeks,
)
from domain.attendance.weeks import (
    center_month_over,
    communications_stopped,
    creation_stopped,
    last_week,
    week_instants,
)
from domain.programme.business_time import BusinessCalendar
from domain.programme.providers import ProviderType
from domain.programme.statuses import ApplicationStatus
from tests.fakes import FixedClock

APPROVED = ApplicationStatus.APPROVED
ENTERED = SideEntry(full_days=3, half_days=1, entered_at=datetime(2026, 11, 30, tzinfo=UTC))


def candidate(**fields: object) -> PairCandidate:
    pair = PairCandidate("c1", "p1", APPROVED, True, APPROVED, True, ProviderType.FAMILY_FRIEND_NEIGHBOUR, 1)
    return replace(pair, **fields)  # type: ignore[arg-type]


def record(week: date, **fields: object) -> AttendanceRecord:
    base = AttendanceRecord("r", week, "c1", "p1", ProviderType.LICENSED_HOME_BASED)
    return replace(base, **fields)  # type: ignore[arg-type]


# --- which pairs get a record --------------------------------------------------------------------------


def test_a_non_center_with_a_paid_care_day_gets_a_record() -> None:
    assert needs_record(candidate())


def test_a_non_center_without_a_paid_care_day_that_week_gets_none() -> None:
    assert not needs_record(candidate(paid_care_days=0))
    assert not needs_record(candidate(provider_type=ProviderType.LICENSED_HOME_BASED, paid_care_days=0))


def test_a_center_always_gets_a_record() -> None:
    assert needs_record(candidate(provider_type=ProviderType.CENTER, paid_care_days=0))


@pytest.mark.parametrize(
    "fields",
    [
        {"child_status": ApplicationStatus.PENDING},
        {"provider_status": ApplicationStatus.HOLD},
        {"child_payment_enabled": False},
        {"provider_payment_enabled": False},
    ],
)
def test_both_must_be_approved_and_payment_enabled(fields: dict[str, object]) -> None:
    assert not needs_record(candidate(**fields))
    assert not needs_record(candidate(provider_type=ProviderType.CENTER, **fields))


# --- weeks in business time ----------------------------------------------------------------------------


def test_last_week_is_the_week_before_todays() -> None:
    assert last_week(date(2026, 11, 30)) == date(2026, 11, 23)  # a Monday
    assert last_week(date(2026, 12, 6)) == date(2026, 11, 23)  # the Sunday after
    assert last_week(date(2026, 12, 7)) == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # DST ends Sunday 1 November 2026: Monday 01:00 MST is 08:00 UTC.
        (datetime(2026, 11, 2, 8, 0, tzinfo=UTC), date(2026, 10, 26)),
        # Sunday 23:30 MST is already Monday in UTC, still Sunday in Denver.
        (datetime(2026, 11, 2, 6, 30, tzinfo=UTC), date(2026, 10, 19)),
        # DST starts Sunday 8 March 2026: Monday 01:00 MDT is 07:00 UTC.
        (datetime(2026, 3, 9, 7, 0, tzinfo=UTC), date(2026, 3, 2)),
        (datetime(2026, 3, 9, 5, 59, tzinfo=UTC), date(2026, 2, 23)),  # Sunday 23:59 MDT
    ],
)
def test_the_week_turns_at_local_midnight_around_daylight_saving(instant: datetime, expected: date) -> None:
    calendar = BusinessCalendar(FixedClock(instant), "America/Denver")
    assert last_week(calendar.today()) == expected


def test_a_week_with_a_daylight_saving_change_is_not_168_hours() -> None:
    fall_start, fall_end = week_instants(date(2026, 10, 26), "America/Denver")
    assert fall_start == datetime(2026, 10, 26, 6, 0, tzinfo=UTC)  # MDT
    assert fall_end - fall_start == timedelta(hours=169)
    spring_start, spring_end = week_instants(date(2026, 3, 2), "America/Denver")
    assert spring_end == datetime(2026, 3, 9, 6, 0, tzinfo=UTC)  # MDT
    assert spring_end - spring_start == timedelta(hours=167)


# --- the cutoff ----------------------------------------------------------------------------------------

CUTOFF = date(2026, 7, 7)


def test_the_first_week_of_july_is_still_recorded_then_creation_stops() -> None:
    assert not creation_stopped(date(2026, 6, 29), CUTOFF)  # recorded Monday 6 July
    assert creation_stopped(date(2026, 7, 6), CUTOFF)  # recorded Monday 13 July
    assert not creation_stopped(date(2030, 1, 7), None)


def test_communications_stop_on_the_cutoff() -> None:
    assert not communications_stopped(date(2026, 7, 6), CUTOFF)
    assert communications_stopped(date(2026, 7, 7), CUTOFF)
    assert not communications_stopped(date(2030, 1, 1), None)


# --- the payment block ---------------------------------------------------------------------------------

TODAY = date(2026, 12, 2)  # Wednesday; last week is 23 November
LAST_WEEK, TWO_WEEKS_AGO = date(2026, 11, 23), date(2026, 11, 16)


def test_a_family_side_due_blocks_at_once_even_for_last_week() -> None:
    assert overdue_weeks([record(LAST_WEEK, provider=ENTERED)], TODAY) == {("c1", "p1"): [LAST_WEEK]}


def test_the_provider_side_has_one_week_of_grace() -> None:
    assert overdue_weeks([record(LAST_WEEK, family=ENTERED)], TODAY) == {}
    assert overdue_weeks([record(TWO_WEEKS_AGO, family=ENTERED)], TODAY) == {("c1", "p1"): [TWO_WEEKS_AGO]}


def test_a_centers_provider_side_never_blocks() -> None:
    center = {"provider_type": ProviderType.CENTER, "family": ENTERED}
    assert overdue_weeks([record(date(2026, 9, 7), **center)], TODAY) == {}
    assert overdue_weeks([record(date(2026, 9, 7), provider_type=ProviderType.CENTER)], TODAY) != {}


def test_entered_records_do_not_block_and_weeks_are_listed_per_pair_in_order() -> None:
    records = [
        record(LAST_WEEK),
        record(TWO_WEEKS_AGO),
        record(LAST_WEEK, family=ENTERED, provider=ENTERED),
        record(TWO_WEEKS_AGO, child_id="c2", family=ENTERED, provider=ENTERED),
    ]
    assert overdue_weeks(records, TODAY) == {("c1", "p1"): [TWO_WEEKS_AGO, LAST_WEEK]}


# --- centers attest monthly ----------------------------------------------------------------------------


def test_a_center_is_asked_once_the_records_month_is_over() -> None:
    november = record(date(2026, 11, 23), provider_type=ProviderType.CENTER)
    assert not center_month_over(november.week, date(2026, 11, 30))
    assert not due_from_provider(november, date(2026, 11, 30))
    assert due_from_provider(november, date(2026, 12, 1))
    assert not due_from_provider(replace(november, provider=ENTERED), date(2026, 12, 1))


def test_other_providers_are_asked_at_once() -> None:
    assert due_from_provider(record(date(2026, 11, 23)), date(2026, 11, 30))


# --- entries -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("full", "half"), [(-1, 0), (0, -1), (8, 0), (0, 8)])
def test_days_are_each_between_0_and_7(full: int, half: int) -> None:
    with pytest.raises(DaysOutOfRange):
        DaysEntered("r", full, half)
    DaysEntered("r", 7, 7)
    DaysEntered("r", 0, 0)
