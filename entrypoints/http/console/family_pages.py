"""``/console/families/{id}``: a family's guardians, children, allocations by month (with care days and
lump sums), payments, messages, attendance, invitations and ledger; and the change of a child's monthly
allocation, through ``update_child`` (the same rules as the admin API) with its audit entry.

Each list is a ``sections.Section``: the page shows its first rows, ``/console/families/{id}/{list}``
all of them a page at a time and ``…/{list}.csv`` all of them as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.audit import AuditStamp, who
from domain.errors import RuleRefused
from domain.programme.actors import Actor
from domain.programme.use_cases import families
from domain.staff_reads import (
    CareDayLine,
    ChildLine,
    GuardianLine,
    LumpSumLine,
    MonthLine,
    Owner,
    StaffReads,
    Window,
)
from entrypoints.http.console import owner_lists
from entrypoints.http.console.access import staff_user_id
from entrypoints.http.console.csv_export import Column, money_column
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.formatting import cents_from_dollars, dollars, when
from entrypoints.http.console.forms import Form
from entrypoints.http.console.paging import PageNumber
from entrypoints.http.console.sections import Section, previews, section_page
from entrypoints.http.services import services_of

NO_FAMILY = "There is no family with that id."


async def _guardians(reads: StaffReads, window: Window, _: date) -> Sequence[GuardianLine]:
    picture = await reads.family(window.owner_id)
    return [] if picture is None else picture.guardians[window.offset : window.offset + window.limit]


@dataclass(frozen=True)
class ChildMonth:
    child: ChildLine
    month: MonthLine


async def _allocations(reads: StaffReads, window: Window, _: date) -> Sequence[ChildMonth]:
    picture = await reads.family(window.owner_id)
    months = [ChildMonth(c, m) for c in (picture.children if picture else []) for m in c.months]
    return months[window.offset : window.offset + window.limit]


@dataclass(frozen=True)
class MonthEntry:
    """A care day or a lump sum, with the child and month it is charged to."""

    child: ChildLine
    month: MonthLine
    entry: Any  # CareDayLine or LumpSumLine


async def _month_entries(reads: StaffReads, window: Window, *, lump_sums: bool) -> Sequence[MonthEntry]:
    picture = await reads.family(window.owner_id)
    entries = [
        MonthEntry(c, m, e)
        for c in (picture.children if picture else [])
        for m in c.months
        for e in (m.lump_sums if lump_sums else m.care_days)
    ]
    return entries[window.offset : window.offset + window.limit]


async def _care_days(reads: StaffReads, window: Window, _: date) -> Sequence[MonthEntry]:
    return await _month_entries(reads, window, lump_sums=False)


async def _lump_sums(reads: StaffReads, window: Window, _: date) -> Sequence[MonthEntry]:
    return await _month_entries(reads, window, lump_sums=True)


def _day(row: MonthEntry) -> CareDayLine:
    assert isinstance(row.entry, CareDayLine)
    return row.entry


def _lump(row: MonthEntry) -> LumpSumLine:
    assert isinstance(row.entry, LumpSumLine)
    return row.entry


_CHILD_AND_MONTH: list[Column[MonthEntry]] = [
    Column("child", "Child", lambda r: r.child.name),
    Column("child_id", "Child id", lambda r: r.child.id, on_page=False),
    Column(
        "month", "Month", lambda r: r.month.month.isoformat(), shown=lambda r: r.month.month.strftime("%B %Y")
    ),
]
CARE_DAYS: Section[MonthEntry] = Section(
    "care-days",
    "Care days",
    [
        *_CHILD_AND_MONTH,
        Column("date", "Date", lambda r: _day(r).date.isoformat()),
        Column("type", "Type", lambda r: _day(r).type),
        money_column("amount_cents", "Amount", lambda r: _day(r).amount_cents),
        Column("provider", "Provider", lambda r: _day(r).provider_name),
        Column("paid", "Paid", lambda r: "yes" if _day(r).paid else "no"),
        Column("removed", "Removed", lambda r: "yes" if _day(r).deleted else "no"),
    ],
    _care_days,
    "No care days yet.",
)
LUMP_SUMS: Section[MonthEntry] = Section(
    "lump-sums",
    "Lump sums",
    [
        *_CHILD_AND_MONTH,
        money_column("amount_cents", "Amount", lambda r: _lump(r).amount_cents),
        Column("provider", "Provider", lambda r: _lump(r).provider_name),
        Column("days", "Days", lambda r: _lump(r).days),
        Column("half_days", "Half days", lambda r: _lump(r).half_days),
        Column(
            "created_at",
            "Created",
            lambda r: _lump(r).created_at.isoformat(),
            shown=lambda r: when(_lump(r).created_at),
        ),
    ],
    _lump_sums,
    "No lump sums yet.",
)
GUARDIANS: Section[GuardianLine] = Section(
    "guardians",
    "Guardians",
    [
        Column("name", "Name", lambda g: g.name),
        Column("type", "Type", lambda g: g.type),
        Column("email", "Email", lambda g: g.email),
        Column("phone_number", "Phone", lambda g: g.phone_number),
    ],
    _guardians,
    "No guardians.",
)
ALLOCATIONS: Section[ChildMonth] = Section(
    "allocations",
    "Allocations by month",
    [
        Column("child", "Child", lambda r: r.child.name),
        Column("child_id", "Child id", lambda r: r.child.id, on_page=False),
        Column(
            "month",
            "Month",
            lambda r: r.month.month.isoformat(),
            shown=lambda r: r.month.month.strftime("%B %Y"),
        ),
        money_column("allocation_cents", "Allocation", lambda r: r.month.allocation_cents),
        money_column("scheduled_cents", "Scheduled", lambda r: r.month.scheduled_cents),
        money_column("paid_cents", "Paid", lambda r: r.month.paid_cents),
        money_column("lump_sum_cents", "Lump sums", lambda r: r.month.lump_sum_cents),
        money_column("reclaimed_cents", "Reclaimed", lambda r: r.month.reclaimed_cents),
        Column("care_days", "Care days", lambda r: sum(1 for d in r.month.care_days if not d.deleted)),
    ],
    _allocations,
    "No allocations yet.",
)
# Shown on the page below the children (guardians and months have their own layout there).
PAGE_SECTIONS: list[Section[Any]] = [
    owner_lists.payments(provider_column=True),
    owner_lists.MESSAGES,
    owner_lists.ATTENDANCE,
    owner_lists.INVITATIONS,
    owner_lists.ledger(account_column=False),
]
# On the page inside each child's months; each has its own page and CSV too.
MONTH_LISTS: list[Section[Any]] = [GUARDIANS, ALLOCATIONS, CARE_DAYS, LUMP_SUMS]
ALL_SECTIONS: list[Section[Any]] = [*MONTH_LISTS, *PAGE_SECTIONS]
SECTIONS = {section.name: section for section in ALL_SECTIONS}


async def family_page(
    request: AnyRequest, family_id: str, *, notice: str | None = None, refusal: str | None = None
) -> Template:
    picture = await services_of(request).staff_reads().family(family_id)
    if picture is None:
        raise NotFoundException(NO_FAMILY)
    base = f"/console/families/{picture.id}"
    context: dict[str, Any] = {
        "family": picture,
        "sections": await previews(request, PAGE_SECTIONS, Owner.FAMILY, picture.id, base),
        "csv": {s.name: f"{base}/{s.name}.csv" for s in MONTH_LISTS},
        "notice": notice,
        "refusal": refusal,
    }
    return Template("family.html", context=context, status_code=400 if refusal else 200)


@get("/families/{family_id:str}", name="console_family")
async def show_family(request: AnyRequest, family_id: FromPath[str]) -> Template:
    return await family_page(request, family_id)


@get("/families/{family_id:str}/{section:str}", name="console_family_section")
async def family_section(
    request: AnyRequest, family_id: FromPath[str], section: FromPath[str], page: PageNumber = 1
) -> Response[Any]:
    """One of the family's lists a page at a time, or all of it as CSV (``….csv``)."""
    return await section_page(
        request,
        SECTIONS,
        Owner.FAMILY,
        family_id,
        section,
        page,
        base=f"/console/families/{family_id}",
        not_found=NO_FAMILY,
    )


@dataclass
class AllocationForm:
    family_id: str
    monthly_allocation: str


@post("/children/{child_id:str}/allocation", name="console_change_allocation")
async def change_allocation(
    request: AnyRequest, child_id: FromPath[str], data: Form[AllocationForm]
) -> Template:
    """The child's regular monthly allocation: what every month from the next allocation run gives."""
    services = services_of(request)
    audit = AuditStamp(who("console", await staff_user_id(request)), services.clock.now())
    try:
        cents = cents_from_dollars(data.monthly_allocation)
        changes = families.ChildChanges(monthly_allocation_cents=cents)
        child = await families.update_child(
            services.programme_unit_of_work(), services.rules, Actor.admin(), child_id, changes, audit=audit
        )
    except RuleRefused as refused:
        return await family_page(
            request, data.family_id, refusal=f"The allocation was not changed: {refused.message}"
        )
    notice = f"{child.first_name}'s monthly allocation is now {dollars(cents)} (on the audit log)."
    return await family_page(request, child.family_id, notice=notice)


ROUTES = [show_family, family_section, change_allocation]
