"""`cap-portal payments remind`: the Friday payment reminders by hand (the job's own use case).

Families with a payable provider who have paid nothing of next week yet get "pay your provider by
Monday", once per family and week (a second run the same week asks for nothing new). The run's messages
form one batch; ``--follow`` shows a progress bar until the worker has sent or failed all of them. Exit
status: 0, or 1 when some of the followed batch's messages failed.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from domain.money.use_cases.reminders import ReminderRunSummary, send_payment_reminders
from domain.notifications.batches import BatchProgress
from entrypoints.cli.messages import batch_json, follow_batch
from entrypoints.cli.payments import _emit, _run, _settings
from entrypoints.jobs.context import JobContext


@click.command()
@click.option("--follow", is_flag=True, help="A progress bar until the run's messages are sent or failed.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def remind(follow: bool, as_json: bool) -> None:
    """Ask for next week's "pay your provider by Monday" reminders now, as Friday's job does."""
    settings = _settings()

    async def work(context: JobContext) -> tuple[ReminderRunSummary, BatchProgress | None]:
        summary = await send_payment_reminders(context.money_unit_of_work(), context.calendar, context.rules)
        followed = None
        if follow and summary.batch_id is not None:
            followed = await follow_batch(context.notifications_unit_of_work(), summary.batch_id)
        return summary, followed

    summary, followed = _run(settings, work)
    _emit(as_json, _json(summary, followed), _report(summary, followed))
    sys.exit(1 if followed is not None and followed.counts.failed else 0)


def _json(summary: ReminderRunSummary, followed: BatchProgress | None) -> dict[str, Any]:
    return {
        "week_start": summary.week.monday.isoformat(),
        "stopped": summary.stopped,
        "reminded": summary.reminded,
        "already_reminded": summary.already_reminded,
        "batch_id": summary.batch_id,
        "batch": None if followed is None else batch_json(followed),
    }


def _report(summary: ReminderRunSummary, followed: BatchProgress | None) -> str:
    week = f"week of {summary.week.monday:%Y-%m-%d}"
    if summary.stopped:
        return f"Payment reminders ({week}): none, the programme has ended."
    lines = [
        f"Payment reminders ({week})",
        f"  reminded now: {len(summary.reminded)}",
        f"  already reminded this week: {len(summary.already_reminded)}",
    ]
    if summary.batch_id is not None:
        lines.append(f"  batch {summary.batch_id}: cap-portal messages batch {summary.batch_id} --follow")
    if followed is not None:
        c = followed.counts
        lines.append(f"  sent: {c.sent}, failed: {c.failed}, pending: {c.pending}")
    return "\n".join(lines)
