"""The message API (API key): what the portal sent or tried to send, and resending a failed message.

``GET /messages`` lists newest first, filtered by status, kind and the record a message is about;
``POST /messages/{id}/resend`` tries a failed message again from its first attempt (409 otherwise).
``GET /message-batches/{id}`` is a bulk run (reminders): its messages counted by status, and the
status that follows (``GET /messages?batch_id=`` lists them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.params import FromQuery, QueryParameter

from adapters.postgres.notifications.unit_of_work import SqlAlchemyNotificationsUnitOfWork
from domain.audit import AuditStamp, who
from domain.notifications.batches import BatchProgress, get_batch
from domain.notifications.delivery import get_message, list_messages, resend_message
from domain.notifications.model import MessageKind, MessageRecord, MessageStatus
from domain.notifications.ports import MessageFilter
from entrypoints.http.api_keys import require_api_key
from entrypoints.http.params import INT64_MAX, Offset, RecordId
from entrypoints.http.services import services_of

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
BatchId = Annotated[int | None, QueryParameter(ge=1, le=INT64_MAX, schema_extra={"maximum": INT64_MAX})]
AnyRequest = Request[Any, Any, Any]


def message_body(record: MessageRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "channel": record.channel.value,
        "kind": record.kind.value,
        "recipient": record.recipient,
        "recipient_name": record.recipient_name,
        "language": record.language.value,
        "subject": record.subject,
        "status": record.status.value,
        "attempts": record.attempts,
        "last_error": record.last_error,
        "provider": record.provider,
        "provider_message_id": record.provider_message_id,
        "about": {"type": record.about.type, "id": record.about.id},
        "idempotency_key": record.idempotency_key,
        "sent_to": list(record.sent_to),
        "data": record.data,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "sent_at": record.sent_at,
        "batch_id": record.batch_id,
    }


class MessageBatchJson(msgspec.Struct):
    id: int
    name: str
    kind: str
    data: dict[str, Any]
    # pending (nothing tried yet), processing, completed (all sent), partially_failed, failed (none sent)
    status: str
    total: int
    pending: int
    sent: int
    failed: int
    # Pending messages already tried at least once: an outage being retried.
    retrying: int
    created_at: datetime
    # When its last message was sent or failed; null while any is pending.
    completed_at: datetime | None


def batch_body(progress: BatchProgress) -> MessageBatchJson:
    batch, counts = progress.batch, progress.counts
    return MessageBatchJson(
        id=batch.id,
        name=batch.name,
        kind=batch.kind,
        data=batch.data,
        status=progress.status.value,
        total=counts.total,
        pending=counts.pending,
        sent=counts.sent,
        failed=counts.failed,
        retrying=counts.retrying,
        created_at=batch.created_at,
        completed_at=progress.completed_at,
    )


def _uow(request: AnyRequest) -> SqlAlchemyNotificationsUnitOfWork:
    services = services_of(request)
    return SqlAlchemyNotificationsUnitOfWork(services.session_factory, jobs=services.job_queue)


@get("/messages", summary="Messages, newest first, filtered by status, kind and the record they are about")
async def messages(
    request: AnyRequest,
    status: FromQuery[MessageStatus | None] = None,
    kind: FromQuery[MessageKind | None] = None,
    about_type: FromQuery[str | None] = None,
    about_id: FromQuery[str | None] = None,
    batch_id: BatchId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    where = MessageFilter(
        status=status, kind=kind, about_type=about_type, about_id=about_id, batch_id=batch_id
    )
    found = await list_messages(_uow(request), where, limit=limit, offset=offset)
    return {
        "messages": [message_body(record) for record in found],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(found) == limit else None,
    }


@get("/messages/{message_id:int}", summary="One message: its status, attempts, last error and provider id")
async def message(request: AnyRequest, message_id: RecordId) -> dict[str, Any]:
    return message_body(await get_message(_uow(request), message_id))


@post(
    "/messages/{message_id:int}/resend",
    status_code=200,
    summary="Send a failed message again (from its first attempt, by a new job)",
)
async def resend(request: AnyRequest, message_id: RecordId) -> dict[str, Any]:
    clock = services_of(request).clock
    # The API key is the only way in: the resend is on the audit log as its.
    audit = AuditStamp(who("admin-api", "api-key"), clock.now())
    record = await resend_message(_uow(request), clock, message_id, audit=audit)
    return {"status": "resending", "message": message_body(record)}


@get("/message-batches/{batch_id:int}", summary="A bulk run: its messages counted by status, and its status")
async def message_batch(request: AnyRequest, batch_id: RecordId) -> MessageBatchJson:
    return batch_body(await get_batch(_uow(request), batch_id))


router = Router(path="/", guards=[require_api_key], route_handlers=[messages, message, resend, message_batch])
ROUTES = [router]
