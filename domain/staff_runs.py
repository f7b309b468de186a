"""Runs staff start by hand from the console: a reminder run now, instead of waiting for its schedule.

A run is the kind's own job (the one its schedule fires), asked for through the unit of work so the
job's record and the run's audit entry (``run.started``, record type ``job``, record id the job's id)
commit together: there is never a run without its entry, nor an entry for a run that was not asked
for. Its progress is the job's status and then, once the job's result names its message batch, the
batch's counts (domain/notifications/batches.py), which are counted from the messages themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from domain.attendance.reminders import SEND_ATTENDANCE_REMINDERS_JOB
from domain.audit import AuditEntry, AuditLog, AuditStamp
from domain.errors import NotFound
from domain.invitations.reminders import SEND_INVITE_REMINDERS_JOB
from domain.jobs import ENDED, JobRecord, JobStatus
from domain.money.use_cases.jobs import SEND_PAYMENT_REMINDERS
from domain.notifications.batches import BatchProgress
from domain.ports import TransactionJobs, UnitOfWork

RUN_STARTED = "run.started"
RUN_RECORD_TYPE = "job"


@dataclass(frozen=True, slots=True)
class RunKind:
    """What staff may start: ``kind`` is the console's word for it (its path), ``job_name`` its job."""

    kind: str
    job_name: str
    title: str
    about: str


RUN_KINDS: tuple[RunKind, ...] = (
    RunKind(
        "attendance-reminders",
        SEND_ATTENDANCE_REMINDERS_JOB,
        "Attendance reminders",
        "Families and providers with attendance due: “confirm last week's attendance”.",
    ),
    RunKind(
        "payment-reminders",
        SEND_PAYMENT_REMINDERS,
        "Payment reminders",
        "Families who could pay for next week and have paid none of it yet: “pay your provider by Monday”.",
    ),
    RunKind(
        "invite-reminders",
        SEND_INVITE_REMINDERS_JOB,
        "Invite reminders",
        "Families with no provider in the programme who never invited one: “invite your provider”.",
    ),
)
_BY_KIND = {run.kind: run for run in RUN_KINDS}
_BY_JOB = {run.job_name: run for run in RUN_KINDS}


class RunNotFound(NotFound):
    code = "run_not_found"
    default_message = "No such run"


def run_of_kind(kind: str) -> RunKind:
    found = _BY_KIND.get(kind)
    if found is None:
        known = ", ".join(run.kind for run in RUN_KINDS)
        raise RunNotFound(
            f"There is no run called “{kind}”; staff may start: {known}.", details={"kind": kind}
        )
    return found


def run_of_job(job_name: str) -> RunKind | None:
    return _BY_JOB.get(job_name)


class RunUnitOfWork(UnitOfWork, Protocol):
    """What starting a run needs: the job outbox and the audit log, in one transaction."""

    @property
    def jobs(self) -> TransactionJobs: ...
    @property
    def audit(self) -> AuditLog: ...


@dataclass(frozen=True, slots=True)
class StaffRun:
    kind: str
    job_id: str
    started_by: str  # the audit entry's actor: "console:<clerk user id>"
    started_at: datetime


async def start_run(uow: RunUnitOfWork, kind: str, *, audit: AuditStamp) -> StaffRun:
    """The kind's job, asked for now, and its ``run.started`` entry, committed together."""
    run = run_of_kind(kind)  # an unknown kind is refused before anything is written
    async with uow:
        job_id = await uow.jobs.enqueue(run.job_name)
        after = {"kind": run.kind, "job_name": run.job_name}
        await uow.audit.record(audit.entry(RUN_STARTED, RUN_RECORD_TYPE, job_id, None, after))
        await uow.commit()
    return StaffRun(run.kind, job_id, audit.actor, audit.at)


def run_from_entry(entry: AuditEntry) -> StaffRun | None:
    """The run a ``run.started`` entry records (None for any other entry)."""
    kind = (entry.after or {}).get("kind")
    if entry.action != RUN_STARTED or entry.record_type != RUN_RECORD_TYPE or not isinstance(kind, str):
        return None
    return StaffRun(kind, entry.record_id, entry.actor, entry.at)


def batch_id_of(result: Any) -> int | None:
    """The message batch a reminder job's result names (None before it finished, or when nobody was
    to be reminded: a run that asks for no message makes no batch)."""
    found = result.get("batch_id") if isinstance(result, Mapping) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


@dataclass(frozen=True, slots=True)
class RunProgress:
    """A run as it stands: its job, and its batch once the job has named one."""

    job: JobRecord
    batch: BatchProgress | None = None

    @property
    def done(self) -> bool:
        """Nothing more will change: the job ended and none of its batch's messages is pending."""
        if self.job.status not in ENDED:
            return False
        return self.batch is None or self.batch.done

    @property
    def percent(self) -> int:
        """How much of the run is done, for a progress bar: the batch's messages sent or failed."""
        if self.batch is None:
            return 100 if self.done else 0
        counts = self.batch.counts
        if counts.total == 0:
            return 100
        return (counts.sent + counts.failed) * 100 // counts.total

    @property
    def finished(self) -> bool:
        return self.job.status is JobStatus.FINISHED
