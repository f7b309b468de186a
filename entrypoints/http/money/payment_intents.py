"""Payment intents for operators (API key or a signed-in admin): intents by status — ``failed`` ones wait
for an operator — one intent with its attempts, a retry by hand (the same as
``cap-portal payments retry --intent ID``) and the cancel of a failed one, which releases its care days or
lump sum so the family can pay again (the same as ``cap-portal payments cancel INTENT_ID``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import FromPath, QueryParameter

from domain.audit import AuditStamp, who
from domain.money.errors import PaymentIntentNotRetryable
from domain.money.payments import IntentStatus, PaymentAttempt, PaymentIntent
from domain.money.use_cases.paying import (
    cancel_intent,
    intent_with_attempts,
    intents_by_status,
    pay_intent,
)
from domain.programme.errors import InvalidField
from entrypoints.http.auth import api_key_or_admin
from entrypoints.http.auth import operator as operator_of
from entrypoints.http.programme.actors import AnyRequest
from entrypoints.http.programme.views import utc, utc_or_none
from entrypoints.http.services import services_of

MAX_LISTED = 500
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LISTED)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]


class IntentJson(msgspec.Struct):
    id: str
    kind: str
    status: str  # pending | processing | retrying | paid | failed (waits for an operator) | cancelled
    family_id: str
    child_id: str
    provider_id: str
    allocation_id: int
    amount_cents: int
    care_day_ids: list[int]
    lump_sum_ids: list[int]
    attempts: int
    next_attempt_at: datetime | None
    last_error_code: str | None
    last_error: str | None
    family_to_provider_transfer_id: str | None
    payout_transfer_id: str | None
    payment_method: str | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AttemptJson(msgspec.Struct):
    number: int
    outcome: str  # processing | succeeded | failed
    payment_method: str | None
    family_to_provider_transfer_id: str | None
    payout_transfer_id: str | None
    error_code: str | None
    error: str | None
    started_at: datetime
    ended_at: datetime | None


class IntentListJson(msgspec.Struct):
    items: list[IntentJson]
    limit: int
    offset: int


class IntentDetailJson(msgspec.Struct):
    intent: IntentJson
    attempts: list[AttemptJson]


def intent_out(intent: PaymentIntent) -> IntentJson:
    return IntentJson(
        id=intent.id,
        kind=intent.kind.value,
        status=intent.status.value,
        family_id=intent.family_id,
        child_id=intent.child_id,
        provider_id=intent.provider_id,
        allocation_id=intent.allocation_id,
        amount_cents=intent.amount_cents,
        care_day_ids=intent.care_day_ids,
        lump_sum_ids=intent.lump_sum_ids,
        attempts=intent.attempts,
        next_attempt_at=utc_or_none(intent.next_attempt_at),
        last_error_code=intent.last_error_code,
        last_error=intent.last_error,
        family_to_provider_transfer_id=intent.family_to_provider_transfer_id,
        payout_transfer_id=intent.payout_transfer_id,
        payment_method=None if intent.payment_method is None else intent.payment_method.value,
        paid_at=utc_or_none(intent.paid_at),
        cancelled_at=utc_or_none(intent.cancelled_at),
        created_at=utc(intent.created_at),
        updated_at=utc(intent.updated_at),
    )


def attempt_out(attempt: PaymentAttempt) -> AttemptJson:
    return AttemptJson(
        number=attempt.number,
        outcome=attempt.outcome.value,
        payment_method=None if attempt.payment_method is None else attempt.payment_method.value,
        family_to_provider_transfer_id=attempt.family_to_provider_transfer_id,
        payout_transfer_id=attempt.payout_transfer_id,
        error_code=attempt.error_code,
        error=attempt.error,
        started_at=utc(attempt.started_at),
        ended_at=utc_or_none(attempt.ended_at),
    )


def parse_statuses(text: str | None) -> list[IntentStatus]:
    if not text:
        return []
    try:
        return [IntentStatus(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        listed = ", ".join(s.value for s in IntentStatus)
        raise InvalidField("status", f"must be one or more of {listed}, comma-separated") from None


@get(
    "/admin/payment-intents",
    guards=[api_key_or_admin],
    summary="Payment intents by status (comma-separated; all when omitted), newest first",
)
async def list_payment_intents(
    request: AnyRequest,
    status: Annotated[str | None, QueryParameter(max_length=200)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> IntentListJson:
    found = await intents_by_status(
        services_of(request).money_unit_of_work(), parse_statuses(status), limit=limit, offset=offset
    )
    return IntentListJson(items=[intent_out(i) for i in found], limit=limit, offset=offset)


@get(
    "/admin/payment-intents/{intent_id:str}",
    guards=[api_key_or_admin],
    summary="One payment intent with its attempts",
)
async def read_payment_intent(request: AnyRequest, intent_id: FromPath[str]) -> IntentDetailJson:
    intent, attempts = await intent_with_attempts(services_of(request).money_unit_of_work(), intent_id)
    return IntentDetailJson(intent=intent_out(intent), attempts=[attempt_out(a) for a in attempts])


@post(
    "/admin/payment-intents/{intent_id:str}/retry",
    guards=[api_key_or_admin],
    summary="Try a payment intent again now (a failed one too); 409 when it is paid already",
    status_code=200,
)
async def retry_payment_intent(request: AnyRequest, intent_id: FromPath[str]) -> IntentJson:
    services = services_of(request)
    outcome = await pay_intent(
        services.money_unit_of_work(),
        services.gateway,
        services.clock,
        services.payment_rules,
        intent_id,
        operator=True,
        audit=AuditStamp(who("admin-api", operator_of(request)), services.clock.now()),
    )
    if not outcome.tried and outcome.intent.status is IntentStatus.PAID:
        raise PaymentIntentNotRetryable(details={"intent_id": intent_id})
    if not outcome.tried and outcome.intent.status is IntentStatus.CANCELLED:
        raise PaymentIntentNotRetryable("This payment intent is cancelled", details={"intent_id": intent_id})
    return intent_out(outcome.intent)


@post(
    "/admin/payment-intents/{intent_id:str}/cancel",
    guards=[api_key_or_admin],
    summary=(
        "Cancel a failed payment intent that moved no money: its care days can be submitted again, its"
        " lump sum no longer counts; 409 for any other intent"
    ),
    status_code=200,
)
async def cancel_payment_intent(request: AnyRequest, intent_id: FromPath[str]) -> IntentJson:
    services = services_of(request)
    audit = AuditStamp(who("admin-api", operator_of(request)), services.clock.now())
    return intent_out(
        await cancel_intent(services.money_unit_of_work(), services.clock, intent_id, audit=audit)
    )


ROUTES = [list_payment_intents, read_payment_intent, retry_payment_intent, cancel_payment_intent]
