"""``/console/audit``: the audit log, newest first, filtered by record or by who; read-only."""

from __future__ import annotations

import json
from typing import Annotated

from litestar import Response, get
from litestar.params import QueryParameter
from litestar.response import Template

from domain.audit import AuditQuery
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.services import services_of

Filter = Annotated[str | None, QueryParameter(max_length=200)]


@get("/audit", name="console_audit")
async def audit_log(
    request: AnyRequest,
    record_type: Filter = None,
    record_id: Filter = None,
    actor: Filter = None,
    page: PageNumber = 1,
) -> Template:
    query = AuditQuery(
        record_type=record_type or None,
        record_id=record_id or None,
        actor=actor or None,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    found = await services_of(request).audit_reads().entries(query)
    pager = Pager.of(request, page, has_more=len(found) > PAGE_SIZE)
    filters = {"record_type": record_type or "", "record_id": record_id or "", "actor": actor or ""}
    return Template("audit.html", context={"entries": found[:PAGE_SIZE], "pager": pager, "filters": filters})


@get("/audit.csv", name="console_audit_csv")
async def audit_csv(
    request: AnyRequest, record_type: Filter = None, record_id: Filter = None, actor: Filter = None
) -> Response[bytes]:
    query = AuditQuery(record_type or None, record_id or None, actor or None, limit=MAX_ROWS)
    found = await services_of(request).audit_reads().entries(query)
    header = ("id", "at", "actor", "action", "record_type", "record_id", "changed", "before", "after")
    rows = (
        (
            e.id,
            e.at.isoformat(),
            e.actor,
            e.action,
            e.record_type,
            e.record_id,
            " ".join(e.changed_fields()),
            json.dumps(e.before),
            json.dumps(e.after),
        )
        for e in found
    )
    return csv_response(csv_filename(request), header, rows)


ROUTES = [audit_log, audit_csv]
