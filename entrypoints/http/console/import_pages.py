"""``/console/imports``: bulk imports of families, providers and links from the console, as ``cap-portal
import`` does them, and their progress.

The upload is read as the command reads a file (a file that cannot be read is refused in words and
nothing is stored); a readable one is stored with its row, its job asked for and ``import.started``
written in one transaction (domain/bulk_imports.py). The import's page shows the row's counts as the
job updates them, refreshing itself every two seconds until the import is done or failed."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from adapters.postgres.bulk_imports import PostgresBulkImportReads, SqlAlchemyBulkImportUnitOfWork
from domain.audit import AuditStamp, who
from domain.bulk_imports import MAX_IMPORT_BYTES, BulkImport, NewImport, start_import
from entrypoints.bulk_import.records import ImportFileError, Kind
from entrypoints.bulk_import.upload import decode, file_format, read_records
from entrypoints.http.console.access import staff_user_id
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.services import services_of

REFRESH_SECONDS = 2
# Above this the server refuses the body itself (413, a page in words); between MAX_IMPORT_BYTES and
# this the page says how large the file was.
MAX_UPLOAD_BODY = 2 * MAX_IMPORT_BYTES


def _reads(request: AnyRequest) -> PostgresBulkImportReads:
    return PostgresBulkImportReads(services_of(request).session_factory)


async def imports_page(
    request: AnyRequest, page: int = 1, *, refusal: str | None = None, status_code: int = 200
) -> Template:
    found = await _reads(request).recent(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context: dict[str, Any] = {
        "imports": found[:PAGE_SIZE],
        "kinds": [kind.value for kind in Kind],
        "max_mb": MAX_IMPORT_BYTES // (1024 * 1024),
        "refusal": refusal,
        "pager": Pager.of(request, page, has_more=len(found) > PAGE_SIZE),
    }
    return Template("imports.html", context=context, status_code=status_code)


@get("/imports", name="console_imports")
async def imports(request: AnyRequest, page: PageNumber = 1) -> Template:
    return await imports_page(request, page)


@get("/imports.csv", name="console_imports_csv")
async def imports_csv(request: AnyRequest) -> Response[bytes]:
    found = await _reads(request).recent(limit=MAX_ROWS, offset=0)
    header = ("id", "file_name", "format", "kind", "started_by", "started_at", "status", "total",
              "created", "updated", "unchanged", "rejected")  # fmt: skip
    rows = (
        (i.id, i.file_name, i.file_format, i.kind or "", i.started_by, i.created_at.isoformat(), i.status,
         i.total, i.counts.created, i.counts.updated, i.counts.unchanged, i.counts.rejected)
        for i in found
    )  # fmt: skip
    return csv_response(csv_filename(request), header, rows)


async def _upload(request: AnyRequest, started_by: str) -> NewImport:
    """The form's file as the import's row; ``ImportFileError`` says in words why it cannot be."""
    form = await request.form()
    upload, kind_text = form.get("file"), str(form.get("kind") or "")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ImportFileError("choose a file to import")
    if kind_text and kind_text not in {k.value for k in Kind}:
        raise ImportFileError(f"there is no kind of record called “{kind_text}”")
    content = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it")
    kind = Kind(kind_text) if kind_text else None
    text, found_format = decode(content), file_format(upload.filename)
    records = read_records(text, found_format, kind)
    return NewImport(started_by, upload.filename[:255], found_format, kind and kind.value, text, len(records))


@post("/imports", name="console_start_import", request_max_body_size=MAX_UPLOAD_BODY)
async def start(request: AnyRequest) -> Response[Any]:
    services = services_of(request)
    actor = who("console", await staff_user_id(request))
    try:
        new = await _upload(request, actor)
    except ImportFileError as exc:
        return await imports_page(request, refusal=f"The file was not imported: {exc}.", status_code=400)
    uow = SqlAlchemyBulkImportUnitOfWork(services.session_factory, jobs=services.job_queue)
    import_id = await start_import(uow, new, audit=AuditStamp(actor, services.clock.now()))
    # After a POST, a page of its own (303): reloading it follows the import, never starts another.
    return Redirect(f"/console/imports/{import_id}", status_code=303)


@get("/imports/{import_id:int}", name="console_import")
async def import_page(request: AnyRequest, import_id: FromPath[int]) -> Template:
    found: BulkImport = await _reads(request).get(import_id)
    context = {"imp": found, "refresh_seconds": None if found.done else REFRESH_SECONDS}
    return Template("import.html", context=context)


ROUTES = [imports, imports_csv, start, import_page]
