"""Payment rates: ``POST /payment-rates/{child_id}`` (the provider, once) and
``GET /payment-rates/{provider_id}/{child_id}`` (the child's family or the provider).

A missing rate is 404 with exactly "Payment rate not found": the frontend compares that text.
"""

from __future__ import annotations

import msgspec
from litestar import get, post
from litestar.params import FromPath, JSONBody

from domain.audit import AuditStamp, who
from domain.errors import Forbidden
from domain.programme.errors import InvalidField
from domain.programme.use_cases import rates
from entrypoints.http.programme.actors import (
    AnyRequest,
    programme_actor,
    programme_person,
    rate_setter,
    signed_in_account,
)
from entrypoints.http.programme.views import PaymentRateJson, payment_rate_json
from entrypoints.http.services import services_of


class NewRates(msgspec.Struct, forbid_unknown_fields=True):
    half_day_rate_cents: int
    full_day_rate_cents: int
    # Staff only: whose rates to set or change (a provider always sets its own).
    provider_id: str | None = None


@post(
    "/payment-rates/{child_id:str}",
    guards=[rate_setter],
    summary="Set the provider's rates for a child",
    status_code=201,
)
async def set_rates(
    request: AnyRequest, child_id: FromPath[str], data: JSONBody[NewRates]
) -> PaymentRateJson:
    services = services_of(request)
    actor = await programme_actor(request)
    provider_id = data.provider_id if actor.is_admin else actor.provider_id
    if provider_id is None:
        if actor.is_admin:
            raise InvalidField("provider_id", "staff must name the provider")
        raise Forbidden("Only a provider sets payment rates.", code="provider_required")
    if data.provider_id is not None and data.provider_id != provider_id:
        raise InvalidField("provider_id", "a provider sets only its own rates")
    rate = await rates.set_payment_rate(
        services.programme_unit_of_work(),
        services.calendar,
        actor,
        provider_id=provider_id,
        child_id=child_id,
        half_day_rate_cents=data.half_day_rate_cents,
        full_day_rate_cents=data.full_day_rate_cents,
        # Staff setting a provider's rates is on the audit log; a provider setting its own is its record.
        audit=await _staff_stamp(request) if actor.is_admin else None,
    )
    return payment_rate_json(rate)


async def _staff_stamp(request: AnyRequest) -> AuditStamp:
    account = await signed_in_account(request)
    return AuditStamp(who("admin-api", account.clerk_user_id), services_of(request).clock.now())


@get(
    "/payment-rates/{provider_id:str}/{child_id:str}",
    guards=[programme_person],
    summary="A provider's rates for a child",
)
async def read_rates(
    request: AnyRequest, provider_id: FromPath[str], child_id: FromPath[str]
) -> PaymentRateJson:
    services = services_of(request)
    actor = await programme_actor(request)
    rate = await rates.get_payment_rate(
        services.programme_reads(), actor, provider_id=provider_id, child_id=child_id
    )
    return payment_rate_json(rate)


ROUTES = [set_rates, read_rates]
