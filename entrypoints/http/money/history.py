"""Payment history (frontend-contract §2.3, §2.14): ``GET /family/payments`` and ``GET /provider/payments``.

Newest first, every payment intent of the family (or to the provider): paid ones with ``status: "success"``,
and — unlike upstream, which listed successes only — those still being paid (``pending``) or failed
(``failed``); ``payment_status`` says exactly where each stands (paid, pending, processing, retrying,
failed). ``payment_id`` is the payment's id once paid, the intent's before (the frontend keys rows by it).
Totals count money that moved: ``total_amount_cents`` sums paid payments only. Two statements per page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import msgspec
from litestar import get

from domain.identity.model import Role
from domain.money.history import History, HistoryLine
from domain.money.use_cases.history import family_payments, provider_payments
from entrypoints.http.programme.actors import (
    AnyRequest,
    family_account,
    family_person,
    person_guard,
    provider_account,
)
from entrypoints.http.services import services_of

provider_person = person_guard(Role.PROVIDER)


class PaidCareDayJson(msgspec.Struct):
    date: date
    type: str
    amount_cents: int
    amount_missing_cents: int | None


class LumpSumJson(msgspec.Struct):
    days: int
    half_days: int
    amount_cents: int


class FamilyPaymentJson(msgspec.Struct):
    payment_id: str
    intent_id: str
    created_at: datetime
    amount_cents: int
    status: str  # success | pending | failed
    payment_status: str  # paid | pending | processing | retrying | failed
    provider_name: str
    provider_supabase_id: str
    child_name: str
    child_supabase_id: str
    month: date  # the allocation's month, YYYY-MM-01
    payment_type: str  # care_days | lump_sum
    payment_method: str | None
    care_days: list[PaidCareDayJson]
    lump_sum: LumpSumJson | None


class FamilyPaymentsJson(msgspec.Struct):
    payments: list[FamilyPaymentJson]
    total_count: int
    total_amount_cents: int


class ProviderPaymentJson(msgspec.Struct):
    payment_id: str
    intent_id: str
    created_at: datetime
    amount_cents: int
    status: str
    payment_status: str
    child_name: str
    child_id: str
    month: date
    payment_method: str | None
    payment_type: str
    care_days: list[PaidCareDayJson]
    lump_sum: LumpSumJson | None


class ProviderPaymentsJson(msgspec.Struct):
    payments: list[ProviderPaymentJson]
    total_count: int
    total_amount_cents: int
    successful_payments_cents: int


def _days(line: HistoryLine) -> list[PaidCareDayJson]:
    return [
        PaidCareDayJson(d.date, d.type.value, d.amount_cents, d.amount_missing_cents) for d in line.care_days
    ]


def _lump_sum(line: HistoryLine) -> LumpSumJson | None:
    found = line.lump_sum
    return None if found is None else LumpSumJson(found.days, found.half_days, found.amount_cents)


def _shared(line: HistoryLine) -> dict[str, Any]:
    """The fields both histories show (the family's names the provider, the provider's the child id)."""
    return {
        "payment_id": line.payment_id or line.intent_id,
        "intent_id": line.intent_id,
        "created_at": line.created_at.astimezone(UTC),
        "amount_cents": line.amount_cents,
        "status": line.shown_status,
        "payment_status": line.status.value,
        "child_name": line.child_name,
        "month": line.month,
        "payment_type": line.kind.value,
        "payment_method": None if line.payment_method is None else line.payment_method.value,
        "care_days": _days(line),
        "lump_sum": _lump_sum(line),
    }


def family_json(history: History) -> FamilyPaymentsJson:
    payments = [
        FamilyPaymentJson(
            **_shared(line),
            provider_name=line.provider_name,
            provider_supabase_id=line.provider_id,
            child_supabase_id=line.child_id,
        )
        for line in history.lines
    ]
    return FamilyPaymentsJson(payments, total_count=len(payments), total_amount_cents=history.paid_cents)


def provider_json(history: History) -> ProviderPaymentsJson:
    payments = [ProviderPaymentJson(**_shared(line), child_id=line.child_id) for line in history.lines]
    paid = history.paid_cents
    return ProviderPaymentsJson(
        payments, total_count=len(payments), total_amount_cents=paid, successful_payments_cents=paid
    )


@get("/family/payments", guards=[family_person], summary="The family's payments, newest first, any status")
async def list_family_payments(request: AnyRequest) -> FamilyPaymentsJson:
    actor, _ = await family_account(request)
    return family_json(await family_payments(services_of(request).payment_history_reads(), actor))


@get(
    "/provider/payments",
    guards=[provider_person],
    summary="The provider's payments, newest first, any status",
)
async def list_provider_payments(request: AnyRequest) -> ProviderPaymentsJson:
    actor, _ = await provider_account(request)
    return provider_json(await provider_payments(services_of(request).payment_history_reads(), actor))


ROUTES = [list_family_payments, list_provider_payments]
