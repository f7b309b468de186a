"""`cap-portal messages batch ID [--follow] [--json]`: a bulk run's messages counted by status.

With --follow, a progress bar (on stderr) advances as the worker sends or fails the batch's messages,
until none is pending; the command then prints the counts. A bulk run started by hand (the reminder
commands) follows its batch the same way (``follow_batch``). Exit status: 0 when nothing failed, 1
when some messages failed, 2 for an unknown batch.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.notifications.unit_of_work import SqlAlchemyNotificationsUnitOfWork
from domain.notifications.batches import BatchProgress, MessageBatchNotFound, get_batch
from entrypoints.settings import load_settings

POLL_SECONDS = 0.5


@click.group()
def messages() -> None:
    """Messages: bulk runs (batches) and their progress."""


@messages.command("batch")
@click.argument("batch_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--follow", is_flag=True, help="A progress bar until no message of it is pending.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as one JSON object.")
def batch(batch_id: int, follow: bool, as_json: bool) -> None:
    """A batch's counts (total, pending, sent, failed) and status."""
    settings = load_settings()
    engine = build_engine(
        settings.require_database_url(),
        pool_size=1,
        connect_timeout=settings.database_connect_timeout_seconds,
    )

    async def run() -> BatchProgress:
        try:
            uow = SqlAlchemyNotificationsUnitOfWork(build_session_factory(engine))
            if follow:
                return await follow_batch(uow, batch_id)
            return await get_batch(uow, batch_id)
        finally:
            await engine.dispose()

    try:
        progress = asyncio.run(run())
    except MessageBatchNotFound:
        click.echo(f"cap-portal messages: no batch {batch_id}", err=True)
        sys.exit(2)
    click.echo(json.dumps(batch_json(progress)) if as_json else report(progress))
    sys.exit(1 if progress.counts.failed else 0)


async def follow_batch(
    uow: SqlAlchemyNotificationsUnitOfWork, batch_id: int, poll_seconds: float = POLL_SECONDS
) -> BatchProgress:
    """Until none of the batch's messages is pending (the worker sends them), with a progress bar."""
    progress = await get_batch(uow, batch_id)
    label = f"Batch {batch_id} ({progress.batch.name})"
    with click.progressbar(length=progress.counts.total, label=label, file=sys.stderr) as bar:
        shown = 0
        while True:
            done = progress.counts.sent + progress.counts.failed
            bar.update(done - shown)
            shown = done
            if progress.done:
                return progress
            await asyncio.sleep(poll_seconds)
            progress = await get_batch(uow, batch_id)


def batch_json(progress: BatchProgress) -> dict[str, Any]:
    counts = progress.counts
    return {
        "id": progress.batch.id,
        "name": progress.batch.name,
        "kind": progress.batch.kind,
        "status": progress.status.value,
        "total": counts.total,
        "pending": counts.pending,
        "sent": counts.sent,
        "failed": counts.failed,
        "retrying": counts.retrying,
    }


def report(progress: BatchProgress) -> str:
    counts = progress.counts
    return (
        f"Batch {progress.batch.id} ({progress.batch.name}): {progress.status.value}\n"
        f"  total: {counts.total}  sent: {counts.sent}  failed: {counts.failed}  pending: {counts.pending}"
        + (f" ({counts.retrying} being retried)" if counts.retrying else "")
    )


COMMANDS = [messages]
