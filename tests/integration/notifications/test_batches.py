"""Batches on real Postgres: a bulk run's batch and messages are written in its transaction (nothing on
rollback), counted from the messages as the job sends them, and followed by `cap-portal messages batch`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.notifications.unit_of_work import SqlAlchemyNotificationsUnitOfWork
from domain.notifications.batches import BatchCounts, BatchProgress, BatchStatus, NewBatch, notify_batch
from domain.notifications.model import About, Message, MessageKind, Recipient
from domain.programme.statuses import Language
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.notifications import send_message
from tests.fake_smtp import FakeSmtp
from tests.integration.programme.conftest import UowFactory

RUN = NewBatch("Invitation reminder 2026-12-03", "invite_reminder", {"run": "2026-12-03"})


def _reminder(address: str) -> Message:
    return Message(
        MessageKind.PORTAL_INVITATION,
        Recipient(address, Language.ENGLISH, "Pat"),
        "invite_reminder:2026-12-03",
        About("family", address),
        {"role": "family", "first_name": "Pat", "sign_in_path": "/auth/sign-in"},
    )


async def _run(new_uow: UowFactory, *addresses: str) -> int:
    async with new_uow() as uow:
        queued = await notify_batch(uow.notifier, RUN, [_reminder(a) for a in addresses])
        await uow.commit()
    return queued.batch_id


async def _progress(context: JobContext, batch_id: int) -> BatchProgress:
    async with SqlAlchemyNotificationsUnitOfWork(context.session_factory) as uow:
        progress = await uow.messages.batch_progress(batch_id)
    assert progress is not None
    return progress


async def _message_ids(engine: AsyncEngine, batch_id: int) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT id FROM messages WHERE batch_id = :b ORDER BY id"), {"b": batch_id}
        )
        return [row[0] for row in rows]


async def test_a_batch_is_counted_from_its_messages_as_they_are_sent(
    new_uow: UowFactory, engine: AsyncEngine, context: JobContext, smtp: FakeSmtp
) -> None:
    batch_id = await _run(new_uow, "a@example.org", "b@example.org", "c@example.org")
    before = await _progress(context, batch_id)
    assert (before.counts.total, before.counts.pending, before.status) == (3, 3, BatchStatus.PENDING)
    assert (before.batch.name, before.batch.kind, before.batch.data) == (RUN.name, RUN.kind, RUN.data)

    first, second, third = await _message_ids(engine, batch_id)
    await send_message(first)
    middle = await _progress(context, batch_id)
    assert (middle.counts.sent, middle.status, middle.completed_at) == (1, BatchStatus.PROCESSING, None)
    await send_message(second)
    smtp.refuse_with = "550 5.1.1 no such mailbox"
    await send_message(third)
    after = await _progress(context, batch_id)
    assert after.counts == BatchCounts(3, 0, 2, 1, 0, context.clock.now())
    assert (after.status, after.completed_at) == (BatchStatus.PARTIALLY_FAILED, context.clock.now())

    # The same run again: its messages were asked for already; the new batch counts none of them.
    again = await _run(new_uow, "a@example.org", "b@example.org")
    assert (await _progress(context, again)).counts.total == 0


async def test_a_rolled_back_run_leaves_no_batch(new_uow: UowFactory, engine: AsyncEngine) -> None:
    async with new_uow() as uow:
        await notify_batch(uow.notifier, RUN, [_reminder("a@example.org")])
    async with engine.connect() as connection:
        counts = await connection.execute(
            text("SELECT (SELECT count(*) FROM message_batches), (SELECT count(*) FROM messages)")
        )
        assert tuple(counts.one()) == (0, 0)


def _command(database_url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "messages", "batch", *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_the_command_follows_a_batch_until_nothing_is_pending(
    new_uow: UowFactory, engine: AsyncEngine, context: JobContext, database_url: str, smtp: FakeSmtp
) -> None:
    batch_id = await _run(new_uow, "a@example.org", "b@example.org")
    following = _command(database_url, str(batch_id), "--follow", "--json")
    assert following.stderr is not None
    # The progress bar's label is out (it has read the batch) before anything is sent, so the command
    # can only end by seeing the job's work. (Off a terminal, click draws the label and no bar.)
    assert "Batch" in following.stderr.read(5 + len(str(batch_id)) + 1)
    for message_id in await _message_ids(engine, batch_id):
        await send_message(message_id)
    out, err = following.communicate(timeout=60)
    assert following.returncode == 0, err
    assert json.loads(out) == {
        "id": batch_id,
        "name": RUN.name,
        "kind": "invite_reminder",
        "status": "completed",
        "total": 2,
        "pending": 0,
        "sent": 2,
        "failed": 0,
        "retrying": 0,
    }

    smtp.refuse_with = "550 5.1.1 no such mailbox"
    failing = await _run(new_uow, "c@example.org")
    [message_id] = await _message_ids(engine, failing)
    await send_message(message_id)
    shown = _command(database_url, str(failing))
    out, _ = shown.communicate(timeout=60)
    assert shown.returncode == 1
    assert f"Batch {failing} ({RUN.name}): failed" in out
    assert "total: 1  sent: 0  failed: 1  pending: 0" in out

    unknown = _command(database_url, "999999")
    _, err = unknown.communicate(timeout=60)
    assert (unknown.returncode, err) == (2, "cap-portal messages: no batch 999999\n")
