"""``POST /webhooks/clerk``: Clerk's user events, verified with the Svix signature scheme.

The raw body is read and verified before any JSON parsing (re-serialised JSON would not match
the signature). Bad or missing signature → 401; a signed but malformed body → 400; an event we
do not handle, or a repeat of one already handled → 200 and nothing happens.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec
from litestar import Request, post

from adapters.clerk.webhooks import read_user_event, verify_delivery
from adapters.postgres.accounts import SqlAlchemyAccounts, SqlAlchemyWebhookLedger
from domain.errors import DependencyUnavailable
from domain.identity.directory_events import apply_user_event
from entrypoints.http.services import services_of

logger = logging.getLogger("cap_portal.webhooks")


class Received(msgspec.Struct):
    received: bool
    outcome: str


@post("/webhooks/clerk", status_code=200, summary="Clerk user events (Svix-signed)")
async def clerk_webhook(request: Request[Any, Any, Any]) -> Received:
    services = services_of(request)
    key = services.identity.webhook_key
    if key is None:
        raise DependencyUnavailable("CLERK_WEBHOOK_SECRET is not set.", code="webhook_not_configured")
    body = await request.body()
    message_id = verify_delivery(key, request.headers, body, now=time.time())
    event = read_user_event(message_id, body)
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


ROUTES = [clerk_webhook]
