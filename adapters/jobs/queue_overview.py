"""The job records queue-info needs, in one plain asyncpg statement.

Queue-info shows, beside what Redis holds, how many jobs wait for their time per queue and the
status of the messages on the page. Both come from one ``UNION ALL`` (one round trip, prepared
once per connection) rather than two ORM queries: this route is polled by dashboards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from adapters.jobs.sql import StatementPool, job_key
from domain.jobs import JobStatus

OVERVIEW_STATEMENT = """
SELECT queue, count(*) AS scheduled, NULL::uuid AS id, NULL::text AS status, NULL::timestamptz AS created_at
  FROM jobs WHERE status = 'scheduled' GROUP BY queue
UNION ALL
SELECT queue, NULL, id, status, created_at FROM jobs WHERE id = ANY($1::uuid[])
"""


@dataclass(frozen=True, slots=True)
class JobSummary:
    status: JobStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class QueueOverview:
    scheduled: dict[str, int]  # per queue: jobs waiting for their time
    jobs: dict[str, JobSummary]  # per job id asked for, when it has a record


class QueueOverviews:
    def __init__(self, pool: StatementPool) -> None:
        self._pool = pool

    async def read(self, job_ids: Sequence[str]) -> QueueOverview:
        ids = [parsed for parsed in map(job_key, job_ids) if parsed is not None]
        scheduled: dict[str, int] = {}
        jobs: dict[str, JobSummary] = {}
        for row in await self._pool.fetch(OVERVIEW_STATEMENT, ids):
            if row["id"] is None:
                scheduled[row["queue"]] = row["scheduled"]
            else:
                jobs[str(row["id"])] = JobSummary(JobStatus(row["status"]), row["created_at"])
        return QueueOverview(scheduled, jobs)
