"""Bulk runs as batches, with fakes: the batch's messages name it, a message asked for before keeps its
first batch and is not counted again, a rolled-back run leaves nothing, and the batch's status follows
from its messages' counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.notifications.batches import (
    BatchCounts,
    BatchProgress,
    BatchStatus,
    MessageBatch,
    MessageBatchNotFound,
    NewBatch,
    get_batch,
    notify_batch,
)
from domain.notifications.model import About, Message, MessageKind, MessageStatus, Recipient
from tests.fakes import FakeProgrammeUnitOfWork
from tests.notification_fakes import NOW, FakeNotificationsUnitOfWork, record_of

RUN = NewBatch("Attendance reminder 2026-12-03", "attendance_reminder", {"week": "2026-11-30"})
BATCH = MessageBatch(7, RUN.name, RUN.kind, RUN.data, NOW)


def _reminder(address: str, cause: str = "reminder:2026-12-03") -> Message:
    return Message(MessageKind.PORTAL_INVITATION, Recipient(address), cause, About("family", address))


async def test_a_run_records_its_batch_and_each_message_names_it() -> None:
    uow = FakeProgrammeUnitOfWork()
    async with uow:
        first = await uow.notifier.notify(_reminder("ana@x.org"))
        queued = await notify_batch(uow.notifier, RUN, [_reminder("ana@x.org"), _reminder("luis@x.org")])
        await uow.commit()
    assert (queued.queued, queued.repeated) == (1, 1)
    assert uow.state.batches == {queued.batch_id: RUN}
    by_address = {m.recipient.address: (i, m.batch_id) for i, m in uow.state.messages.values()}
    # Ana's message was asked for before the run: it keeps its record (and no batch); Luis's names the run.
    assert by_address == {
        "ana@x.org": (first.message_id, None),
        "luis@x.org": (by_address["luis@x.org"][0], queued.batch_id),
    }


async def test_a_rolled_back_run_leaves_no_batch_and_no_message() -> None:
    uow = FakeProgrammeUnitOfWork()
    async with uow:
        await notify_batch(uow.notifier, RUN, [_reminder("ana@x.org")])
    assert (uow.state.batches, uow.state.messages) == ({}, {})


@pytest.mark.parametrize(
    ("counts", "status", "done"),
    [
        (BatchCounts(total=0), BatchStatus.COMPLETED, True),
        (BatchCounts(total=3, pending=3), BatchStatus.PENDING, False),
        (BatchCounts(total=3, pending=3, retrying=1), BatchStatus.PROCESSING, False),
        (BatchCounts(total=3, pending=2, sent=1), BatchStatus.PROCESSING, False),
        (BatchCounts(total=3, pending=1, failed=2), BatchStatus.PROCESSING, False),
        (BatchCounts(total=3, sent=3), BatchStatus.COMPLETED, True),
        (BatchCounts(total=3, sent=2, failed=1), BatchStatus.PARTIALLY_FAILED, True),
        (BatchCounts(total=3, failed=3), BatchStatus.FAILED, True),
    ],
)
def test_the_status_follows_from_the_counts(counts: BatchCounts, status: BatchStatus, done: bool) -> None:
    progress = BatchProgress(BATCH, counts)
    assert (progress.status, progress.done) == (status, done)


def test_a_batch_is_complete_when_its_last_message_changed() -> None:
    later = NOW + timedelta(minutes=3)
    assert BatchProgress(BATCH, BatchCounts(total=1, sent=1, last_change=later)).completed_at == later
    assert BatchProgress(BATCH, BatchCounts(total=1, pending=1, last_change=later)).completed_at is None
    assert BatchProgress(BATCH, BatchCounts()).completed_at == NOW


async def test_a_batch_is_counted_from_its_messages() -> None:
    records = [
        record_of(1, _reminder("a@x.org"), batch_id=7, status=MessageStatus.SENT),
        record_of(2, _reminder("b@x.org"), batch_id=7, status=MessageStatus.FAILED, attempts=5),
        record_of(3, _reminder("c@x.org"), batch_id=7, attempts=1),
        record_of(4, _reminder("d@x.org"), batch_id=None, status=MessageStatus.SENT),
    ]
    progress = await get_batch(FakeNotificationsUnitOfWork(*records, batches=(BATCH,)), 7)
    assert progress.counts == BatchCounts(total=3, pending=1, sent=1, failed=1, retrying=1, last_change=NOW)
    assert progress.status is BatchStatus.PROCESSING
    with pytest.raises(MessageBatchNotFound):
        await get_batch(FakeNotificationsUnitOfWork(*records), 7)
