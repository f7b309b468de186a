"""Hand-written fakes for the notifications' ports: the message store and its unit of work, a renderer and
senders that can be told to fail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from domain.audit import AuditEntry
from domain.notifications.batches import BatchCounts, BatchProgress, MessageBatch
from domain.notifications.errors import DeliveryFailed
from domain.notifications.model import Channel, Message, MessageKind, MessageRecord, MessageStatus
from domain.notifications.ports import Email, MessageFilter, Receipt, Rendered, TextMessage
from domain.programme.statuses import Language
from tests.fakes import AskedJob, FakeTransactionJobs

NOW = datetime(2025, 1, 1, 17, 0, tzinfo=UTC)


def record_of(message_id: int, message: Message, **fields: Any) -> MessageRecord:
    record = MessageRecord(
        id=message_id,
        channel=message.channel,
        kind=message.kind,
        recipient=message.recipient.address,
        recipient_name=message.recipient.name,
        language=message.recipient.language,
        data=dict(message.data),
        about=message.about,
        idempotency_key=message.idempotency_key,
        status=MessageStatus.PENDING,
        attempts=0,
        created_at=NOW,
        updated_at=NOW,
    )
    return replace(record, **fields)


class FakeMessageStore:
    def __init__(self, uow: FakeNotificationsUnitOfWork) -> None:
        self._uow = uow

    async def get(self, message_id: int) -> MessageRecord | None:
        return self._uow.records.get(message_id)

    async def get_for_update(self, message_id: int) -> MessageRecord | None:
        return self._uow.records.get(message_id)

    async def save(self, record: MessageRecord) -> None:
        assert self._uow.is_open
        self._uow.records[record.id] = record

    async def list_page(self, where: MessageFilter, *, limit: int, offset: int) -> list[MessageRecord]:
        found = [
            r
            for r in sorted(self._uow.records.values(), key=lambda r: -r.id)
            if (where.status is None or r.status is where.status)
            and (where.kind is None or r.kind is where.kind)
            and (where.batch_id is None or r.batch_id == where.batch_id)
            and (where.channel is None or r.channel is where.channel)
            and (not where.recipient_contains or where.recipient_contains.lower() in r.recipient.lower())
        ]
        return found[offset : offset + limit]

    async def batch_progress(self, batch_id: int) -> BatchProgress | None:
        batch = self._uow.batches.get(batch_id)
        if batch is None:
            return None
        mine = [r for r in self._uow.records.values() if r.batch_id == batch_id]
        statuses = [r.status for r in mine]
        counts = BatchCounts(
            total=len(mine),
            pending=statuses.count(MessageStatus.PENDING),
            sent=statuses.count(MessageStatus.SENT),
            failed=statuses.count(MessageStatus.FAILED),
            retrying=sum(1 for r in mine if r.status is MessageStatus.PENDING and r.attempts > 0),
            last_change=max((r.updated_at for r in mine), default=None),
        )
        return BatchProgress(batch, counts)


class _JobsState:
    def __init__(self) -> None:
        self.jobs: list[AskedJob] = []


class FakeNotificationsUnitOfWork:
    """Records survive only a commit, as in a real transaction."""

    def __init__(self, *records: MessageRecord, batches: tuple[MessageBatch, ...] = ()) -> None:
        self.records: dict[int, MessageRecord] = {r.id: r for r in records}
        self.batches: dict[int, MessageBatch] = {b.id: b for b in batches}
        self._committed = dict(self.records)
        self.state = _JobsState()
        self._committed_jobs: list[Any] = []
        self.is_open = False
        self.commits = 0
        self.messages = FakeMessageStore(self)
        self.jobs = FakeTransactionJobs(self)
        self.audit = FakeNotificationsAudit(self)
        self._ids = iter(range(1000, 10**6))

    def next_id(self) -> int:
        return next(self._ids)

    async def __aenter__(self) -> FakeNotificationsUnitOfWork:
        self.is_open = True
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.rollback()
        self.is_open = False

    async def commit(self) -> None:
        self.commits += 1
        self._committed = dict(self.records)
        self._committed_jobs = list(self.state.jobs)
        self.audit.committed = list(self.audit.entries)

    async def rollback(self) -> None:
        self.records = dict(self._committed)
        self.state.jobs = list(self._committed_jobs)
        self.audit.entries = list(self.audit.committed)


class FakeNotificationsAudit:
    """Satisfies ``domain.audit.AuditLog``: ``committed`` holds what survived a commit."""

    def __init__(self, uow: FakeNotificationsUnitOfWork) -> None:
        self._uow = uow
        self.entries: list[AuditEntry] = []
        self.committed: list[AuditEntry] = []

    async def record(self, entry: AuditEntry) -> None:
        assert self._uow.is_open, "uow.audit used outside `async with uow`"
        self.entries.append(entry)


class FakeRenderer:
    def render(
        self, kind: MessageKind, language: Language, data: dict[str, Any], channel: Channel
    ) -> Rendered:
        text = f"{kind.value}/{language.value}: " + ", ".join(f"{k}={v}" for k, v in sorted(data.items()))
        return Rendered(
            f"Subject of {kind.value}", text, None if channel is Channel.SMS else f"<p>{text}</p>"
        )


class FakeEmailSender:
    """Takes every email, or fails the next ones as told (``fail_next``)."""

    name = "fake-email"

    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.failures: list[DeliveryFailed] = []

    def fail_next(self, times: int = 1, *, permanent: bool = False, message: str = "provider down") -> None:
        self.failures.extend(
            DeliveryFailed(message, permanent=permanent, provider=self.name) for _ in range(times)
        )

    async def send_email(self, email: Email) -> Receipt:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(email)
        return Receipt(self.name, f"fake-{len(self.sent)}")


class FakeSmsSender:
    name = "fake-sms"

    def __init__(self) -> None:
        self.sent: list[TextMessage] = []

    async def send_sms(self, message: TextMessage) -> Receipt:
        self.sent.append(message)
        return Receipt(self.name, f"sms-{len(self.sent)}")
