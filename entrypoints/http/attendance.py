"""Attendance (frontend-contract §2.4, §2.15): ``GET|POST /family/attendance`` and
``GET|POST /provider/attendance``.

GET lists the records due from the caller, with the children (and, for families, the providers) every
row names — the frontend's loader throws when one is missing — and stamps the first opening. POST takes
``{"attendance": [{id, full_days, half_days}]}`` for rows of that list: 404 for an id that is not due
from the caller, 400 for a second entry or a count outside 0..7. These literal paths are registered
before ``GET /family/{child_id}`` captures ``/family/attendance`` (entrypoints/http/app.py).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import JSONBody

from domain.attendance import entry
from domain.attendance.model import MAX_DAYS_PER_WEEK, AttendanceRecord, DaysEntered
from domain.identity.model import Role
from entrypoints.http.programme.actors import AnyRequest, family_account, person_guard, provider_account
from entrypoints.http.services import services_of

family_person = person_guard(Role.FAMILY)
provider_person = person_guard(Role.PROVIDER)

Days = Annotated[int, msgspec.Meta(ge=0, le=MAX_DAYS_PER_WEEK)]


class Entry(msgspec.Struct, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    full_days: Days
    half_days: Days


class Entries(msgspec.Struct, forbid_unknown_fields=True):
    attendance: Annotated[list[Entry], msgspec.Meta(min_length=1, max_length=entry.MAX_ENTRIES)]


class ChildJson(msgspec.Struct):
    id: str
    first_name: str
    last_name: str


class ProviderJson(msgspec.Struct):
    id: str
    name: str


class FamilyRow(msgspec.Struct):
    id: str
    date: str  # the week's Monday, YYYY-MM-DD
    child_id: str
    provider_id: str


class ProviderRow(msgspec.Struct):
    id: str
    date: str
    child_id: str


class FamilyAttendance(msgspec.Struct):
    attendance: list[FamilyRow]
    children: list[ChildJson]
    providers: list[ProviderJson]


class ProviderAttendance(msgspec.Struct):
    attendance: list[ProviderRow]
    children: list[ChildJson]


class EnteredRow(msgspec.Struct):
    id: str
    date: str
    child_id: str
    provider_id: str
    full_days: int
    half_days: int


class Entered(msgspec.Struct):
    attendance: list[EnteredRow]


def _entries(data: Entries) -> list[DaysEntered]:
    return [DaysEntered(e.id, e.full_days, e.half_days) for e in data.attendance]


def _entered(records: list[AttendanceRecord], entries: list[DaysEntered]) -> Entered:
    days = {e.record_id: e for e in entries}
    return Entered(
        [
            EnteredRow(
                r.id,
                r.week.isoformat(),
                r.child_id,
                r.provider_id,
                days[r.id].full_days,
                days[r.id].half_days,
            )
            for r in records
        ]
    )


@get(
    "/family/attendance",
    guards=[family_person],
    summary="The attendance due from the family (stamps its first opening)",
    opt={"own_records": True},
)
async def family_attendance(request: AnyRequest) -> FamilyAttendance:
    services = services_of(request)
    actor, _ = await family_account(request)
    due = await entry.family_due_list(services.attendance_unit_of_work(), services.calendar, actor)
    return FamilyAttendance(
        attendance=[FamilyRow(r.id, r.week.isoformat(), r.child_id, r.provider_id) for r in due.records],
        children=[ChildJson(c.id, c.first_name, c.last_name) for c in due.children],
        providers=[ProviderJson(p.id, p.name) for p in due.providers],
    )


@post(
    "/family/attendance",
    guards=[family_person],
    status_code=200,
    summary="Enter the family's full and half days for due weeks (404: not due from the family)",
    opt={"own_records": True},
)
async def enter_family_attendance(request: AnyRequest, data: JSONBody[Entries]) -> Entered:
    services = services_of(request)
    actor, _ = await family_account(request)
    entries = _entries(data)
    records = await entry.enter_family_attendance(
        services.attendance_unit_of_work(), services.calendar, actor, entries
    )
    return _entered(records, entries)


@get(
    "/provider/attendance",
    guards=[provider_person],
    summary="The attendance due from the provider (stamps its first opening)",
    opt={"own_records": True},
)
async def provider_attendance(request: AnyRequest) -> ProviderAttendance:
    services = services_of(request)
    actor, _ = await provider_account(request)
    due = await entry.provider_due_list(services.attendance_unit_of_work(), services.calendar, actor)
    return ProviderAttendance(
        attendance=[ProviderRow(r.id, r.week.isoformat(), r.child_id) for r in due.records],
        children=[ChildJson(c.id, c.first_name, c.last_name) for c in due.children],
    )


@post(
    "/provider/attendance",
    guards=[provider_person],
    status_code=200,
    summary="Enter the provider's full and half days for due weeks (404: not due from the provider)",
    opt={"own_records": True},
)
async def enter_provider_attendance(request: AnyRequest, data: JSONBody[Entries]) -> Entered:
    services = services_of(request)
    actor, _ = await provider_account(request)
    entries = _entries(data)
    records = await entry.enter_provider_attendance(
        services.attendance_unit_of_work(), services.calendar, actor, entries
    )
    return _entered(records, entries)


ROUTES = [family_attendance, enter_family_attendance, provider_attendance, enter_provider_attendance]
