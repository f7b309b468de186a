"""The worker's status transitions, as plain SQL on asyncpg.

Each is a single conditional UPDATE, so a duplicate delivery or a late hook can never move a
job backwards (a canceled job stays canceled, a finished one stays finished). ``started`` and
``finished`` happen for every job, from every worker thread at once: they go through a group
commit (adapters/jobs/group_commit.py), one statement and one commit for all the writes of
both kinds waiting at that moment; each caller still returns only once its own row is
committed, so a job is ``started`` on record before it runs and ``finished`` on record before
its message is acknowledged.
The rarer transitions (a failed attempt, a retry, a dead letter) are one statement each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from adapters.jobs.group_commit import GroupCommit
from adapters.jobs.sql import StatementPool

# Finished and canceled are final (domain.jobs.may_run): nothing a worker does changes them.
_ACTIVE = "jobs.status NOT IN ('canceled', 'finished')"

# ``started`` and ``finished`` writes waiting at the same moment share one statement, so one
# commit (one WAL flush) serves both kinds. A job never appears in both lists of one statement
# (the group commit keeps one write per job id in a batch), so the two parts touch different rows.
_START_AND_FINISH = f"""
WITH finished AS (
    UPDATE jobs SET status = 'finished', result = f.result::jsonb, error = NULL, ended_at = f.at,
                    updated_at = f.at
    FROM unnest($3::uuid[], $4::text[], $5::timestamptz[]) AS f(id, result, at)
    WHERE jobs.id = f.id AND {_ACTIVE}
)
UPDATE jobs SET status = 'started', attempts = jobs.attempts + 1, started_at = s.at, ended_at = NULL,
                updated_at = s.at
FROM unnest($1::uuid[], $2::timestamptz[]) AS s(id, at)
WHERE jobs.id = s.id AND {_ACTIVE}
RETURNING jobs.id, jobs.name, jobs.attempts
"""
_FAIL_FINAL = f"""
UPDATE jobs SET status = 'failed', error = $2, ended_at = $3, updated_at = $3 WHERE id = $1 AND {_ACTIVE}
"""
_FAIL_RETRYING = f"""
UPDATE jobs SET status = 'queued', error = $2, updated_at = $3 WHERE id = $1 AND {_ACTIVE}
"""
_RETRY_ENQUEUED = f"""
UPDATE jobs SET status = 'queued', redis_message_id = $2, scheduled_for = $3, queued_at = $4, updated_at = $4
WHERE id = $1 AND {_ACTIVE}
"""
_DEAD_LETTERED = f"""
UPDATE jobs SET status = 'failed', redis_message_id = $2, ended_at = $3, updated_at = $3
WHERE id = $1 AND {_ACTIVE}
"""
# Bad data (e.g. a result string Postgres's jsonb refuses) fails only its own write.
_BAD_DATA = (asyncpg.DataError,)


@dataclass(frozen=True, slots=True)
class StartedJob:
    name: str
    attempt: int


@dataclass(frozen=True, slots=True)
class _Start:
    id: UUID
    at: datetime


@dataclass(frozen=True, slots=True)
class _Finish:
    id: UUID
    result: str
    at: datetime


class JobStatusRecorder:
    def __init__(self, pool: StatementPool) -> None:
        self._pool = pool
        self._writes: GroupCommit[_Start | _Finish, StartedJob | None] = GroupCommit(
            self._write_all, key=lambda w: w.id, retry_alone_on=_BAD_DATA
        )

    async def start(self, job_id: str) -> StartedJob | None:
        """Mark the job started and count the attempt; None when it must not run (domain ``may_run``)."""
        return await self._writes.submit(_Start(UUID(job_id), datetime.now(UTC)))

    async def finish(self, job_id: str, result: Any) -> None:
        """``result`` must be JSON-serialisable (the middleware makes sure of it)."""
        await self._writes.submit(_Finish(UUID(job_id), json.dumps(result), datetime.now(UTC)))

    async def fail(self, job_id: str, error: str, *, final: bool) -> None:
        """Record a failed attempt: ``failed`` when no retry follows, else back to ``queued``."""
        await self._pool.execute(_FAIL_FINAL if final else _FAIL_RETRYING, UUID(job_id), error, _now())

    async def retry_enqueued(self, job_id: str, redis_message_id: str, eta: datetime | None) -> None:
        """A retry (or its move out of the delay queue) now sits in Redis under a new id."""
        await self._pool.execute(_RETRY_ENQUEUED, UUID(job_id), redis_message_id, eta, _now())

    async def dead_lettered(self, job_id: str, redis_message_id: str) -> None:
        """Dramatiq gave up on the message (retries exhausted, unknown job, ...): it is failed."""
        await self._pool.execute(_DEAD_LETTERED, UUID(job_id), redis_message_id, _now())

    async def _write_all(self, writes: Sequence[_Start | _Finish]) -> list[StartedJob | None]:
        starts = [w for w in writes if isinstance(w, _Start)]
        finishes = [w for w in writes if isinstance(w, _Finish)]
        rows = await self._pool.fetch(
            _START_AND_FINISH,
            [w.id for w in starts], [w.at for w in starts],
            [w.id for w in finishes], [w.result for w in finishes], [w.at for w in finishes],
        )  # fmt: skip
        started = {row[0]: StartedJob(name=row[1], attempt=row[2]) for row in rows}
        return [started.get(w.id) if isinstance(w, _Start) else None for w in writes]


def _now() -> datetime:
    return datetime.now(UTC)
