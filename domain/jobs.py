"""Background jobs in the programme's terms: statuses, what may happen to a job in each, and the
rule that a job's arguments are plain JSON.

Status names follow RQ so that existing clients of the job API keep working.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.audit import Snapshot
from domain.errors import Conflict


class JobStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (delayed, or fired by a cron later)
    QUEUED = "queued"  # its message is (or is about to be) in Redis; includes retries in backoff
    STARTED = "started"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELED = "canceled"


ENDED = frozenset({JobStatus.FINISHED, JobStatus.FAILED, JobStatus.CANCELED})
CANCELABLE = frozenset({JobStatus.SCHEDULED, JobStatus.QUEUED})


class JobArgumentsError(TypeError):
    """A job was called with arguments that cannot travel as JSON (refused at call time)."""


def may_run(status: JobStatus) -> bool:
    """Whether a delivered message may run the job.

    Delivery is at-least-once: a duplicate of a finished job, or a message of a canceled one,
    must do nothing. A ``started`` job may run again: its worker died and Redis redelivered it.
    """
    return status not in {JobStatus.FINISHED, JobStatus.CANCELED}


def ensure_retryable(job_id: str, status: JobStatus) -> None:
    if status is not JobStatus.FAILED:
        raise Conflict(
            f"Job {job_id} is {status}; only a failed job can be retried.",
            code="job_not_failed",
            details={"job_id": job_id, "status": str(status)},
        )


def ensure_cancelable(job_id: str, status: JobStatus) -> None:
    if status not in CANCELABLE:
        raise Conflict(
            f"Job {job_id} is {status}; only a scheduled or queued job can be canceled.",
            code="job_not_cancelable",
            details={"job_id": job_id, "status": str(status)},
        )


def check_json_arguments(job_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse, naming the culprit, any argument that JSON cannot carry to the worker unchanged."""
    for position, value in enumerate(args):
        _check_value(job_name, f"argument {position}", value)
    for key, value in kwargs.items():
        _check_value(job_name, f"argument {key!r}", value)


def _check_value(job_name: str, label: str, value: Any) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise JobArgumentsError(
            f"{job_name}: {label} ({type(value).__name__}) is not JSON-serialisable: {exc}. "
            "Pass plain data (ids, strings, numbers, lists, dicts) and load the rest in the job."
        ) from None
    if isinstance(value, dict) and any(not isinstance(k, str) for k in _all_keys(value)):
        raise JobArgumentsError(f"{job_name}: {label} has non-string dict keys; JSON would change them.")


def _all_keys(value: Any) -> list[Any]:
    keys: list[Any] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            keys.append(key)
            keys.extend(_all_keys(inner))
    elif isinstance(value, list | tuple):
        for inner in value:
            keys.extend(_all_keys(inner))
    return keys


@dataclass(frozen=True, slots=True)
class JobRecord:
    """What the system of record knows about one job."""

    id: str
    name: str
    queue: str
    status: JobStatus
    args: list[Any]
    kwargs: dict[str, Any]
    attempts: int
    result: Any
    error: str | None
    created_at: datetime
    scheduled_for: datetime | None
    queued_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    schedule_id: str | None


@dataclass(frozen=True, slots=True)
class ScheduleRecord:
    id: str
    job_name: str
    cron: str
    args: list[Any]
    kwargs: dict[str, Any]
    timezone: str | None
    system_key: str | None
    last_fired_for: datetime | None
    created_at: datetime

    @property
    def is_system(self) -> bool:
        """Declared in code next to its job; changed by deploying code, not over the API."""
        return self.system_key is not None


# An error on the audit log is cut to this length: the job's record keeps the whole traceback.
_AUDIT_ERROR_CHARS = 300


def job_snapshot(job: JobRecord) -> Snapshot:
    """What the audit log keeps of a job before and after an operator's retry or cancel."""
    error = job.error[-_AUDIT_ERROR_CHARS:] if job.error else None
    return {"name": job.name, "queue": job.queue, "status": str(job.status), "attempts": job.attempts,
            "error": error}  # fmt: skip


def schedule_snapshot(schedule: ScheduleRecord) -> Snapshot:
    """What the audit log keeps of a run-time cron schedule an operator deleted."""
    return {
        "job_name": schedule.job_name,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "args": json.dumps(schedule.args),
        "kwargs": json.dumps(schedule.kwargs, sort_keys=True),
    }
