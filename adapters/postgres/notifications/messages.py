"""Message records: the outbox use cases write into (``uow.notifier``) and the store the job reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.postgres.notifications.rows import MessageBatchRow, MessageRow
from domain.notifications.batches import BatchCounts, BatchProgress, MessageBatch, NewBatch
from domain.notifications.delivery import SEND_MESSAGE_JOB
from domain.notifications.model import (
    About,
    Channel,
    Message,
    MessageKind,
    MessageRecord,
    MessageStatus,
    Queued,
)
from domain.notifications.ports import MessageFilter
from domain.ports import TransactionJobs
from domain.programme.statuses import Language


def _record(row: MessageRow) -> MessageRecord:
    return MessageRecord(
        id=row.id,
        channel=Channel(row.channel),
        kind=MessageKind(row.kind),
        recipient=row.recipient,
        recipient_name=row.recipient_name,
        language=Language(row.language),
        data=dict(row.data),
        about=About(row.about_type, row.about_id),
        idempotency_key=row.idempotency_key,
        status=MessageStatus(row.status),
        attempts=row.attempts,
        subject=row.subject,
        provider=row.provider,
        provider_message_id=row.provider_message_id,
        last_error=row.last_error,
        sent_to=tuple(row.sent_to or ()),
        created_at=row.created_at,
        updated_at=row.updated_at,
        sent_at=row.sent_at,
        batch_id=row.batch_id,
    )


class OutboxNotifier:
    """Satisfies ``domain.notifications.ports.Notifier`` inside one open unit of work: the record and the
    job that sends it are written in that transaction (``ON CONFLICT DO NOTHING`` on the idempotency key,
    so a cause that already asked gets its first record back, and no second job)."""

    def __init__(self, session: AsyncSession, jobs: TransactionJobs) -> None:
        self._session = session
        self._jobs = jobs

    async def notify(self, message: Message) -> Queued:
        key = message.idempotency_key
        statement = (
            pg_insert(MessageRow)
            .values(
                channel=message.channel.value,
                kind=message.kind.value,
                recipient=message.recipient.address,
                recipient_name=message.recipient.name,
                language=message.recipient.language.value,
                data=message.data,
                about_type=message.about.type,
                about_id=message.about.id,
                idempotency_key=key,
                status=MessageStatus.PENDING.value,
                batch_id=message.batch_id,
            )
            .on_conflict_do_nothing(index_elements=[MessageRow.idempotency_key])
            .returning(MessageRow.id)
        )
        new_id = (await self._session.execute(statement)).scalar_one_or_none()
        if new_id is not None:
            await self._jobs.enqueue(SEND_MESSAGE_JOB, new_id)
            return Queued(new_id, True)
        existing = await self._session.execute(select(MessageRow.id).where(MessageRow.idempotency_key == key))
        return Queued(existing.scalar_one(), False)

    async def start_batch(self, batch: NewBatch) -> int:
        statement = (
            pg_insert(MessageBatchRow)
            .values(name=batch.name, kind=batch.kind, data=batch.data)
            .returning(MessageBatchRow.id)
        )
        return int((await self._session.execute(statement)).scalar_one())


class PostgresMessages:
    """Satisfies ``domain.notifications.ports.MessageStore``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, message_id: int) -> MessageRecord | None:
        query = (
            select(MessageRow).where(MessageRow.id == message_id).execution_options(populate_existing=True)
        )
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else _record(row)

    async def get_for_update(self, message_id: int) -> MessageRecord | None:
        query = (
            select(MessageRow)
            .where(MessageRow.id == message_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else _record(row)

    async def save(self, record: MessageRecord) -> None:
        await self._session.execute(
            update(MessageRow)
            .where(MessageRow.id == record.id)
            .values(
                status=record.status.value,
                attempts=record.attempts,
                subject=record.subject,
                provider=record.provider,
                provider_message_id=record.provider_message_id,
                last_error=record.last_error,
                sent_to=list(record.sent_to),
                updated_at=record.updated_at,
                sent_at=record.sent_at,
            )
            .execution_options(synchronize_session=False)
        )

    async def list_page(self, where: MessageFilter, *, limit: int, offset: int) -> list[MessageRecord]:
        query = select(MessageRow)
        if where.status is not None:
            query = query.where(MessageRow.status == where.status.value)
        if where.kind is not None:
            query = query.where(MessageRow.kind == where.kind.value)
        if where.about_type is not None:
            query = query.where(MessageRow.about_type == where.about_type)
        if where.about_id is not None:
            query = query.where(MessageRow.about_id == where.about_id)
        if where.batch_id is not None:
            query = query.where(MessageRow.batch_id == where.batch_id)
        if where.channel is not None:
            query = query.where(MessageRow.channel == where.channel.value)
        if where.recipient_contains:
            # autoescape: a typed % or _ is that character, not a LIKE wildcard.
            query = query.where(MessageRow.recipient.icontains(where.recipient_contains, autoescape=True))
        query = query.order_by(MessageRow.id.desc()).limit(limit).offset(offset)
        return [_record(row) for row in (await self._session.execute(query)).scalars()]

    async def batch_progress(self, batch_id: int) -> BatchProgress | None:
        row = await self._session.get(MessageBatchRow, batch_id, populate_existing=True)
        if row is None:
            return None
        status = MessageRow.status

        def counted(condition: Any) -> Any:
            return func.count().filter(condition)

        query = select(
            func.count(),
            counted(status == MessageStatus.PENDING.value),
            counted(status == MessageStatus.SENT.value),
            counted(status == MessageStatus.FAILED.value),
            counted((status == MessageStatus.PENDING.value) & (MessageRow.attempts > 0)),
            func.max(MessageRow.updated_at),
        ).where(MessageRow.batch_id == batch_id)
        total, pending, sent, failed, retrying, last_change = (await self._session.execute(query)).one()
        batch = MessageBatch(row.id, row.name, row.kind, dict(row.data), row.created_at)
        return BatchProgress(batch, BatchCounts(total, pending, sent, failed, retrying, last_change))
