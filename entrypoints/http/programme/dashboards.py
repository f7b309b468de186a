"""The family's and the provider's home pages: ``GET /family``, ``/family/{child_id}``,
``/family/default_child_id`` and ``GET /provider`` (frontend-contract.md §2.1, §2.2, §2.8).

``is_payable`` and ``can_make_payments`` come from money's records (domain/money/use_cases/dashboards.py:
our ledger and our last copy of the gateway's state, never the gateway itself). Values owned by
capabilities that do not exist yet are reported honestly, not invented: CPR training (null) and the
curriculum (null). Attendance (domain/attendance/block.py): ``attendance_due`` when a family-side record
of the family's children is due, ``attendance_is_overdue`` per provider when the payment block holds for
the selected child, and the "attendance" notification (after the application's, before
"no_provider_invited") for either side with attendance due.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import get
from litestar.params import FromPath

from domain.attendance.block import FamilyAttendanceFlags, family_attendance_flags, provider_attendance_due
from domain.identity.model import Account, Role
from domain.money.use_cases import dashboards as money
from domain.programme.families import Child
from domain.programme.providers import Provider
from domain.programme.use_cases import dashboards
from entrypoints.http.programme.actors import AnyRequest, family_account, programme_person, provider_account
from entrypoints.http.services import WebServices, services_of


class Notification(msgspec.Struct):
    type: str


class ChildSummary(msgspec.Struct):
    id: str
    first_name: str
    last_name: str


class SelectedChild(msgspec.Struct):
    id: str
    first_name: str
    last_name: str
    is_payment_enabled: bool
    status: str
    monthly_allocation_cents: int | None
    prorated_allocation_cents: int | None


class FamilyProvider(msgspec.Struct):
    id: str
    name: str
    status: str  # lower case, as the frontend compares "pending" and "denied"
    type: str
    is_payment_enabled: bool
    is_payable: bool
    attendance_is_overdue: bool


class FamilyHome(msgspec.Struct):
    selected_child_info: SelectedChild
    providers: list[FamilyProvider]
    children: list[ChildSummary]
    notifications: list[Notification]
    is_also_provider: bool
    can_make_payments: bool
    attendance_due: bool


class DefaultChild(msgspec.Struct):
    child_id: str


def _provider_status(provider: Provider) -> str:
    # The frontend's "denied" badge; upstream never sent it, but a provider found not eligible is one.
    return "denied" if provider.status.value == "Not Eligible" else provider.status.value.lower()


def _family_notifications(home: dashboards.FamilyDashboard, attendance_due: bool) -> list[Notification]:
    notices = [dashboards.application_notice(home.selected_child.status)]
    if attendance_due:
        notices.append("attendance")
    if not home.providers:
        notices.append("no_provider_invited")
    return [Notification(n) for n in notices if n is not None]


def _selected(child: Child) -> SelectedChild:
    return SelectedChild(
        id=child.id,
        first_name=child.first_name,
        last_name=child.last_name,
        is_payment_enabled=child.payment_enabled,
        status=child.status.value,
        monthly_allocation_cents=child.monthly_allocation_cents,
        prorated_allocation_cents=child.prorated_allocation_cents,
    )


def _family_home(
    home: dashboards.FamilyDashboard,
    flags: money.FamilyPaymentFlags,
    attendance: FamilyAttendanceFlags,
    account: Account,
) -> FamilyHome:
    return FamilyHome(
        selected_child_info=_selected(home.selected_child),
        providers=[
            FamilyProvider(
                id=p.id,
                name=p.name,
                status=_provider_status(p),
                type=p.type.value,
                is_payment_enabled=p.payment_enabled,
                is_payable=p.id in flags.payable_provider_ids,
                attendance_is_overdue=p.id in attendance.overdue_provider_ids,
            )
            for p in home.providers
        ],
        children=[ChildSummary(c.id, c.first_name, c.last_name) for c in home.children],
        notifications=_family_notifications(home, attendance.attendance_due),
        is_also_provider=Role.PROVIDER in account.roles and account.provider_id is not None,
        can_make_payments=flags.can_make_payments,
        attendance_due=attendance.attendance_due,
    )


async def _home(request: AnyRequest, child_id: str | None) -> FamilyHome:
    services = services_of(request)
    actor, account = await family_account(request)
    home = await dashboards.family_dashboard(services.family_home_reads(), actor, child_id)
    family_id = home.selected_child.family_id
    flags = await money.family_payment_flags(
        services.payment_flag_reads(), family_id, [p.id for p in home.providers]
    )
    attendance = await _family_attendance(services, home)
    return _family_home(home, flags, attendance, account)


async def _family_attendance(
    services: WebServices, home: dashboards.FamilyDashboard
) -> FamilyAttendanceFlags:
    uow = services.attendance_reads()
    async with uow:
        return await family_attendance_flags(
            uow.attendance, services.calendar.today(), [c.id for c in home.children], home.selected_child.id
        )


@get("/family", guards=[programme_person], summary="The family's home for its first child")
async def family_home(request: AnyRequest) -> FamilyHome:
    return await _home(request, None)


@get("/family/default_child_id", guards=[programme_person], summary="The child the family's pages open with")
async def default_child(request: AnyRequest) -> DefaultChild:
    services = services_of(request)
    actor, _ = await family_account(request)
    return DefaultChild(await dashboards.default_child_id(services.family_home_reads(), actor))


@get("/family/{child_id:str}", guards=[programme_person], summary="The family's home for one of its children")
async def family_child_home(request: AnyRequest, child_id: FromPath[str]) -> FamilyHome:
    return await _home(request, child_id)


class ProviderInfo(msgspec.Struct):
    id: str
    name: str
    first_name: str | None
    last_name: str | None
    type: str
    status: str
    is_payment_enabled: bool
    is_payable: bool
    cpr_certified: bool | None
    cpr_training_link: str | None


class ProviderChildJson(msgspec.Struct):
    id: str
    first_name: str
    last_name: str
    # Present and null until the provider sets them: the frontend tests `=== null` to offer "Set rate".
    half_day_rate_cents: int | None
    full_day_rate_cents: int | None


class ProviderHome(msgspec.Struct):
    provider_info: ProviderInfo
    children: list[ProviderChildJson]
    curriculum: dict[str, Any] | None
    notifications: list[Notification]
    max_child_count: int
    is_also_family: bool


def _provider_home(
    home: dashboards.ProviderDashboard, payable: bool, attendance_due: bool, account: Account
) -> ProviderHome:
    p = home.provider
    notices = [dashboards.application_notice(p.status), "attendance" if attendance_due else None]
    return ProviderHome(
        provider_info=ProviderInfo(
            id=p.id,
            name=p.name,
            first_name=p.first_name,
            last_name=p.last_name,
            type=p.type.value,
            status=p.status.value,
            is_payment_enabled=p.payment_enabled,
            is_payable=payable,
            cpr_certified=None,  # training records are not kept yet
            cpr_training_link=None,
        ),
        children=[
            ProviderChildJson(
                id=c.child.id,
                first_name=c.child.first_name,
                last_name=c.child.last_name,
                half_day_rate_cents=c.rate.half_day_rate_cents if c.rate else None,
                full_day_rate_cents=c.rate.full_day_rate_cents if c.rate else None,
            )
            for c in home.children
        ],
        curriculum=None,
        notifications=[Notification(n) for n in notices if n is not None],
        max_child_count=home.max_child_count,
        is_also_family=Role.FAMILY in account.roles and account.family_id is not None,
    )


@get("/provider", guards=[programme_person], summary="The provider's home")
async def provider_home(request: AnyRequest) -> ProviderHome:
    services = services_of(request)
    actor, account = await provider_account(request)
    home = await dashboards.provider_dashboard(services.provider_home_reads(), services.rules, actor)
    payable = await money.provider_is_payable(services.payment_flag_reads(), home.provider.id)
    uow = services.attendance_reads()
    async with uow:
        due = await provider_attendance_due(
            uow.attendance, services.calendar.today(), home.provider.id, [c.child.id for c in home.children]
        )
    return _provider_home(home, payable, due, account)


ROUTES = [family_home, default_child, family_child_home, provider_home]
