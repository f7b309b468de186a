"""``POST /webhooks/clerk``: Clerk's user events, and the invitation emails Clerk asks us to deliver
(``email.created``, domain/notifications/clerk_invitations.py), verified with the Svix signature scheme.

The raw body is read and verified before any JSON parsing (re-serialised JSON would not match
the signature). Bad or missing signature → 401; a signed but malformed body → 400; an event we
do not handle, or a repeat of one already handled → 200 and nothing happens.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

import msgspec
from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from adapters.clerk.webhooks import read_clerk_email, read_user_event, verify_delivery
from adapters.postgres.accounts import SqlAlchemyAccounts, SqlAlchemyWebhookLedger
from domain.errors import DependencyUnavailable
from domain.identity.directory_events import apply_user_event
from domain.notifications.clerk_invitations import deliver_clerk_email
from entrypoints.http.services import services_of

logger = logging.getLogger("cap_portal.webhooks")
_MESSAGE_ID = "svix_message_id"
EMAIL_CREATED = "email.created"


class Received(msgspec.Struct):
    received: bool
    outcome: str


async def svix_signed(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard: the delivery is signed by Clerk (401 otherwise), before its body is looked at."""
    key = services_of(connection).identity.webhook_key
    if key is None:
        raise DependencyUnavailable("CLERK_WEBHOOK_SECRET is not set.", code="webhook_not_configured")
    request = cast("Request[Any, Any, Any]", connection)
    body = await request.body()
    connection.state[_MESSAGE_ID] = verify_delivery(key, connection.headers, body, now=time.time())


@post(
    "/webhooks/clerk",
    guards=[svix_signed],
    opt={"json_body": True},  # the raw body goes through the app's JSON checks (depth, NUL…) too
    status_code=200,
    summary="Clerk user events and invitation emails to deliver (Svix-signed)",
)
async def clerk_webhook(request: Request[Any, Any, Any]) -> Received:
    services = services_of(request)
    message_id: str = request.state[_MESSAGE_ID]
    body = await request.body()
    event = read_user_event(message_id, body)
    if event.event_type == EMAIL_CREATED:
        return await _deliver_email(request, message_id, body)
    uow = services.unit_of_work()
    accounts = SqlAlchemyAccounts(uow)
    outcome = await apply_user_event(
        uow, accounts, SqlAlchemyWebhookLedger(uow), services.identity.directory, event
    )
    logger.info(
        "clerk webhook",
        extra={"message_id": message_id, "type": event.event_type, "user": event.user_id, "outcome": outcome},
    )
    return Received(received=True, outcome=outcome.value)


async def _deliver_email(request: Request[Any, Any, Any], message_id: str, body: bytes) -> Received:
    """An email Clerk asks us to deliver: its invitation, in the invitee's language (its own message
    record, keyed by Clerk's email id, makes a redelivery harmless without the webhook ledger)."""
    email = read_clerk_email(body)
    outcome = await deliver_clerk_email(services_of(request).programme_unit_of_work(), email)
    logger.info(
        "clerk webhook",
        extra={"message_id": message_id, "type": EMAIL_CREATED, "slug": email.slug, "outcome": outcome},
    )
    return Received(received=True, outcome=outcome.value)


ROUTES = [clerk_webhook]
