"""A list as a CSV file: what every console list offers.

Every list's CSV is at its page's path with ``.csv`` (``/console/jobs`` → ``/console/jobs.csv``,
keeping the page's filters), and its file is named after that path (``csv_filename``: ``jobs.csv``,
``families-<id>-ledger.csv``), so a download says which list it is. ``csv_response`` writes any rows;
``Column`` and ``csv_of`` let a list say its columns once, for its page and its CSV alike (the
family's and provider's lists, ``sections``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from litestar import Request, Response

from entrypoints.http.console.formatting import dollars

MAX_ROWS = 10_000
# A cell starting with one of these is a formula to a spreadsheet: written as text instead.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_filename(request: Request[Any, Any, Any]) -> str:
    """The CSV's file name: its path under ``/console/``, ``/`` written ``-``."""
    return request.url.path.removeprefix("/console/").strip("/").replace("/", "-")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return Response(
        buffer.getvalue().encode(),
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to a text type
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: object) -> str:
    if isinstance(value, int | float):
        return str(value)  # a number, negative or not, is no formula: cents stay numbers
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


R = TypeVar("R")


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column of a console list, written once for the page and its CSV: the CSV's name for it
    (``key``), the page's heading, the row's value in the CSV (``value``) and, when the page writes it
    differently (money as $x.xx), on the page (``shown``)."""

    key: str
    heading: str
    value: Callable[[R], object]
    shown: Callable[[R], object] | None = None
    css: str = ""  # the cell's class on the page ("money" right-aligns)
    css_of: Callable[[R], str] | None = None  # a class that depends on the row (a status's colour)
    link: Callable[[R], str | None] | None = None  # the cell links to another console page
    on_page: bool = True  # False: in the CSV only (a page already says it in another column)

    def text(self, row: R) -> str:
        found = (self.shown or self.value)(row)
        return "—" if found is None or found == "" else str(found)

    def classes(self, row: R) -> str:
        return " ".join(c for c in (self.css, self.css_of(row) if self.css_of else "") if c)

    def href(self, row: R) -> str | None:
        return self.link(row) if self.link is not None else None


def money_column(key: str, heading: str, cents: Callable[[R], int | None]) -> Column[R]:
    """Integer cents in the CSV (``…_cents``: exact for a spreadsheet), $x.xx on the page."""
    return Column(key, heading, cents, shown=lambda row: dollars(cents(row)), css="money")


def csv_of(filename: str, columns: Sequence[Column[R]], rows: Iterable[R]) -> Response[bytes]:
    """The rows of a list as its page shows them, every column, as a CSV file."""
    return csv_response(filename, [c.key for c in columns], ([c.value(row) for c in columns] for row in rows))
