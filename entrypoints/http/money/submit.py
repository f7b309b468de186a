"""Submit = pay (frontend-contract §2.17): ``POST /child/{child_id}/provider/{provider_id}/allocation/
{month}/{year}/submit`` pays the provider's scheduled, unpaid days of the month in one payment intent.

Statuses, as the README's Money section tells them:

- 200 ``status: "paid"``: the money reached the provider's card or bank;
- 202 ``status: "retrying"``: the days are claimed (shown ``submitted``, no longer changeable) but the
  gateway did not answer; a job retries with backoff, and the family sees the payment in its history
  with its real status meanwhile;
- 400 with ``error``: nothing to pay, or a rule refused (nothing was claimed) — also the caller's own
  child or provider missing: the frontend takes any other non-2xx for success (§2.17), so this route
  answers 400 where others would answer 404; and ``code: "payment_failed"`` when the gateway declined
  after the claim (the intent is ``failed`` for an operator; ``details`` names it).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from domain.errors import DomainError, NotFound, RuleRefused
from domain.money.payments import IntentStatus
from domain.money.use_cases.submit import SubmitRequest, SubmitResult, parse_month, submit_care_days
from entrypoints.http.programme.actors import AnyRequest, family_person, programme_actor
from entrypoints.http.programme.views import CareDayJson, care_day_json
from entrypoints.http.services import services_of


class SubmitJson(msgspec.Struct):
    message: str
    status: str  # paid (200) | retrying (202)
    intent_id: str
    payment_id: str | None  # set once paid
    total_amount: str  # "$x.xx"
    total_amount_cents: int
    care_days: list[CareDayJson]


class PaymentFailed(RuleRefused):
    code = "payment_failed"
    default_message = "The payment could not be made"


def dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def submit_json(result: SubmitResult) -> SubmitJson:
    intent = result.intent
    paid = intent.status is IntentStatus.PAID
    return SubmitJson(
        message="Payment processed" if paid else "Payment submitted: it will be retried shortly",
        status=intent.status.value,
        intent_id=intent.id,
        payment_id=result.outcome.payment.id if result.outcome.payment is not None else None,
        total_amount=dollars(intent.amount_cents),
        total_amount_cents=intent.amount_cents,
        care_days=[care_day_json(view) for view in result.care_days],
    )


@post(
    "/child/{child_id:str}/provider/{provider_id:str}/allocation/{month:str}/{year:str}/submit",
    guards=[family_person],
    summary="Pay the provider for the month's scheduled care days",
    description=__doc__,
    status_code=200,
    responses={202: ResponseSpec(data_container=SubmitJson, description="Claimed; the payment is retried")},
)
async def submit_month(
    request: AnyRequest,
    child_id: FromPath[str],
    provider_id: FromPath[str],
    month: FromPath[str],
    year: FromPath[str],
) -> Response[SubmitJson]:
    services, actor = services_of(request), await programme_actor(request)
    month_number, year_number = parse_month(month, year)
    ask = SubmitRequest(child_id, provider_id, month_number, year_number)
    try:
        result = await submit_care_days(
            services.money_unit_of_work(),
            services.gateway,
            services.calendar,
            services.payment_rules,
            actor,
            ask,
        )
    except NotFound as missing:
        raise _as_refusal(missing) from missing
    intent = result.intent
    if intent.status is not IntentStatus.FAILED:
        status = 200 if intent.status is IntentStatus.PAID else 202
        return Response(submit_json(result), status_code=status)
    details: dict[str, Any] = {
        "intent_id": intent.id,
        "status": intent.status.value,
        "reason": intent.last_error_code,
        "total_amount_cents": intent.amount_cents,
    }
    raise PaymentFailed(intent.last_error or PaymentFailed.default_message, details=details)


def _as_refusal(error: DomainError) -> RuleRefused:
    return RuleRefused(error.message, details=error.details, code=error.code)


ROUTES = [submit_month]
