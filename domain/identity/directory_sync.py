"""The directory write as a job: an account's public metadata written to the directory later.

Onboarding asks for this job in its own transaction, so the write is never lost even when the
directory is down at that moment (or the process dies before its immediate attempt). The job writes
the account's metadata as it is when the job runs, not as it was when asked for, so a job that runs
late or twice can never put back an older state.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import NotFound
from domain.identity.model import public_metadata
from domain.identity.ports import AccountRepository, IdentityDirectory
from domain.ports import JobQueue, UnitOfWork

SYNC_DIRECTORY_JOB = "identity.sync_directory"


def request_directory_sync(jobs: JobQueue, clerk_user_id: str) -> str:
    """Ask for the job (inside the caller's open unit of work, so it commits with the change)."""
    return jobs.enqueue(SYNC_DIRECTORY_JOB, clerk_user_id)


@dataclass(frozen=True, slots=True)
class DirectorySync:
    clerk_user_id: str
    written: bool
    # Why nothing was written, when nothing was: a machine-readable code.
    reason: str | None = None
    metadata: dict[str, object] | None = None


async def sync_directory(
    uow: UnitOfWork, accounts: AccountRepository, directory: IdentityDirectory, clerk_user_id: str
) -> DirectorySync:
    """Write the account's current metadata. ``DependencyUnavailable`` (the directory is down) is
    left to the caller, whose job is retried with backoff; the other outcomes are final."""
    async with uow:
        account = await accounts.get(clerk_user_id)
    if account is None:
        return DirectorySync(clerk_user_id, written=False, reason="account_not_found")
    metadata = public_metadata(account)
    try:
        await directory.write_public_metadata(clerk_user_id, metadata)
    except NotFound:
        # Retrying cannot make the user exist; when they sign up, the user.created webhook mirrors
        # their account to the directory.
        return DirectorySync(clerk_user_id, written=False, reason="directory_user_not_found")
    return DirectorySync(clerk_user_id, written=True, metadata=metadata)
