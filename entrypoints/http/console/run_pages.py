"""``/console/runs``: reminder runs started by staff now, rather than on their schedule, and their progress.

A Start button asks for the kind's own job (the one its schedule fires) through ``start_run``, which
writes ``run.started`` to the audit log in the job's transaction; the run's page follows it as
``cap-portal … remind --follow`` does: the job's status, then its message batch's counts, refreshing
itself every two seconds until nothing more will change. The recent runs are the log's ``run.started``
entries, each with its job's status now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from domain.audit import AuditQuery, AuditStamp, who
from domain.jobs import JobRecord
from domain.notifications.batches import get_batch
from domain.staff_runs import (
    RUN_KINDS,
    RUN_RECORD_TYPE,
    RUN_STARTED,
    RunKind,
    RunNotFound,
    RunProgress,
    StaffRun,
    batch_id_of,
    run_from_entry,
    run_of_kind,
    start_run,
)
from entrypoints.http.console.access import staff_user_id
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.services import services_of

# The run's page asks the browser to load it again this often until the run is done.
REFRESH_SECONDS = 2


@dataclass(frozen=True, slots=True)
class RecentRun:
    run: StaffRun
    title: str
    job: JobRecord | None  # None: its job's record is gone

    @property
    def status(self) -> str:
        return str(self.job.status) if self.job is not None else "unknown"

    @property
    def ended_at(self) -> datetime | None:
        return self.job.ended_at if self.job is not None else None


async def _recent(request: AnyRequest, *, limit: int, offset: int) -> list[RecentRun]:
    services = services_of(request)
    query = AuditQuery(record_type=RUN_RECORD_TYPE, action=RUN_STARTED, limit=limit, offset=offset)
    runs = [run for run in map(run_from_entry, await services.audit_reads().entries(query)) if run]
    jobs = await services.job_admin.records.statuses([run.job_id for run in runs])
    titles = {kind.kind: kind.title for kind in RUN_KINDS}
    return [RecentRun(run, titles.get(run.kind, run.kind), jobs.get(run.job_id)) for run in runs]


@get("/runs", name="console_runs")
async def runs(request: AnyRequest, page: PageNumber = 1) -> Template:
    found = await _recent(request, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    context: dict[str, Any] = {
        "kinds": RUN_KINDS,
        "runs": found[:PAGE_SIZE],
        "pager": Pager.of(request, page, has_more=len(found) > PAGE_SIZE),
    }
    return Template("runs.html", context=context)


@get("/runs.csv", name="console_runs_csv")
async def runs_csv(request: AnyRequest) -> Response[bytes]:
    found = await _recent(request, limit=MAX_ROWS, offset=0)
    header = ("job_id", "kind", "started_by", "started_at", "status", "ended_at")
    rows = (
        (r.run.job_id, r.run.kind, r.run.started_by, r.run.started_at.isoformat(), r.status,
         r.ended_at and r.ended_at.isoformat())
        for r in found
    )  # fmt: skip
    return csv_response(csv_filename(request), header, rows)


@post("/runs/{kind:str}", name="console_start_run")
async def start(request: AnyRequest, kind: FromPath[str]) -> Redirect:
    services = services_of(request)
    audit = AuditStamp(who("console", await staff_user_id(request)), services.clock.now())
    run = await start_run(services.notifications_unit_of_work(), kind, audit=audit)
    # After a POST, a page of its own (303): reloading it follows the run, never starts another.
    return Redirect(f"/console/runs/{run.kind}/{run.job_id}", status_code=303)


async def _progress(request: AnyRequest, run: RunKind, job_id: str) -> RunProgress:
    services = services_of(request)
    job = await services.job_admin.records.get(job_id)  # no such job: a readable 404
    if job.name != run.job_name:
        raise RunNotFound(f"Job {job_id} is not a run of {run.title.lower()}.", details={"job_id": job_id})
    batch_id = batch_id_of(job.result)
    if batch_id is None:
        return RunProgress(job)
    return RunProgress(job, await get_batch(services.notifications_unit_of_work(), batch_id))


@get("/runs/{kind:str}/{job_id:str}", name="console_run")
async def run_page(request: AnyRequest, kind: FromPath[str], job_id: FromPath[str]) -> Template:
    run = run_of_kind(kind)
    progress = await _progress(request, run, job_id)
    context: dict[str, Any] = {
        "kind": run,
        "progress": progress,
        "result": progress.job.result if isinstance(progress.job.result, dict) else {},
        "refresh_seconds": None if progress.done else REFRESH_SECONDS,
    }
    return Template("run.html", context=context)


ROUTES = [runs, runs_csv, start, run_page]
