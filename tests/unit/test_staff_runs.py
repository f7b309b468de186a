"""A staff run: its job and its ``run.started`` entry are one transaction (both, or neither when the
commit or either write fails); an unknown kind is refused before anything is written; its progress is
done only once the job has ended and none of its batch's messages is pending."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.audit import AuditEntry, AuditStamp
from domain.jobs import JobRecord, JobStatus
from domain.notifications.batches import BatchCounts, BatchProgress, MessageBatch
from domain.staff_runs import (
    RUN_KINDS,
    RunNotFound,
    RunProgress,
    RunUnitOfWork,
    StaffRun,
    batch_id_of,
    run_from_entry,
    run_of_kind,
    start_run,
)
from entrypoints.jobs import catalogue, job_manager
from tests.fakes import FakeAuditLog, FakeProgrammeUnitOfWork

AT = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
STAMP = AuditStamp("console:user_staff", AT)


class CommitFails(FakeProgrammeUnitOfWork):
    async def commit(self) -> None:
        raise ConnectionError("the database went away at COMMIT")


class AuditFails(FakeAuditLog):
    async def record(self, entry: AuditEntry) -> None:
        raise ConnectionError("the audit log could not be written")


def _uow(uow: FakeProgrammeUnitOfWork) -> RunUnitOfWork:
    return uow  # mypy: the fake is the narrow port


async def test_the_job_and_its_audit_entry_commit_together() -> None:
    uow = FakeProgrammeUnitOfWork()
    run = await start_run(_uow(uow), "invite-reminders", audit=STAMP)
    assert uow.commits == 1
    assert uow.state.jobs == [("job", "invitations.send_invite_reminders", None, (), {})]
    [entry] = uow.audit.committed()
    assert (entry.action, entry.record_type, entry.record_id, entry.actor, entry.at) == (
        "run.started",
        "job",
        run.job_id,
        "console:user_staff",
        AT,
    )
    assert entry.after == {"kind": "invite-reminders", "job_name": "invitations.send_invite_reminders"}
    assert run == StaffRun("invite-reminders", run.job_id, "console:user_staff", AT)
    assert run_from_entry(entry) == run


async def test_a_failing_commit_leaves_neither_the_job_nor_the_entry() -> None:
    uow = CommitFails()
    with pytest.raises(ConnectionError):
        await start_run(_uow(uow), "payment-reminders", audit=STAMP)
    assert uow.state.jobs == []
    assert uow.audit.committed() == []


async def test_a_failing_audit_write_leaves_no_job() -> None:
    uow = FakeProgrammeUnitOfWork()
    uow.audit = AuditFails(uow)
    with pytest.raises(ConnectionError):
        await start_run(_uow(uow), "attendance-reminders", audit=STAMP)
    assert (uow.commits, uow.state.jobs) == (0, [])


async def test_an_unknown_kind_is_refused_in_words_before_anything_is_written() -> None:
    uow = FakeProgrammeUnitOfWork()
    with pytest.raises(RunNotFound) as refused:
        await start_run(_uow(uow), "everyone-at-once", audit=STAMP)
    assert refused.value.message == (
        "There is no run called “everyone-at-once”; staff may start: "
        "attendance-reminders, payment-reminders, invite-reminders."
    )
    assert (uow.commits, uow.state.jobs, uow.audit.committed()) == (0, [], [])


def test_every_kind_is_a_job_the_workers_know() -> None:
    assert catalogue.JOB_MODULES  # every job module registered
    for kind in RUN_KINDS:
        assert run_of_kind(kind.kind) is kind
        assert job_manager.definition(kind.job_name).name == kind.job_name


def test_only_run_started_entries_are_runs() -> None:
    other = STAMP.entry("job.retried", "job", "j-1", {"status": "failed"}, {"status": "queued"})
    assert run_from_entry(other) is None


def _job(status: JobStatus, result: object = None) -> JobRecord:
    return JobRecord("j-1", "invitations.send_invite_reminders", "default", status, [], {}, 1, result,
                     None, AT, None, None, None, None, None)  # fmt: skip


def _batch(total: int, pending: int, sent: int, failed: int) -> BatchProgress:
    return BatchProgress(MessageBatch(7, "Invite reminders", "invite_reminder", {}, AT),
                         BatchCounts(total, pending, sent, failed))  # fmt: skip


def test_the_batch_is_the_one_the_result_names() -> None:
    assert batch_id_of({"batch_id": 7, "reminded": 2}) == 7
    assert batch_id_of({"batch_id": None}) is None  # nobody was to be reminded
    assert batch_id_of(None) is None  # not finished yet
    assert batch_id_of({"batch_id": True}) is None


def test_a_run_is_done_when_its_job_ended_and_no_message_is_pending() -> None:
    assert not RunProgress(_job(JobStatus.QUEUED)).done
    assert not RunProgress(_job(JobStatus.STARTED)).done
    going = RunProgress(_job(JobStatus.FINISHED, {"batch_id": 7}), _batch(4, 1, 2, 1))
    assert (going.done, going.percent) == (False, 75)
    over = RunProgress(_job(JobStatus.FINISHED, {"batch_id": 7}), _batch(4, 0, 3, 1))
    assert (over.done, over.percent) == (True, 100)
    nobody = RunProgress(_job(JobStatus.FINISHED, {"batch_id": None}))
    assert (nobody.done, nobody.percent) == (True, 100)
    assert RunProgress(_job(JobStatus.FAILED)).done
