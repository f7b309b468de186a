"""Allocation funding for operators (API key or a signed-in admin): where one allocation's funding stands,
and every allocation not funded yet with its attempts and last error — the same facts as
``cap-portal payments unfunded``, so a funding that fails is visible without a shell.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import get
from litestar.params import QueryParameter

from domain.money.funding import AllocationFunding, FundingStatus
from domain.money.use_cases.funding import allocation_funding, unfunded_allocations
from entrypoints.http.auth import api_key_or_admin
from entrypoints.http.params import RecordId
from entrypoints.http.programme.actors import AnyRequest
from entrypoints.http.programme.views import utc_or_none
from entrypoints.http.services import services_of

MAX_UNFUNDED = 1000
UnfundedLimit = Annotated[int, QueryParameter(ge=1, le=MAX_UNFUNDED)]


class FundingJson(msgspec.Struct):
    allocation_id: int
    family_id: str
    amount_cents: int
    status: str  # pending (not funded yet: see attempts and last_error) | funded | nothing_to_fund
    funded: bool
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    gateway_transfer_id: str | None
    ledger_transaction_id: int | None
    funded_at: datetime | None


class UnfundedJson(msgspec.Struct):
    items: list[FundingJson]
    limit: int


def funding_out(funding: AllocationFunding) -> FundingJson:
    return FundingJson(
        allocation_id=funding.allocation_id,
        family_id=funding.family_id,
        amount_cents=funding.amount_cents,
        status=funding.status.value,
        funded=funding.status is FundingStatus.FUNDED,
        attempts=funding.attempts,
        last_error=funding.last_error,
        last_attempt_at=utc_or_none(funding.last_attempt_at),
        gateway_transfer_id=funding.gateway_transfer_id,
        ledger_transaction_id=funding.ledger_transaction_id,
        funded_at=utc_or_none(funding.funded_at),
    )


@get(
    "/admin/allocations/unfunded",
    guards=[api_key_or_admin],
    summary="Allocations whose funding has not succeeded yet, oldest first",
)
async def list_unfunded_allocations(request: AnyRequest, limit: UnfundedLimit = 100) -> UnfundedJson:
    found = await unfunded_allocations(services_of(request).money_unit_of_work(), limit=limit)
    return UnfundedJson(items=[funding_out(f) for f in found], limit=limit)


@get(
    "/admin/allocations/{allocation_id:int}/funding",
    guards=[api_key_or_admin],
    summary="Where one allocation's funding stands",
)
async def read_allocation_funding(request: AnyRequest, allocation_id: RecordId) -> FundingJson:
    funding = await allocation_funding(services_of(request).money_unit_of_work(), allocation_id)
    return funding_out(funding)


ROUTES = [list_unfunded_allocations, read_allocation_funding]
