"""Sending a recorded message (the ``notifications.send_message`` job), and operators resending one.

The job locks the message's row for the whole attempt, so two deliveries of the same job (Redis
delivers at least once) cannot both send: the second waits, then finds the message sent. An outage
is recorded on the message (attempts, last error) and raised so the job is retried with backoff; after
``MAX_ATTEMPTS`` the message is failed. A refusal that retrying cannot change fails it at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from domain.audit import AuditStamp, Snapshot
from domain.notifications.errors import DeliveryFailed, MessageNotFailed, MessageNotFound
from domain.notifications.model import Channel, MessageRecord, MessageStatus, status_after_failure
from domain.notifications.ports import (
    Email,
    EmailSender,
    MessageFilter,
    MessageRenderer,
    NotificationsUnitOfWork,
    Receipt,
    Rendered,
    SmsSender,
    TextMessage,
)
from domain.ports import Clock

SEND_MESSAGE_JOB = "notifications.send_message"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who messages come from and where staff messages go (FROM_EMAIL_*, REPLY_TO_EMAIL,
    INTERNAL_EMAIL_RECIPIENTS); outside production every subject says which environment sent it."""

    from_external: str
    from_internal: str
    staff_recipients: tuple[str, ...] = ()
    reply_to: str | None = None
    subject_prefix: str = ""
    from_external_name: str = "CAP Colorado"
    from_internal_name: str = "CAP Internal"


@dataclass(frozen=True, slots=True)
class Postman:
    email: EmailSender
    sms: SmsSender | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: int
    status: MessageStatus
    # False when the message had already been sent or failed before this call.
    attempted: bool
    attempts: int
    error: str | None = None


async def deliver_message(
    uow: NotificationsUnitOfWork,
    renderer: MessageRenderer,
    postman: Postman,
    envelope: Envelope,
    clock: Clock,
    message_id: int,
) -> Delivery:
    """Send the message if it is still pending. Raises ``DeliveryFailed`` (recorded first) on an outage
    so the caller's job is retried."""
    async with uow:
        record = await uow.messages.get_for_update(message_id)
        if record is None:
            raise MessageNotFound(details={"message_id": message_id})
        if record.status is not MessageStatus.PENDING:
            return Delivery(record.id, record.status, False, record.attempts, record.last_error)
        attempts = record.attempts + 1
        now = clock.now()
        try:
            rendered = renderer.render(record.kind, record.language, _template_data(record), record.channel)
            receipt, sent_to = await _send(record, rendered, postman, envelope)
        except DeliveryFailed as failed:
            status = status_after_failure(attempts, permanent=failed.permanent)
            await uow.messages.save(
                replace(
                    record,
                    status=status,
                    attempts=attempts,
                    last_error=failed.message,
                    provider=failed.provider,
                    updated_at=now,
                )
            )
            await uow.commit()
            if not failed.permanent:
                raise
            return Delivery(record.id, status, True, attempts, failed.message)
        await uow.messages.save(
            replace(
                record,
                status=MessageStatus.SENT,
                attempts=attempts,
                subject=rendered.subject,
                provider=receipt.provider,
                provider_message_id=receipt.provider_message_id,
                last_error=None,
                sent_at=now,
                updated_at=now,
                sent_to=sent_to,
            )
        )
        await uow.commit()
    return Delivery(record.id, MessageStatus.SENT, True, attempts)


def _template_data(record: MessageRecord) -> dict[str, Any]:
    return {"recipient": record.recipient, "recipient_name": record.recipient_name, **record.data}


async def _send(
    record: MessageRecord, rendered: Rendered, postman: Postman, envelope: Envelope
) -> tuple[Receipt, tuple[str, ...]]:
    if record.channel is Channel.SMS:
        if postman.sms is None:
            raise DeliveryFailed("SMS is not configured (set SMS_PROVIDER)", permanent=True, provider="none")
        body = f"{envelope.subject_prefix}{rendered.text}"
        sms = TextMessage(to=record.recipient, body=body, idempotency_key=record.idempotency_key)
        return await postman.sms.send_sms(sms), (record.recipient,)
    staff = record.recipient_as.is_staff
    to = envelope.staff_recipients if staff else (record.recipient,)
    if not to:
        raise DeliveryFailed(
            "No staff to send to: INTERNAL_EMAIL_RECIPIENTS is empty",
            permanent=True,
            provider=postman.email.name,
        )
    email = Email(
        from_address=envelope.from_internal if staff else envelope.from_external,
        from_name=envelope.from_internal_name if staff else envelope.from_external_name,
        to=to,
        subject=f"{envelope.subject_prefix}{rendered.subject}",
        text=rendered.text,
        html=rendered.html,
        reply_to=envelope.reply_to,
        idempotency_key=record.idempotency_key,
        internal=staff,
    )
    return await postman.email.send_email(email), to


async def resend_message(
    uow: NotificationsUnitOfWork, clock: Clock, message_id: int, *, audit: AuditStamp | None = None
) -> MessageRecord:
    """A failed message is tried again from its first attempt, by a new job; any other is refused.

    ``audit`` (an operator's resend): written to the audit log (``message.resent``) in the same
    transaction."""
    async with uow:
        record = await uow.messages.get_for_update(message_id)
        if record is None:
            raise MessageNotFound(details={"message_id": message_id})
        if record.status is not MessageStatus.FAILED:
            raise MessageNotFailed(
                f"Message {message_id} is {record.status}; only a failed message can be resent.",
                details={"message_id": message_id, "status": str(record.status)},
            )
        again = replace(record, status=MessageStatus.PENDING, attempts=0, updated_at=clock.now())
        await uow.messages.save(again)
        await uow.jobs.enqueue(SEND_MESSAGE_JOB, message_id)
        if audit is not None:
            before, after = message_snapshot(record), message_snapshot(again)
            await uow.audit.record(audit.entry("message.resent", "message", str(message_id), before, after))
        await uow.commit()
    return again


# A delivery error on the audit log is cut to this length: the message's record keeps all of it.
_AUDIT_ERROR_CHARS = 300


def message_snapshot(record: MessageRecord) -> Snapshot:
    """What the audit log keeps of a message an operator resent: to whom, what, and where it stood."""
    error = record.last_error[-_AUDIT_ERROR_CHARS:] if record.last_error else None
    return {
        "channel": record.channel.value,
        "kind": record.kind.value,
        "recipient": record.recipient,
        "status": record.status.value,
        "attempts": record.attempts,
        "last_error": error,
    }


async def get_message(uow: NotificationsUnitOfWork, message_id: int) -> MessageRecord:
    async with uow:
        record = await uow.messages.get(message_id)
    if record is None:
        raise MessageNotFound(details={"message_id": message_id})
    return record


async def list_messages(
    uow: NotificationsUnitOfWork, where: MessageFilter, *, limit: int, offset: int
) -> list[MessageRecord]:
    async with uow:
        return await uow.messages.list_page(where, limit=limit, offset=offset)
