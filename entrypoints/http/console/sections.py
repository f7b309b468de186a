"""A family's or provider's lists (payments, messages, attendance, invitations, ledger, …).

Each is a ``Section``: its columns (``csv_export.Column``) and the query for a window of its rows. One
query, shown three ways: the first rows on the owner's page with a "more" link, a page of its own a
page at a time (``/console/families/{id}/ledger``), and every row as CSV (``…/ledger.csv``), so the
CSV has exactly the rows the pages show, all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from litestar import Response
from litestar.exceptions import NotFoundException
from litestar.response import Template

from domain.staff_reads import Owner, StaffReads, Window
from entrypoints.http.console.csv_export import MAX_ROWS, Column, csv_filename, csv_of
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.paging import PAGE_SIZE, Pager
from entrypoints.http.services import services_of

R = TypeVar("R")
PREVIEW = 10  # rows of each list on the owner's page; the rest behind "more"
NO_SUCH_LIST = "There is no such list on this page."
CSV_SUFFIX = ".csv"


@dataclass(frozen=True)
class Section(Generic[R]):
    name: str  # in the URL and the CSV's file name
    title: str
    columns: Sequence[Column[R]]
    # The rows of ``window`` (newest first); ``today`` (business time) for what depends on the date.
    fetch: Callable[[StaffReads, Window, date], Awaitable[Sequence[R]]]
    empty: str = "None yet."

    @property
    def page_columns(self) -> list[Column[R]]:
        return [column for column in self.columns if column.on_page]


@dataclass(frozen=True)
class Shown:
    """A section as a page shows it."""

    section: Section[Any]
    rows: Sequence[Any]
    csv_url: str
    more_url: str | None = None  # on the owner's page, when there are more rows than it shows
    pager: Pager | None = None  # on the section's own page


async def _rows(request: AnyRequest, section: Section[R], window: Window) -> Sequence[R]:
    services = services_of(request)
    return await section.fetch(services.staff_reads(), window, services.calendar.today())


async def previews(
    request: AnyRequest, sections: Sequence[Section[Any]], owner: Owner, owner_id: str, base: str
) -> dict[str, Shown]:
    """The first rows of each section, for the owner's page (``base`` is that page's path)."""
    shown: dict[str, Shown] = {}
    for section in sections:
        rows = await _rows(request, section, Window(owner, owner_id, PREVIEW + 1))
        more = f"{base}/{section.name}" if len(rows) > PREVIEW else None
        shown[section.name] = Shown(section, rows[:PREVIEW], f"{base}/{section.name}{CSV_SUFFIX}", more)
    return shown


async def section_page(
    request: AnyRequest,
    sections: Mapping[str, Section[Any]],
    owner: Owner,
    owner_id: str,
    name: str,
    page: int,
    *,
    base: str,
    not_found: str,
) -> Response[Any]:
    """``{base}/{name}``: the section a page at a time; ``{base}/{name}.csv``: all of its rows."""
    as_csv = name.endswith(CSV_SUFFIX)
    section = sections.get(name.removesuffix(CSV_SUFFIX))
    if section is None:
        raise NotFoundException(NO_SUCH_LIST)
    owner_name = await services_of(request).staff_reads().owner_name(owner, owner_id)
    if owner_name is None:
        raise NotFoundException(not_found)
    if as_csv:
        rows = await _rows(request, section, Window(owner, owner_id, MAX_ROWS))
        return csv_of(csv_filename(request), section.columns, rows)
    found = await _rows(request, section, Window(owner, owner_id, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE))
    shown = Shown(
        section,
        found[:PAGE_SIZE],
        f"{base}/{section.name}{CSV_SUFFIX}",
        pager=Pager.of(request, page, has_more=len(found) > PAGE_SIZE),
    )
    title = f"{'Family of ' if owner is Owner.FAMILY else ''}{owner_name}"
    return Template("section.html", context={"shown": shown, "owner_title": title, "back_url": base})
