"""`cap-portal attendance remind [--json]`: today's attendance reminders by hand (the job's use case).

`cap-portal attendance create [--week YYYY-MM-DD] [--dry-run] [--json]`: a week's attendance records by
hand — the Monday job's own use case (``attendance.create_weekly_records``), safe to run again: a record
that exists is never made twice. Without ``--week``, last week (business time). Exit status: 0, or 2 for
a week that is not a Monday or has not ended.
"""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from domain.attendance.creation import AttendanceRunSummary, create_attendance_records
from domain.attendance.model import AttendanceWeekNotAllowed
from domain.attendance.reminders import AttendanceReminderRun, send_attendance_reminders
from entrypoints.cli.payments import _emit, _run
from entrypoints.jobs.attendance import attendance_run_json
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.reminder_runs import reminder_run_json
from entrypoints.settings import load_settings


def parse_week(_ctx: click.Context | None, _param: click.Parameter | None, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        week = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        week = None
    if week is None:
        raise click.BadParameter(f"expected YYYY-MM-DD (a Monday, e.g. 2026-11-23), got {text!r}")
    if week.weekday() != 0:
        raise click.BadParameter(f"{text} is a {week:%A}; a week is named by its Monday")
    return week


@click.group()
def attendance() -> None:
    """Weekly attendance records and reminders."""


@attendance.command()
@click.option("--week", callback=parse_week, help="The week's Monday, YYYY-MM-DD (default: last week).")
@click.option("--dry-run", is_flag=True, help="Apply every rule and the inserts, then roll back.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def create(week: date | None, dry_run: bool, as_json: bool) -> None:
    """Create the week's attendance records for every pair that needs one (safe to run again)."""
    settings = load_settings()
    settings.require_database_url()

    async def work(context: JobContext) -> AttendanceRunSummary:
        return await create_attendance_records(
            context.attendance_unit_of_work(), context.calendar, context.rules, week=week, dry_run=dry_run
        )

    try:
        summary = _run(settings, work)
    except AttendanceWeekNotAllowed as refused:
        click.echo(f"cap-portal: {refused.message}", err=True)
        sys.exit(2)
    _emit(as_json, attendance_run_json(summary), _report(summary))


def _report(summary: AttendanceRunSummary) -> str:
    dry = " (dry run: nothing was written)" if summary.dry_run else ""
    heading = f"Attendance for the week of {summary.week:%Y-%m-%d}{dry}"
    if summary.stopped:
        return f"{heading}: none, on or after ATTENDANCE_CUTOFF_DATE."
    return "\n".join(
        [
            heading,
            f"  linked pairs: {summary.pairs}",
            f"  needing a record: {summary.eligible}",
            f"  created: {summary.created}",
            f"  already there: {summary.already_existed}",
        ]
    )


@attendance.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def remind(as_json: bool) -> None:
    """Ask for today's attendance reminders now, as the Monday/Friday/Sunday job does (once a day)."""
    settings = load_settings()
    settings.require_database_url()
    settings.require_redis_url()  # the messages are sent by jobs

    async def work(context: JobContext) -> AttendanceReminderRun:
        return await send_attendance_reminders(
            context.attendance_unit_of_work(), context.calendar, context.rules
        )

    run = _run(settings, work)
    result = reminder_run_json(run, counts=False)
    if as_json:
        click.echo(json.dumps(result))
    elif run.stopped:
        click.echo(f"Attendance reminders ({run.day:%Y-%m-%d}): none, on or after ATTENDANCE_CUTOFF_DATE.")
    else:
        click.echo(
            f"Attendance reminders ({run.day:%Y-%m-%d})\n  reminded now: {len(run.reminded)}\n"
            f"  already reminded today: {len(run.already_reminded)}\n  unreachable: {len(run.unreachable)}"
        )


COMMANDS = [attendance]
