"""Identity's jobs: the directory (Clerk public_metadata) write that onboarding asks for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from adapters.postgres.accounts import SqlAlchemyAccounts
from domain.identity.directory_sync import SYNC_DIRECTORY_JOB, sync_directory
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import job_context


# Clerk outages are usually minutes, sometimes hours: backoff from 30 s doubling up to an hour, ten
# retries, spans roughly five hours before the job is marked failed (then `POST /jobs/{id}/retry`).
@job_manager.job(
    name=SYNC_DIRECTORY_JOB,
    max_retries=10,
    min_backoff=timedelta(seconds=30),
    max_backoff=timedelta(hours=1),
    time_limit=timedelta(minutes=1),
)
async def sync_directory_job(clerk_user_id: str) -> dict[str, Any]:
    context = job_context()
    if not context.directory_configured:
        # Development without a Clerk secret key: there is no directory to retry against.
        return {"clerk_user_id": clerk_user_id, "written": False, "reason": "directory_not_configured"}
    uow = context.unit_of_work()
    done = await sync_directory(uow, SqlAlchemyAccounts(uow), context.directory, clerk_user_id)
    return {
        "clerk_user_id": done.clerk_user_id,
        "written": done.written,
        "reason": done.reason,
        "metadata": done.metadata,
    }
