"""Operators' use cases on accounts: create, look up, change roles or deactivate.

Until the onboarding flow links people to families and providers, this is how anyone gets a
role. Every change is mirrored to the directory's public metadata, which the CAP frontend reads
to choose its screens; our database stays the authority, so a directory outage delays the mirror
but never loses or blocks the change: each change asks for the directory sync job in its own
transaction (retried until the directory answers) and also tries the write at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from domain.audit import AuditTrail
from domain.errors import DependencyUnavailable, DomainError, NotFound, RuleRefused
from domain.identity.directory_sync import request_directory_sync
from domain.identity.model import (
    Account,
    AccountFilter,
    PendingAccount,
    Role,
    account_snapshot,
    checked_clerk_user_id,
    checked_email,
    parse_roles,
    public_metadata,
)
from domain.identity.ports import AccountListing, AccountRepository, IdentityDirectory
from domain.ports import JobQueue, UnitOfWork

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountChange:
    """An account as stored after a change, and whether the directory mirror is up to date."""

    account: Account
    directory_synced: bool
    # The job that writes the directory whatever happened to the immediate attempt.
    directory_sync_job_id: str


async def create_account(
    uow: UnitOfWork,
    accounts: AccountRepository,
    directory: IdentityDirectory,
    jobs: JobQueue,
    *,
    clerk_user_id: str,
    email: str | None,
    roles: list[str],
    audit: AuditTrail | None = None,
) -> AccountChange:
    """``audit``: written to the audit log (``account.created``) in the account's own transaction."""
    checked_id = checked_clerk_user_id(clerk_user_id)
    granted = parse_roles(roles)
    if email is None:
        email = await _email_from_directory(directory, checked_id)
    account = Account(clerk_user_id=checked_id, email=email and checked_email(email), roles=granted)
    async with uow:
        await accounts.add(account)
        stored = await accounts.get(checked_id)
        assert stored is not None
        sync_job_id = request_directory_sync(jobs, checked_id)
        if audit is not None:
            await audit.record("account.created", "account", checked_id, None, account_snapshot(stored))
        await uow.commit()
    return AccountChange(stored, await mirror_to_directory(directory, stored), sync_job_id)


async def create_pending_account(
    uow: UnitOfWork,
    accounts: AccountRepository,
    *,
    email: str,
    roles: list[str],
    audit: AuditTrail | None = None,
) -> PendingAccount:
    """An account waiting for the person to sign up; linked when Clerk reports that email. ``audit``:
    written to the audit log (``pending_account.created``, keyed by the email) in the same transaction."""
    pending = PendingAccount(email=checked_email(email), roles=parse_roles(roles))
    async with uow:
        stored = await accounts.add_pending(pending)
        if audit is not None:
            after = {"email": stored.email, "roles": ",".join(sorted(r.value for r in stored.roles))}
            await audit.record("pending_account.created", "pending_account", stored.email, None, after)
        await uow.commit()
    return stored


async def find_account(uow: UnitOfWork, accounts: AccountRepository, clerk_user_id: str) -> Account:
    async with uow:
        account = await accounts.get(checked_clerk_user_id(clerk_user_id))
    if account is None:
        raise NotFound(f"No account for {clerk_user_id}.", code="account_not_found")
    return account


async def change_account(
    uow: UnitOfWork,
    accounts: AccountRepository,
    directory: IdentityDirectory,
    jobs: JobQueue,
    clerk_user_id: str,
    *,
    roles: list[str] | None,
    deactivated: bool | None,
    audit: AuditTrail | None = None,
    acting_user_id: str | None = None,
) -> AccountChange:
    """``audit``: written to the audit log (``account.changed``) in the change's own transaction.
    ``acting_user_id``: the signed-in staff member making the change (the console), held to
    ``refuse_self_lockout``; an API-key operator has no account to lock out and gives none."""
    checked_id = checked_clerk_user_id(clerk_user_id)
    if roles is None and deactivated is None:
        raise RuleRefused("Nothing to change: give roles and/or deactivated.", code="empty_change")
    async with uow:
        account = await accounts.get(checked_id)
        if account is None:
            raise NotFound(f"No account for {clerk_user_id}.", code="account_not_found")
        changed = replace(
            account,
            roles=account.roles if roles is None else parse_roles(roles),
            deactivated=account.deactivated if deactivated is None else deactivated,
        )
        refuse_self_lockout(account, changed, acting_user_id)
        stored = await accounts.save(changed)
        sync_job_id = request_directory_sync(jobs, checked_id)
        if audit is not None:
            before, after = account_snapshot(account), account_snapshot(stored)
            await audit.record("account.changed", "account", checked_id, before, after)
        await uow.commit()
    return AccountChange(stored, await mirror_to_directory(directory, stored), sync_job_id)


def refuse_self_lockout(before: Account, after: Account, acting_user_id: str | None) -> None:
    """Staff may not deactivate their own account or take away their own admin role: one slip would
    leave them (and, were they the last, the programme) without the console, so another member of
    staff has to do it. Someone else may demote or deactivate any admin, the last one included: in the
    console that someone is an active admin themself, so an admin remains; with the API key the
    operator has the key to put one back."""
    if acting_user_id is None or acting_user_id != before.clerk_user_id:
        return
    if after.deactivated and not before.deactivated:
        raise RuleRefused(
            "You cannot deactivate your own account; ask another member of staff.", code="self_lockout"
        )
    if Role.ADMIN in before.roles and Role.ADMIN not in after.roles:
        raise RuleRefused(
            "You cannot remove your own admin role; ask another member of staff.", code="self_lockout"
        )


async def list_accounts(
    uow: UnitOfWork, listing: AccountListing, wanted: AccountFilter, *, limit: int, offset: int
) -> list[Account]:
    """The accounts staff look through, by email then Clerk user id."""
    async with uow:
        return await listing.listed(wanted, limit=limit, offset=offset)


async def list_pending_accounts(
    uow: UnitOfWork, listing: AccountListing, search: str | None, *, limit: int, offset: int
) -> list[PendingAccount]:
    """The accounts an operator prepared by email whose person has not signed up yet, by email."""
    async with uow:
        return await listing.pending_listed(search, limit=limit, offset=offset)


async def mirror_to_directory(directory: IdentityDirectory, account: Account) -> bool:
    """Write the account's roles to the directory after the change is committed; False if it failed."""
    try:
        await directory.write_public_metadata(account.clerk_user_id, public_metadata(account))
    except DomainError as exc:
        logger.warning(
            "directory metadata not updated",
            extra={"clerk_user_id": account.clerk_user_id, "reason": exc.message},
        )
        return False
    return True


async def _email_from_directory(directory: IdentityDirectory, clerk_user_id: str) -> str | None:
    """The user's email from the directory, as a convenience: unknown there → 400; unreachable →
    no email for now (the next user.updated webhook fills it in), because the account matters more.
    """
    try:
        return (await directory.read_user(clerk_user_id)).email
    except NotFound:
        raise RuleRefused(
            f"Clerk has no user {clerk_user_id}.",
            code="unknown_clerk_user",
            details={"clerk_user_id": clerk_user_id},
        ) from None
    except DependencyUnavailable:
        logger.warning("email not read from the directory", extra={"clerk_user_id": clerk_user_id})
        return None
