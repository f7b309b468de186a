"""``/console/jobs``: the background jobs, failed ones first, a page at a time and as CSV, with a retry
(failed) and a cancel (scheduled or queued) through the job API's own ``JobAdmin`` (as ``POST
/jobs/{id}/retry`` and ``/jobs/{id}/cancel`` do), each with its audit entry in the change's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from domain.audit import AuditStamp, who
from domain.errors import DomainError
from domain.jobs import JobRecord, JobStatus
from entrypoints.http.console.access import staff_user_id
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.forms import Form
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.services import services_of

# The tabs, each newest first; "all" is every job.
SHOWN = ("failed", "scheduled", "queued", "started", "finished", "canceled", "all")
Shown = Annotated[str, QueryParameter(max_length=20)]
Name = Annotated[str, QueryParameter(max_length=200)]


def _status(text: str) -> JobStatus | None:
    return JobStatus(text) if text in JobStatus.__members__.values() else None


async def _jobs(request: AnyRequest, status: str, name: str, *, limit: int, offset: int) -> list[JobRecord]:
    records = services_of(request).job_admin.records
    found = _status(status)
    return await records.recent(
        status=found and str(found), name=name.strip() or None, limit=limit, offset=offset
    )


async def jobs_page(
    request: AnyRequest,
    status: str = "failed",
    name: str = "",
    page: int = 1,
    *,
    notice: str | None = None,
    refusal: str | None = None,
) -> Template:
    status = status if status in SHOWN else "failed"
    found = await _jobs(request, status, name, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context: dict[str, Any] = {
        "jobs": found[:PAGE_SIZE],
        "pager": Pager.of(
            request,
            page,
            has_more=len(found) > PAGE_SIZE,
            list_at=("/console/jobs", {"status": status, "name": name}),
        ),
        "status": status,
        "name": name,
        "tabs": SHOWN,
        "notice": notice,
        "refusal": refusal,
    }
    return Template("jobs.html", context=context, status_code=400 if refusal else 200)


@get("/jobs", name="console_jobs")
async def jobs(
    request: AnyRequest, status: Shown = "failed", name: Name = "", page: PageNumber = 1
) -> Template:
    return await jobs_page(request, status, name, page)


@get("/jobs.csv", name="console_jobs_csv")
async def jobs_csv(request: AnyRequest, status: Shown = "failed", name: Name = "") -> Response[bytes]:
    found = await _jobs(request, status if status in SHOWN else "failed", name, limit=MAX_ROWS, offset=0)
    header = ("job_id", "name", "queue", "status", "attempts", "created_at", "scheduled_for", "ended_at",
              "error")  # fmt: skip
    rows = (
        (j.id, j.name, j.queue, str(j.status), j.attempts, j.created_at.isoformat(),
         j.scheduled_for and j.scheduled_for.isoformat(), j.ended_at and j.ended_at.isoformat(), j.error)
        for j in found
    )  # fmt: skip
    return csv_response(csv_filename(request), header, rows)


@dataclass
class BackTo:
    """The list the action was made from, shown again with the outcome."""

    status: str = "failed"
    name: str = ""


async def _act(
    request: AnyRequest,
    back: BackTo,
    what: str,
    action: Callable[[AuditStamp], Awaitable[JobRecord]],
) -> Template:
    services = services_of(request)
    audit = AuditStamp(who("console", await staff_user_id(request)), services.clock.now())
    try:
        job = await action(audit)
    except DomainError as refused:
        return await jobs_page(
            request, back.status, back.name, refusal=f"The job was not {what}: {refused.message}"
        )
    notice = f"Job {job.name} ({job.id}) was {what}; it is {job.status} now (on the audit log)."
    return await jobs_page(request, back.status, back.name, notice=notice)


@post("/jobs/{job_id:str}/retry", name="console_retry_job")
async def retry_job(request: AnyRequest, job_id: FromPath[str], data: Form[BackTo]) -> Template:
    admin = services_of(request).job_admin
    return await _act(request, data, "retried", lambda audit: admin.retry(job_id, audit=audit))


@post("/jobs/{job_id:str}/cancel", name="console_cancel_job")
async def cancel_job(request: AnyRequest, job_id: FromPath[str], data: Form[BackTo]) -> Template:
    admin = services_of(request).job_admin
    return await _act(request, data, "canceled", lambda audit: admin.cancel(job_id, audit=audit))


ROUTES = [jobs, jobs_csv, retry_job, cancel_job]
