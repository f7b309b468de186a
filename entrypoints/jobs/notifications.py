"""The job that sends one recorded message (asked for in the transaction that recorded it).

Five attempts in all: an outage is retried after 30 s, doubling up to 30 minutes (about a quarter of an
hour of trying). The message's row says how it went (attempts, last error); when the attempts are used up
it is ``failed`` and an operator may resend it (``POST /messages/{id}/resend``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.notifications.delivery import SEND_MESSAGE_JOB, deliver_message
from domain.notifications.model import MAX_ATTEMPTS
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import job_context


@job_manager.job(
    name=SEND_MESSAGE_JOB,
    max_retries=MAX_ATTEMPTS - 1,
    min_backoff=timedelta(seconds=30),
    max_backoff=timedelta(minutes=30),
    time_limit=timedelta(minutes=2),
)
async def send_message(message_id: int) -> dict[str, Any]:
    context = job_context()
    delivery = await deliver_message(
        context.notifications_unit_of_work(),
        context.renderer,
        context.postman,
        context.envelope,
        context.clock,
        message_id,
    )
    return {
        "message_id": delivery.message_id,
        "status": delivery.status.value,
        "attempted": delivery.attempted,
        "attempts": delivery.attempts,
        "error": delivery.error,
    }
