"""``/console/messages``: the message log, newest first, a page at a time and as CSV, filtered by status,
kind, channel and recipient; one message's page; and the resend of a failed one through
``resend_message`` (as ``POST /messages/{id}/resend`` does), with its audit entry in the same
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from domain.audit import AuditStamp, who
from domain.notifications.delivery import get_message, list_messages, resend_message
from domain.notifications.errors import MessageNotFailed, MessageNotFound
from domain.notifications.model import Channel, MessageKind, MessageRecord, MessageStatus
from domain.notifications.ports import MessageFilter
from entrypoints.http.console.access import staff_user_id
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.params import INT64_MAX
from entrypoints.http.services import services_of

NO_MESSAGE = "There is no message with that id."
Choice = Annotated[str, QueryParameter(max_length=40)]
Recipient = Annotated[str, QueryParameter(max_length=320)]


@dataclass(frozen=True)
class Filters:
    """The list's filters as typed (kept in its links); a value that is none of the choices is "any"."""

    status: str = ""
    kind: str = ""
    channel: str = ""
    recipient: str = ""

    def where(self) -> MessageFilter:
        return MessageFilter(
            status=_choice(MessageStatus, self.status),
            kind=_choice(MessageKind, self.kind),
            channel=_choice(Channel, self.channel),
            recipient_contains=self.recipient.strip() or None,
        )

    def query(self) -> dict[str, str]:
        return {
            "status": self.status,
            "kind": self.kind,
            "channel": self.channel,
            "recipient": self.recipient,
        }


E = TypeVar("E", MessageStatus, MessageKind, Channel)


def _choice(enum: type[E], text: str) -> E | None:
    return enum(text) if text in enum.__members__.values() else None


async def _messages(request: AnyRequest, filters: Filters, *, limit: int, offset: int) -> list[MessageRecord]:
    uow = services_of(request).notifications_unit_of_work()
    return await list_messages(uow, filters.where(), limit=limit, offset=offset)


@get("/messages", name="console_messages")
async def messages(
    request: AnyRequest,
    status: Choice = "",
    kind: Choice = "",
    channel: Choice = "",
    recipient: Recipient = "",
    page: PageNumber = 1,
) -> Template:
    filters = Filters(status, kind, channel, recipient)
    found = await _messages(request, filters, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context: dict[str, Any] = {
        "messages": found[:PAGE_SIZE],
        "pager": Pager.of(request, page, has_more=len(found) > PAGE_SIZE),
        "filters": filters,
        "statuses": [s.value for s in MessageStatus],
        "kinds": [k.value for k in MessageKind],
        "channels": [c.value for c in Channel],
    }
    return Template("messages.html", context=context)


@get("/messages.csv", name="console_messages_csv")
async def messages_csv(
    request: AnyRequest,
    status: Choice = "",
    kind: Choice = "",
    channel: Choice = "",
    recipient: Recipient = "",
) -> Response[bytes]:
    found = await _messages(request, Filters(status, kind, channel, recipient), limit=MAX_ROWS, offset=0)
    header = ("message_id", "created_at", "channel", "kind", "recipient", "subject", "status", "attempts",
              "sent_at", "batch_id", "about_type", "about_id", "last_error")  # fmt: skip
    rows = (
        (m.id, m.created_at.isoformat(), m.channel.value, m.kind.value, m.recipient, m.subject,
         m.status.value, m.attempts, m.sent_at and m.sent_at.isoformat(), m.batch_id, m.about.type,
         m.about.id, m.last_error)
        for m in found
    )  # fmt: skip
    return csv_response(csv_filename(request), header, rows)


def _message_id(text: str) -> int:
    """The path's id as the log's: anything that cannot be one is a message that does not exist."""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= INT64_MAX:
        raise NotFoundException(NO_MESSAGE)
    return int(text)


async def message_page(
    request: AnyRequest, message_id: int, *, notice: str | None = None, refusal: str | None = None
) -> Template:
    try:
        record = await get_message(services_of(request).notifications_unit_of_work(), message_id)
    except MessageNotFound:
        raise NotFoundException(NO_MESSAGE) from None
    context = {"message": record, "notice": notice, "refusal": refusal}
    return Template("message.html", context=context, status_code=400 if refusal else 200)


@get("/messages/{message_id:str}", name="console_message")
async def show_message(request: AnyRequest, message_id: FromPath[str]) -> Template:
    return await message_page(request, _message_id(message_id))


@post("/messages/{message_id:str}/resend", name="console_resend_message")
async def resend(request: AnyRequest, message_id: FromPath[str]) -> Template:
    """A failed message tried again from its first attempt, by a new job; any other is refused."""
    number = _message_id(message_id)
    services = services_of(request)
    audit = AuditStamp(who("console", await staff_user_id(request)), services.clock.now())
    uow = services.notifications_unit_of_work()
    try:
        record = await resend_message(uow, services.clock, number, audit=audit)
    except MessageNotFound:
        raise NotFoundException(NO_MESSAGE) from None
    except MessageNotFailed as refused:
        return await message_page(request, number, refusal=f"The message was not resent: {refused.message}")
    notice = f"Message {record.id} is {record.status} again: a new job will send it (on the audit log)."
    return await message_page(request, number, notice=notice)


ROUTES = [messages, messages_csv, show_message, resend]
