"""What may happen to a job in each status."""

from __future__ import annotations

import pytest

from domain.errors import Conflict
from domain.jobs import JobStatus, ensure_cancelable, ensure_retryable, may_run


@pytest.mark.parametrize("status", list(JobStatus))
def test_only_finished_and_canceled_jobs_are_skipped_on_delivery(status: JobStatus) -> None:
    assert may_run(status) is (status not in {JobStatus.FINISHED, JobStatus.CANCELED})


@pytest.mark.parametrize("status", list(JobStatus))
def test_only_a_failed_job_can_be_retried(status: JobStatus) -> None:
    if status is JobStatus.FAILED:
        ensure_retryable("j1", status)
    else:
        with pytest.raises(Conflict) as refused:
            ensure_retryable("j1", status)
        assert refused.value.code == "job_not_failed"


@pytest.mark.parametrize("status", list(JobStatus))
def test_only_a_scheduled_or_queued_job_can_be_canceled(status: JobStatus) -> None:
    if status in {JobStatus.SCHEDULED, JobStatus.QUEUED}:
        ensure_cancelable("j1", status)
    else:
        with pytest.raises(Conflict) as refused:
            ensure_cancelable("j1", status)
        assert refused.value.code == "job_not_cancelable"


def test_status_names_follow_rq() -> None:
    assert [s.value for s in JobStatus] == [
        "scheduled",
        "queued",
        "started",
        "finished",
        "failed",
        "canceled",
    ]
