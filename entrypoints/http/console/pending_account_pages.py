"""``/console/pending-accounts``: the accounts an operator prepared by email (``POST /admin/accounts``
without a Clerk user id) that wait for their person to sign up, searched by email, a page at a time
and as CSV. They hold nothing to change: the person's first sign-in with that email takes them."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get
from litestar.params import QueryParameter
from litestar.response import Template

from adapters.postgres.accounts import SqlAlchemyAccounts
from domain.identity import administration
from domain.identity.model import PendingAccount
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.services import services_of

Search = Annotated[str, QueryParameter(max_length=200)]


async def _pending(request: AnyRequest, q: str, *, limit: int, offset: int) -> list[PendingAccount]:
    uow = services_of(request).unit_of_work()
    return await administration.list_pending_accounts(
        uow, SqlAlchemyAccounts(uow), q.strip() or None, limit=limit, offset=offset
    )


@get("/pending-accounts", name="console_pending_accounts")
async def pending_accounts(request: AnyRequest, q: Search = "", page: PageNumber = 1) -> Template:
    found = await _pending(request, q, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context: dict[str, Any] = {
        "pending": found[:PAGE_SIZE],
        "pager": Pager.of(request, page, has_more=len(found) > PAGE_SIZE),
        "q": q,
    }
    return Template("pending_accounts.html", context=context)


@get("/pending-accounts.csv", name="console_pending_accounts_csv")
async def pending_accounts_csv(request: AnyRequest, q: Search = "") -> Response[bytes]:
    found = await _pending(request, q, limit=MAX_ROWS, offset=0)
    rows = ((p.email, ",".join(sorted(p.roles)), p.created_at and p.created_at.isoformat()) for p in found)
    return csv_response(csv_filename(request), ("email", "roles", "created_at"), rows)


ROUTES = [pending_accounts, pending_accounts_csv]
