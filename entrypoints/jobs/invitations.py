"""The invitations' jobs: Tuesday's and Friday's invite reminders (domain/invitations/reminders.py)."""

from __future__ import annotations

from typing import Any

from domain.invitations.reminders import SEND_INVITE_REMINDERS_JOB, send_invite_reminders
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import job_context
from entrypoints.jobs.reminder_runs import reminder_run_json

SEND_INVITE_REMINDERS = SEND_INVITE_REMINDERS_JOB
# Tuesday and Friday 08:00 in BUSINESS_TIMEZONE (upstream: 15:00 UTC on both days).
INVITE_REMINDERS_CRON = "0 8 * * 2,5"


@job_manager.job(name=SEND_INVITE_REMINDERS, cron=INVITE_REMINDERS_CRON, max_retries=3)
async def send_invite_reminders_job() -> dict[str, Any]:
    """Families with no provider in the programme, who never invited one: "invite your provider"."""
    context = job_context()
    run = await send_invite_reminders(context.invitations_unit_of_work(), context.calendar, context.rules)
    return reminder_run_json(run, counts=True)
