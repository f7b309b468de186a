"""`cap-portal allocations create --month YYYY-MM [--dry-run] [--json]`: the monthly allocation run by hand.

The same use case as the monthly schedule (``programme.create_monthly_allocations``), run as the
system (an admin actor), for the current or the next business month. Each new allocation's event job
is written in its own transaction through the job outbox, exactly as in the worker and the web app.
Exit status: 0 when no child failed, 1 when some did (listed), 2 for a refused month or bad input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date
from typing import Any, NoReturn

import click

from adapters.clock import SystemClock
from domain.programme.actors import Actor
from domain.programme.allocations import check_month_in_window
from domain.programme.business_time import BusinessCalendar
from domain.programme.errors import AllocationMonthNotAllowed
from domain.programme.use_cases.allocations import AllocationRunSummary, create_allocations_for_month
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import JobContext, build_job_context
from entrypoints.jobs.programme import allocation_run_json
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import load_settings


def parse_month(_ctx: click.Context | None, _param: click.Parameter | None, text: str) -> date:
    parts = text.split("-")
    if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2 and text.replace("-", "").isdigit():
        year, month = int(parts[0]), int(parts[1])
        if 1 <= month <= 12:
            return date(year, month, 1)
    raise click.BadParameter(f"expected YYYY-MM (e.g. 2025-02), got {text!r}")


@click.group()
def allocations() -> None:
    """Monthly allocations."""


@allocations.command()
@click.option("--month", required=True, callback=parse_month, help="The month, YYYY-MM (current or next).")
@click.option("--dry-run", is_flag=True, help="Apply every rule, then roll back: nothing is written.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def create(month: date, dry_run: bool, as_json: bool) -> None:
    """Create the month's allocation for every payment-enabled child (safe to run again)."""
    settings = load_settings()
    settings.require_database_url()  # one line before anything is printed, not after the progress bar
    settings.require_redis_url()
    # Refused before anything starts (no progress bar, no connections); the use case checks again.
    _refuse_outside_window(month, BusinessCalendar(SystemClock(), settings.business_timezone))
    runtime = build_job_runtime(settings, job_manager)
    job_manager.use(runtime.queue)
    try:
        summary = asyncio.run(_run(build_job_context(settings, runtime.queue), month, dry_run))
    except AllocationMonthNotAllowed as exc:  # the business month turned while the command started
        _refuse(month, exc)
    finally:
        runtime.close()
    result = allocation_run_json(summary)
    click.echo(json.dumps(result) if as_json else _report(summary, result))
    sys.exit(1 if summary.failed else 0)


def _refuse_outside_window(month: date, calendar: BusinessCalendar) -> None:
    try:
        check_month_in_window(month, calendar)
    except AllocationMonthNotAllowed as exc:
        _refuse(month, exc)


def _refuse(month: date, exc: AllocationMonthNotAllowed) -> NoReturn:
    click.echo(f"cap-portal: {exc.message} (asked for {month:%Y-%m}).", err=True)
    sys.exit(2)


async def _run(context: JobContext, month: date, dry_run: bool) -> AllocationRunSummary:
    try:
        with click.progressbar(length=0, label=f"Allocations for {month:%Y-%m}", file=sys.stderr) as bar:

            def child_done(done: int, total: int) -> None:
                bar.length = total
                bar.update(1)

            return await create_allocations_for_month(
                context.programme_unit_of_work(),
                context.calendar,
                context.rules,
                Actor.admin(),
                month=month,
                dry_run=dry_run,
                on_child_done=child_done,
            )
    finally:
        await context.close()


def _report(summary: AllocationRunSummary, result: dict[str, Any]) -> str:
    dry = " (dry run: nothing was written)" if summary.dry_run else ""
    heading = f"Allocations for {result['month']}{dry}"
    lines = [heading, f"  created: {result['created']}", f"  skipped: {result['skipped']}"]
    lines += [f"    {code}: {count}" for code, count in sorted(result["skipped_by_reason"].items())]
    lines.append(f"  failed: {len(summary.failed)}")
    lines += [f"    child {f.child_id}: {f.code}: {f.message}" for f in summary.failed]
    return "\n".join(lines)


COMMANDS = [allocations]
