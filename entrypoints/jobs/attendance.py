"""Attendance's jobs: Monday's records for last week, and the Monday/Friday/Sunday reminders (system
schedules; domain/attendance/reminders.py says who is reminded).

The records are idempotent by the database's unique (child, provider, week), so a retried job or a
repeated tick creates nothing twice; ``cap-portal attendance create --week`` runs the same use case.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.attendance.creation import AttendanceRunSummary, create_attendance_records
from domain.attendance.reminders import SEND_ATTENDANCE_REMINDERS_JOB, send_attendance_reminders
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import job_context
from entrypoints.jobs.reminder_runs import reminder_run_json

CREATE_WEEKLY_RECORDS = "attendance.create_weekly_records"
# Monday 01:00 in BUSINESS_TIMEZONE (upstream: 08:00 UTC), once last week is over everywhere it is paid.
CREATE_WEEKLY_RECORDS_CRON = "0 1 * * 1"


@job_manager.job(
    name=CREATE_WEEKLY_RECORDS,
    cron=CREATE_WEEKLY_RECORDS_CRON,
    max_retries=5,
    time_limit=timedelta(minutes=30),  # one statement for the reads, one for the inserts
)
async def create_weekly_attendance() -> dict[str, Any]:
    """Last week's attendance record for every pair that needs one (safe to run again)."""
    context = job_context()
    summary = await create_attendance_records(
        context.attendance_unit_of_work(), context.calendar, context.rules
    )
    return attendance_run_json(summary)


def attendance_run_json(summary: AttendanceRunSummary) -> dict[str, Any]:
    """The run's summary as the job result (and ``attendance create --json``)."""
    return {
        "week": summary.week.isoformat(),
        "dry_run": summary.dry_run,
        "stopped": summary.stopped,
        "pairs": summary.pairs,
        "eligible": summary.eligible,
        "created": summary.created,
        "already_existed": summary.already_existed,
    }


SEND_REMINDERS = SEND_ATTENDANCE_REMINDERS_JOB
# Monday, Friday and Sunday 08:00 in BUSINESS_TIMEZONE (upstream: 15:00 UTC on those days).
REMINDERS_CRON = "0 8 * * 0,1,5"


@job_manager.job(name=SEND_REMINDERS, cron=REMINDERS_CRON, max_retries=3)
async def send_attendance_reminders_job() -> dict[str, Any]:
    """Families and providers with attendance due: "confirm last week's attendance", once per person."""
    context = job_context()
    run = await send_attendance_reminders(context.attendance_unit_of_work(), context.calendar, context.rules)
    return reminder_run_json(run, counts=True)
