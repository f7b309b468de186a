"""The notifications' ports: asking for a message (``uow.notifier``), its records, rendering and sending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from domain.audit import AuditLog
from domain.notifications.model import Channel, Message, MessageKind, MessageRecord, MessageStatus, Queued
from domain.ports import TransactionJobs, UnitOfWork
from domain.programme.statuses import Language

if TYPE_CHECKING:  # batches.py uses these ports
    from domain.notifications.batches import BatchProgress, NewBatch


class Notifier(Protocol):
    """Messages asked for inside an open unit of work: the record is written in its transaction and the
    sending job is asked for there too, so a transaction that rolls back sends nothing."""

    async def notify(self, message: Message) -> Queued:
        """The message's record, new, or the one an earlier call for the same cause and recipient made."""
        ...

    async def start_batch(self, batch: NewBatch) -> int:
        """A new batch record for a bulk run; its messages name its id (``Message.batch_id``)."""
        ...


@dataclass(frozen=True, slots=True)
class MessageFilter:
    status: MessageStatus | None = None
    kind: MessageKind | None = None
    about_type: str | None = None
    about_id: str | None = None
    batch_id: int | None = None
    channel: Channel | None = None
    # Part of the address or phone number, any case (the console's "recipient contains").
    recipient_contains: str | None = None


class MessageStore(Protocol):
    async def get(self, message_id: int) -> MessageRecord | None: ...
    async def get_for_update(self, message_id: int) -> MessageRecord | None:
        """Locks the message's row until the unit of work ends: one delivery of it at a time."""
        ...

    async def save(self, record: MessageRecord) -> None: ...
    async def list_page(self, where: MessageFilter, *, limit: int, offset: int) -> list[MessageRecord]:
        """Newest first."""
        ...

    async def batch_progress(self, batch_id: int) -> BatchProgress | None:
        """The batch with its messages counted by status; None when there is no such batch."""
        ...


class NotificationsUnitOfWork(UnitOfWork, Protocol):
    @property
    def messages(self) -> MessageStore: ...
    @property
    def jobs(self) -> TransactionJobs: ...
    @property
    def audit(self) -> AuditLog:
        """Operators' resends, written in this transaction."""
        ...


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str | None  # None for SMS


class MessageRenderer(Protocol):
    def render(
        self, kind: MessageKind, language: Language, data: dict[str, Any], channel: Channel
    ) -> Rendered:
        """The message in the language (English where a translation is missing)."""
        ...


@dataclass(frozen=True, slots=True)
class Email:
    from_address: str
    from_name: str
    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None
    reply_to: str | None
    # Our record's key: providers that take one use it, and it goes out as a header.
    idempotency_key: str
    internal: bool = False


@dataclass(frozen=True, slots=True)
class TextMessage:
    to: str  # E.164
    body: str
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class Receipt:
    provider: str
    provider_message_id: str | None


class EmailSender(Protocol):
    name: str

    async def send_email(self, email: Email) -> Receipt:
        """Hand the email to the provider; ``DeliveryFailed`` when it does not take it."""
        ...


class SmsSender(Protocol):
    name: str

    async def send_sms(self, message: TextMessage) -> Receipt:
        """Hand the text to the provider; ``DeliveryFailed`` when it does not take it."""
        ...
