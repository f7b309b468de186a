"""Lump sums (frontend-contract §2.21): ``POST /lump-sums`` records a lump sum and pays it at once.

Statuses, as for submit (entrypoints/http/money/submit.py): 201 ``status: "paid"``; 202
``status: "retrying"`` when the lump sum is recorded and claimed by its payment but the gateway did not
answer (a job retries it); 400 with ``error`` for a refused rule (nothing recorded) — among them
``lump_sum_exceeds_allocation`` ("Adding this lump sum would exceed monthly allocation") and
``lump_sum_month_closed`` — and ``payment_failed`` when the gateway declined. Another family's allocation
looks missing (400 ``allocation_not_found``). The body always has the fields the frontend validates:
numeric ``id``, ``care_month_allocation_id``, ``amount_cents``, ``days``, ``half_days`` (0, never null) and
``provider_supabase_id`` as a string.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from domain.errors import NotFound, RuleRefused
from domain.money.lump_sums import LumpSumRequest
from domain.money.payments import IntentStatus
from domain.money.use_cases.lump_sums import LumpSumResult, create_lump_sum
from entrypoints.http.money.submit import PaymentFailed
from entrypoints.http.programme.actors import AnyRequest, family_person, programme_actor
from entrypoints.http.programme.views import utc
from entrypoints.http.services import services_of


class NewLumpSum(msgspec.Struct, forbid_unknown_fields=True):
    allocation_id: int
    provider_id: str
    amount_cents: int
    days: int | None = None
    half_days: int | None = None


class LumpSumJson(msgspec.Struct):
    id: int
    care_month_allocation_id: int
    provider_supabase_id: str
    amount_cents: int
    days: int
    half_days: int
    submitted_at: datetime
    paid_at: datetime | None
    status: str  # paid (201) | retrying (202)
    intent_id: str
    payment_id: str | None


def lump_sum_json(result: LumpSumResult) -> LumpSumJson:
    lump_sum, intent = result.lump_sum, result.intent
    payment = result.outcome.payment
    return LumpSumJson(
        id=lump_sum.id,
        care_month_allocation_id=lump_sum.allocation_id,
        provider_supabase_id=lump_sum.provider_id,
        amount_cents=lump_sum.amount_cents,
        days=lump_sum.days,
        half_days=lump_sum.half_days,
        submitted_at=utc(lump_sum.created_at),
        paid_at=None if intent.paid_at is None else utc(intent.paid_at),
        status=intent.status.value,
        intent_id=intent.id,
        payment_id=None if payment is None else payment.id,
    )


@post(
    "/lump-sums",
    guards=[family_person],
    summary="Pay a provider a lump sum for a month",
    description=__doc__,
    status_code=201,
    responses={202: ResponseSpec(data_container=LumpSumJson, description="Recorded; the payment is retried")},
)
async def create(request: AnyRequest, data: JSONBody[NewLumpSum]) -> Response[LumpSumJson]:
    services, actor = services_of(request), await programme_actor(request)
    ask = LumpSumRequest(
        data.allocation_id, data.provider_id, data.amount_cents, data.days or 0, data.half_days or 0
    )
    try:
        result = await create_lump_sum(
            services.money_unit_of_work(),
            services.gateway,
            services.calendar,
            services.payment_rules,
            actor,
            ask,
        )
    except NotFound as missing:  # the frontend treats only 400 as "this failed" (§2.21)
        raise RuleRefused(missing.message, details=missing.details, code=missing.code) from missing
    intent = result.intent
    if intent.status is not IntentStatus.FAILED:
        return Response(lump_sum_json(result), status_code=201 if intent.status is IntentStatus.PAID else 202)
    details: dict[str, Any] = {
        "intent_id": intent.id,
        "lump_sum_id": result.lump_sum.id,
        "reason": intent.last_error_code,
        "amount_cents": intent.amount_cents,
    }
    raise PaymentFailed(intent.last_error or PaymentFailed.default_message, details=details)


ROUTES = [create]
