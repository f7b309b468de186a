"""The job API (API key): status, retry, cancel, queue info, recent jobs, schedules, the demo job.

Shapes follow the original system's job API; extra fields are additions, never renames.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Response, Router, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from domain.audit import AuditStamp, who
from domain.errors import Conflict
from domain.jobs import JobRecord, JobStatus, ScheduleRecord
from entrypoints.http.api_keys import require_api_key
from entrypoints.http.services import WebServices
from entrypoints.jobs.example import MAX_SLEEP_SECONDS, example_job

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]  # Redis lists: deeper pages are not worth reading


class ExampleJobRequest(msgspec.Struct, forbid_unknown_fields=True):
    delay_seconds: Annotated[float, msgspec.Meta(ge=0, le=86_400)] = 0
    sleep_time: Annotated[float, msgspec.Meta(ge=0, le=MAX_SLEEP_SECONDS)] = 0
    fail: bool = False


def _services(state: State) -> WebServices:
    services: WebServices = state.services
    return services


def _stamp(state: State) -> AuditStamp:
    """The job API's changes are on the audit log as the API key's (the only way in)."""
    return AuditStamp(who("admin-api", "api-key"), _services(state).clock.now())


def job_body(job: JobRecord) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": str(job.status),
        "result": job.result,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "ended_at": job.ended_at,
        "func_name": job.name,
        "args": job.args,
        "kwargs": job.kwargs,
        "attempts": job.attempts,
        "error": job.error,
        "scheduled_for": job.scheduled_for,
        "queue": job.queue,
        "queued_at": job.queued_at,
        "schedule_id": job.schedule_id,
    }


def schedule_body(schedule: ScheduleRecord) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "func_name": schedule.job_name,
        "cron": schedule.cron,
        "args": schedule.args,
        "kwargs": schedule.kwargs,
        "timezone": schedule.timezone,
        "system": schedule.is_system,
        "last_fired_for": schedule.last_fired_for,
        "created_at": schedule.created_at,
    }


@get("/jobs/{job_id:str}/status", summary="A job's status, result and timings")
async def job_status(state: State, job_id: FromPath[str]) -> dict[str, Any]:
    return job_body(await _services(state).job_admin.records.get(job_id))


@post("/jobs/{job_id:str}/retry", status_code=200, summary="Run a failed job again (same id)")
async def retry_job(state: State, job_id: FromPath[str]) -> Response[dict[str, Any]]:
    try:
        await _services(state).job_admin.retry(job_id, audit=_stamp(state))
    except Conflict as exc:
        # The original API answered {"status": "error", "error": ...}; keep that beside our shape.
        body = {
            "status": "error",
            "error": exc.message,
            "code": exc.code,
            "details": exc.details,
            "job_id": job_id,
        }
        return Response(body, status_code=409)
    return Response({"status": "retried", "job_id": job_id}, status_code=200)


@post("/jobs/{job_id:str}/cancel", status_code=200, summary="Cancel a scheduled or queued job")
async def cancel_job(state: State, job_id: FromPath[str]) -> dict[str, Any]:
    job = await _services(state).job_admin.cancel(job_id, audit=_stamp(state))
    return {"status": str(job.status), "job_id": job.id}


@get("/jobs/queue-info", summary="Queue lengths and the next jobs of each queue")
async def queue_info(state: State, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
    infos = await _services(state).job_admin.queue_info(limit=limit, offset=offset)
    queues = [
        {
            "name": info.counts.name,
            "length": info.counts.length,
            "in_progress": info.counts.in_progress,
            "scheduled": info.scheduled,
            "delayed": info.counts.delayed,
            "dead_lettered": info.counts.dead_lettered,
            "jobs": [
                {
                    "id": job.id,
                    "func_name": job.func_name,
                    "created_at": job.record.created_at if job.record else _from_ms(job.created_at_ms),
                    "status": str(job.record.status) if job.record else str(JobStatus.QUEUED),
                }
                for job in info.jobs
            ],
        }
        for info in infos
    ]
    default = next(q for q in queues if q["name"] == "default")
    return {**default, "queues": queues, "limit": limit, "offset": offset}


@get("/jobs", summary="Recent jobs, newest first, filtered by status and name")
async def recent_jobs(
    state: State,
    status: FromQuery[JobStatus | None] = None,
    name: FromQuery[str | None] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    jobs = await _services(state).job_admin.records.recent(
        status=status, name=name, limit=limit, offset=offset
    )
    next_offset = offset + limit if len(jobs) == limit else None
    return {
        "jobs": [job_body(job) for job in jobs],
        "limit": limit,
        "offset": offset,
        "next_offset": next_offset,
    }


@get("/schedules", summary="Cron schedules (run-time and system)")
async def list_schedules(state: State) -> dict[str, Any]:
    schedules = await _services(state).job_admin.records.schedules()
    return {"schedules": [schedule_body(s) for s in schedules]}


@delete("/schedules/{schedule_id:str}", status_code=200, summary="Delete a run-time cron schedule")
async def delete_schedule(state: State, schedule_id: FromPath[str]) -> dict[str, Any]:
    await _services(state).job_admin.delete_schedule(schedule_id, audit=_stamp(state))
    return {"status": "deleted", "schedule_id": schedule_id}


@post("/example-job", status_code=202, summary="Enqueue the demo job (fail=true makes it raise)")
async def enqueue_example_job(state: State, data: JSONBody[ExampleJobRequest]) -> dict[str, Any]:
    # In a unit of work: the row is written on this loop's session and the message sent after the
    # commit off the loop, so neither Postgres nor a slow Redis ever blocks other requests.
    async with _services(state).unit_of_work() as uow:
        if data.delay_seconds > 0:
            job_id = example_job.delay_in(timedelta(seconds=data.delay_seconds), data.sleep_time, data.fail)
        else:
            job_id = example_job.delay(data.sleep_time, data.fail)
        await uow.commit()
    return {"message": "Example job enqueued", "job_id": job_id}


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


router = Router(
    path="/",
    guards=[require_api_key],
    route_handlers=[
        job_status,
        retry_job,
        cancel_job,
        queue_info,
        recent_jobs,
        list_schedules,
        delete_schedule,
        enqueue_example_job,
    ],
)
ROUTES = [router]
