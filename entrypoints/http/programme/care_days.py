"""Care days and a child's month: ``/care-days``, ``/child/{id}/allocation/{m}/{y}``, and a provider's days.

Statuses follow the frontend contract: a refused rule is 400 ("Allocation not found" included),
locked or submitted days 403, a missing care day or child 404 (another family's ids look missing).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from litestar import delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from domain.programme.care_days import CareDayType
from domain.programme.errors import InvalidField
from domain.programme.use_cases import care_days, reading
from entrypoints.http.params import RecordId
from entrypoints.http.programme.actors import AnyRequest, family_person, programme_actor, programme_person
from entrypoints.http.programme.views import AllocationJson, CareDayJson, allocation_json, care_day_json
from entrypoints.http.services import services_of


class NewCareDay(msgspec.Struct, forbid_unknown_fields=True):
    allocation_id: int
    provider_id: str
    date: date
    type: CareDayType


class CareDayChange(msgspec.Struct, forbid_unknown_fields=True):
    type: CareDayType


@post(
    "/care-days",
    guards=[family_person],
    summary="Schedule a care day (or restore a removed one)",
    status_code=201,
)
async def create_care_day(request: AnyRequest, data: JSONBody[NewCareDay]) -> CareDayJson:
    services, actor = services_of(request), await programme_actor(request)
    ask = care_days.CareDayRequest(data.allocation_id, data.provider_id, data.date, data.type)
    view = await care_days.create_care_day(services.care_day_unit_of_work(), services.calendar, actor, ask)
    return care_day_json(view)


@put("/care-days/{care_day_id:int}", guards=[family_person], summary="Change a care day's type (re-priced)")
async def change_care_day(
    request: AnyRequest, care_day_id: RecordId, data: JSONBody[CareDayChange]
) -> CareDayJson:
    services, actor = services_of(request), await programme_actor(request)
    uow = services.care_day_unit_of_work()
    view = await care_days.change_care_day_type(uow, services.calendar, actor, care_day_id, data.type)
    return care_day_json(view)


@delete(
    "/care-days/{care_day_id:int}",
    guards=[family_person],
    summary="Remove a care day (soft delete)",
    status_code=204,
)
async def remove_care_day(request: AnyRequest, care_day_id: RecordId) -> None:
    services, actor = services_of(request), await programme_actor(request)
    await care_days.delete_care_day(services.care_day_unit_of_work(), services.calendar, actor, care_day_id)


def _whole_number(field: str, text: str) -> int:
    if not text.isdigit():
        raise InvalidField(field, "must be a whole number")
    return int(text)


@get(
    "/child/{child_id:str}/allocation/{month:str}/{year:str}",
    guards=[programme_person],
    summary="A child's month: budget and days",
)
async def child_allocation(
    request: AnyRequest,
    child_id: FromPath[str],
    month: FromPath[str],
    year: FromPath[str],
    provider_id: Annotated[str | None, QueryParameter()] = None,
) -> AllocationJson:
    services, actor = services_of(request), await programme_actor(request)
    view = await reading.get_child_allocation(
        services.month_reads(),
        services.calendar,
        actor,
        child_id=child_id,
        month=_whole_number("month", month),
        year=_whole_number("year", year),
        provider_id=provider_id,
    )
    return allocation_json(view)


def _query_date(field: str, text: str | None) -> date | None:
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidField(field, "must be a date YYYY-MM-DD")


@get(
    "/provider/{provider_id:str}/allocated_care_days",
    guards=[programme_person],
    summary="The provider's own care days, by child",
)
async def provider_care_days(
    request: AnyRequest,
    provider_id: FromPath[str],
    child_id: Annotated[str | None, QueryParameter(name="childId")] = None,
    start_date: Annotated[str | None, QueryParameter(name="startDate")] = None,
    end_date: Annotated[str | None, QueryParameter(name="endDate")] = None,
) -> dict[str, list[CareDayJson]]:
    services, actor = services_of(request), await programme_actor(request)
    by_child = await reading.get_provider_care_days(
        services.programme_reads(),
        services.calendar,
        actor,
        provider_id=provider_id,
        child_id=child_id or None,
        start=_query_date("startDate", start_date),
        end=_query_date("endDate", end_date),
    )
    return {child: [care_day_json(view) for view in views] for child, views in by_child.items()}


ROUTES = [create_care_day, change_care_day, remove_care_day, child_allocation, provider_care_days]
