"""``/console/payments/failed``: payment intents that need an operator, with a retry that goes through
``pay_intent`` (as ``POST /admin/payment-intents/{id}/retry`` does) and its audit entry; and as CSV."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from domain.audit import AuditStamp, who
from domain.errors import DomainError
from domain.money.payments import IntentStatus
from domain.money.use_cases.paying import PaymentOutcome, pay_intent
from entrypoints.http.console.access import staff_user_id
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.formatting import dollars
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.services import services_of


async def failed_page(
    request: AnyRequest, page: int = 1, *, notice: str | None = None, refusal: str | None = None
) -> Template:
    reads = services_of(request).staff_reads()
    found = await reads.failed_payments(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context: dict[str, Any] = {
        "payments": found[:PAGE_SIZE],
        "pager": Pager.of(request, page, has_more=len(found) > PAGE_SIZE),
        "notice": notice,
        "refusal": refusal,
    }
    return Template("failed_payments.html", context=context, status_code=400 if refusal else 200)


@get("/payments/failed", name="console_failed_payments")
async def failed_payments(request: AnyRequest, page: PageNumber = 1) -> Template:
    return await failed_page(request, page)


@get("/payments/failed.csv", name="console_failed_payments_csv")
async def failed_payments_csv(request: AnyRequest) -> Response[bytes]:
    found = await services_of(request).staff_reads().failed_payments(limit=MAX_ROWS, offset=0)
    header = ("intent_id", "family_id", "family", "child", "provider", "amount_cents", "attempts",
              "last_error_code", "last_error", "updated_at")  # fmt: skip
    rows = (
        (
            p.intent_id,
            p.family_id,
            p.family_name,
            p.child_name,
            p.provider_name,
            p.amount_cents,
            p.attempts,
            p.last_error_code,
            p.last_error,
            p.updated_at.isoformat(),
        )
        for p in found
    )
    return csv_response(csv_filename(request), header, rows)


@post("/payments/{intent_id:str}/retry", name="console_retry_payment")
async def retry_payment(request: AnyRequest, intent_id: FromPath[str]) -> Template:
    services = services_of(request)
    audit = AuditStamp(who("console", await staff_user_id(request)), services.clock.now())
    try:
        outcome = await pay_intent(
            services.money_unit_of_work(),
            services.gateway,
            services.clock,
            services.payment_rules,
            intent_id,
            operator=True,
            audit=audit,
        )
    except DomainError as refused:
        return await failed_page(request, refusal=f"The payment was not retried: {refused.message}")
    if not outcome.tried:
        why = "it was cancelled" if outcome.intent.status is IntentStatus.CANCELLED else "it is paid already"
        return await failed_page(request, refusal=f"The payment was not retried: {why}.")
    message = _outcome(outcome)
    if outcome.intent.status is IntentStatus.PAID:
        return await failed_page(request, notice=message)
    return await failed_page(request, refusal=message)


def _outcome(outcome: PaymentOutcome) -> str:
    intent = outcome.intent
    amount = dollars(intent.amount_cents)
    if intent.status is IntentStatus.PAID:
        return f"The payment of {amount} went through (attempt {intent.attempts}; on the audit log)."
    reason = intent.last_error or intent.last_error_code or "no reason given"
    if intent.status is IntentStatus.RETRYING:
        return f"The payment of {amount} did not go through yet ({reason}); it will be tried again."
    return f"The payment of {amount} failed again: {reason}."


ROUTES = [failed_payments, failed_payments_csv, retry_payment]
