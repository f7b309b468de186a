"""`cap-portal invitations`: the invitations' operator commands.

- ``remind``: the Tuesday/Friday invite reminders now, as the job asks for them: families with no provider
  in the programme who never invited one get "invite your provider" (email, and a text to a valid number),
  once per family and day. ``--follow`` shows a progress bar until the worker has sent or failed the run's
  messages; exit status 1 when some of them failed.
"""

from __future__ import annotations

import sys

import click

from domain.invitations.reminders import InviteReminderRun, send_invite_reminders
from domain.notifications.batches import BatchProgress
from entrypoints.cli.messages import batch_json, follow_batch
from entrypoints.cli.payments import _emit, _run
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.reminder_runs import reminder_run_json
from entrypoints.settings import Settings, load_settings


@click.group()
def invitations() -> None:
    """Invitations between families and providers."""


def _settings() -> Settings:
    settings = load_settings()
    settings.require_database_url()
    return settings


@invitations.command()
@click.option("--follow", is_flag=True, help="A progress bar until the run's messages are sent or failed.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def remind(follow: bool, as_json: bool) -> None:
    """Ask for today's "invite your provider" reminders now, as Tuesday's and Friday's job does."""
    settings = _settings()

    async def work(context: JobContext) -> tuple[InviteReminderRun, BatchProgress | None]:
        run = await send_invite_reminders(context.invitations_unit_of_work(), context.calendar, context.rules)
        followed = None
        if follow and run.batch_id is not None:
            followed = await follow_batch(context.notifications_unit_of_work(), run.batch_id)
        return run, followed

    run, followed = _run(settings, work)
    data = reminder_run_json(run, counts=False) | {
        "batch": None if followed is None else batch_json(followed)
    }
    _emit(as_json, data, _report(run, followed))
    sys.exit(1 if followed is not None and followed.counts.failed else 0)


def _report(run: InviteReminderRun, followed: BatchProgress | None) -> str:
    if run.stopped:
        return f"Invite reminders ({run.day:%Y-%m-%d}): none, the programme has ended."
    lines = [
        f"Invite reminders ({run.day:%Y-%m-%d})",
        f"  reminded now: {len(run.reminded)}",
        f"  already reminded today: {len(run.already_reminded)}",
        f"  no email or textable number: {len(run.unreachable)}",
    ]
    if run.batch_id is not None:
        lines.append(f"  batch {run.batch_id}: cap-portal messages batch {run.batch_id} --follow")
    if followed is not None:
        c = followed.counts
        lines.append(f"  sent: {c.sent}, failed: {c.failed}, pending: {c.pending}")
    return "\n".join(lines)
