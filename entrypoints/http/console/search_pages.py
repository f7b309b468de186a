"""``/console/search``: a family by guardian name, email or phone; a child; a provider. Paginated, and
as CSV (``/console/search.csv``)."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get
from litestar.params import QueryParameter
from litestar.response import Template

from domain.staff_reads import HitKind, Search, SearchHit
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.services import services_of

Text = Annotated[str, QueryParameter(max_length=200)]
Kind = Annotated[str, QueryParameter(max_length=20)]
KINDS = {"": None, **{kind.value: kind for kind in HitKind}}


def _kind(text: str) -> HitKind | None:
    return KINDS.get(text)


async def _hits(request: AnyRequest, q: str, kind: str, *, limit: int, offset: int) -> list[SearchHit]:
    if not q.strip():
        return []
    search = Search(q, _kind(kind), limit=limit, offset=offset)
    return await services_of(request).staff_reads().search(search)


@get("/search", name="console_search")
async def search_page(request: AnyRequest, q: Text = "", kind: Kind = "", page: PageNumber = 1) -> Template:
    found = await _hits(request, q, kind, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context = {
        "q": q,
        "kind": kind if kind in KINDS else "",
        "hits": found[:PAGE_SIZE],
        "pager": Pager.of(request, page, has_more=len(found) > PAGE_SIZE),
    }
    return Template("search.html", context=context)


@get("/search.csv", name="console_search_csv")
async def search_csv(request: AnyRequest, q: Text = "", kind: Kind = "") -> Response[bytes]:
    found = await _hits(request, q, kind, limit=MAX_ROWS, offset=0)
    rows = ((hit.kind.value, hit.id, hit.name, hit.detail, hit.family_id) for hit in found)
    return csv_response(csv_filename(request), ("kind", "id", "name", "detail", "family_id"), rows)


ROUTES = [search_page, search_csv]
