"""New job rows written outside a caller's transaction, as plain SQL on asyncpg.

``.delay()`` called with no unit of work open (a script, a job starting another job, the
benchmark's callers) writes its row in a transaction of its own before the message is sent.
Those inserts go through a group commit: concurrent callers share one INSERT and one commit,
and each returns only once its own row is committed, so the outbox order (row first, then the
message) holds for every job. Inside a unit of work the row goes into the caller's session
instead (adapters/jobs/outbox.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from adapters.jobs.group_commit import GroupCommit
from adapters.jobs.sql import StatementPool

_INSERT = """
INSERT INTO jobs (id, name, queue, args, kwargs, status, attempts, scheduled_for, queued_at,
                  created_at, updated_at)
SELECT n.id, n.name, n.queue, n.args::jsonb, n.kwargs::jsonb, n.status, 0, n.scheduled_for,
       n.queued_at, n.created_at, n.created_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])
     AS n(id, name, queue, args, kwargs, status, scheduled_for, queued_at, created_at)
"""


@dataclass(frozen=True, slots=True)
class NewJob:
    id: UUID
    name: str
    queue: str
    args: list[Any]
    kwargs: dict[str, Any]
    status: str
    scheduled_for: datetime | None
    queued_at: datetime | None
    created_at: datetime

    def columns(self) -> dict[str, Any]:
        """The row's values, for the ORM path (a caller's unit of work)."""
        return {
            "id": self.id, "name": self.name, "queue": self.queue, "args": self.args, "kwargs": self.kwargs,
            "status": self.status, "attempts": 0, "scheduled_for": self.scheduled_for,
            "queued_at": self.queued_at, "created_at": self.created_at, "updated_at": self.created_at,
        }  # fmt: skip


class NewJobWriter:
    def __init__(self, pool: StatementPool) -> None:
        self._pool = pool
        self._inserts = GroupCommit(
            self._insert_all, key=lambda job: job.id, retry_alone_on=(asyncpg.DataError,)
        )

    async def insert(self, job: NewJob) -> None:
        await self._inserts.submit(job)

    async def _insert_all(self, jobs: Sequence[NewJob]) -> list[None]:
        await self._pool.execute(
            _INSERT,
            [j.id for j in jobs], [j.name for j in jobs], [j.queue for j in jobs],
            [json.dumps(j.args) for j in jobs], [json.dumps(j.kwargs) for j in jobs],
            [j.status for j in jobs], [j.scheduled_for for j in jobs], [j.queued_at for j in jobs],
            [j.created_at for j in jobs],
        )  # fmt: skip
        return [None] * len(jobs)
