"""Onboarding: a person who applied becomes a signed-in family or provider of the programme.

It spans identity (the account keyed by the Clerk user id, its role and linked record) and the
programme (the record must exist; a family gets the current and next month's allocations for its
payment-enabled children). Both happen in one transaction, so a failure leaves neither. The
directory (Clerk public_metadata, which the frontend reads) is written only after the commit: our
database is the authority, and a directory outage is reported, never a reason to undo onboarding.

The directory write is also asked of a job in the onboarding transaction itself (an outbox), and
tried at once after the commit for speed. The job always exists when onboarding committed, so a
directory outage, or a process dying between the commit and the immediate write, only delays the
metadata: the job retries with backoff until the directory answers. When the immediate write
worked, the job writes the same metadata once more, which is harmless.

The portal invitation (the sign-in link, in the person's language) and the staff's email are
recorded in the same transaction (``uow.notifier``) and sent by jobs after the commit; the invitation's
record is what says it was sent, and repeating onboarding finds it instead of sending another.

An application made through an invitation's link (``link_id``) accepts that invitation and links the
provider to the children here, in the same transaction and within capacity
(domain/invitations/application_links.py).

Repeating it is harmless: the account keeps its link and allocations that exist are kept. Two calls
for the same person at once leave one account: the second insert waits for the first, loses on the
primary key and then updates the row the first one made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.audit import AuditStamp
from domain.errors import Conflict, RuleRefused
from domain.identity.administration import mirror_to_directory
from domain.identity.directory_sync import request_directory_sync
from domain.identity.model import Account, Role, account_snapshot, checked_clerk_user_id, checked_email
from domain.identity.ports import AccountRepository, IdentityDirectory
from domain.invitations.application_links import (
    ApplicationLink,
    link_family_through_application,
    link_provider_through_application,
)
from domain.invitations.ports import InvitationsUnitOfWork
from domain.money.use_cases.jobs import OPEN_FAMILY_WALLET, OPEN_PROVIDER_WALLET
from domain.notifications.messages import (
    family_portal_invitation,
    provider_portal_invitation,
    staff_family_onboarded,
    staff_provider_onboarded,
)
from domain.notifications.model import Message
from domain.notifications.ports import Notifier
from domain.ports import JobQueue
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.errors import FamilyNotFound, ProviderNotFound
from domain.programme.use_cases.allocations import AllocationOutcome, allocate_family_within


class AccountLinkedElsewhere(Conflict):
    code = "account_linked_elsewhere"


@dataclass(frozen=True, slots=True)
class Onboarded:
    account: Account
    # Allocations created by this call (existing ones are not counted again).
    allocations_created: int
    directory_synced: bool
    # The job that writes the directory metadata (again, or for the first time after an outage).
    directory_sync_job_id: str
    # The portal invitation's message record (the first one's when onboarding is repeated); None when
    # the person has no email address to invite.
    portal_invitation_message_id: int | None = None
    # Children linked to a provider through the application's invitation (``link_id``), by this call.
    linked_child_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Link:
    role: Role
    family_id: str | None = None
    provider_id: str | None = None


async def onboard_family(
    uow: InvitationsUnitOfWork,
    accounts: AccountRepository,
    directory: IdentityDirectory,
    jobs: JobQueue,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    *,
    clerk_user_id: str,
    family_id: str,
    audit: AuditStamp | None = None,
) -> Onboarded:
    """``accounts`` must work inside ``uow``'s transaction. ``audit``: the account's link is written to the
    audit log (``account.onboarded``) in the onboarding's transaction, unless it was linked already."""
    user_id = checked_clerk_user_id(clerk_user_id)
    async with uow:
        family = await uow.families.get(family_id)
        if family is None:
            raise FamilyNotFound()
        guardian = family.primary_guardian
        email = guardian.email if guardian else None
        before, account = await _linked_account(
            accounts, user_id, email, _Link(Role.FAMILY, family_id=family.id)
        )
        await _audit(uow, audit, before, account)
        outcomes: list[AllocationOutcome] = await allocate_family_within(
            uow, calendar, rules, family_id=family.id
        )
        created = sum(1 for o in outcomes if o.created)
        link = await link_family_through_application(uow, rules, calendar.clock, family)
        sync_job_id = request_directory_sync(jobs, account.clerk_user_id)
        # The wallet is opened by a job (retried): onboarding never fails because the gateway is down.
        await uow.jobs.enqueue(OPEN_FAMILY_WALLET, family.id)
        invitation = await _invite(uow.notifier, family_portal_invitation(family))
        await uow.notifier.notify(staff_family_onboarded(family, account.clerk_user_id, created))
        await uow.commit()
    synced = await mirror_to_directory(directory, account)
    return Onboarded(account, created, synced, sync_job_id, invitation, _linked(link))


async def onboard_provider(
    uow: InvitationsUnitOfWork,
    accounts: AccountRepository,
    directory: IdentityDirectory,
    jobs: JobQueue,
    calendar: BusinessCalendar,
    rules: ProgrammeRules,
    *,
    clerk_user_id: str,
    provider_id: str,
    audit: AuditStamp | None = None,
) -> Onboarded:
    """``accounts`` must work inside ``uow``'s transaction. ``audit``: as for ``onboard_family``."""
    user_id = checked_clerk_user_id(clerk_user_id)
    async with uow:
        provider = await uow.providers.get(provider_id)
        if provider is None:
            raise ProviderNotFound()
        link = _Link(Role.PROVIDER, provider_id=provider.id)
        before, account = await _linked_account(accounts, user_id, provider.email, link)
        await _audit(uow, audit, before, account)
        linked = await link_provider_through_application(uow, rules, calendar.clock, provider)
        sync_job_id = request_directory_sync(jobs, account.clerk_user_id)
        await uow.jobs.enqueue(OPEN_PROVIDER_WALLET, provider.id)
        invitation = await _invite(uow.notifier, provider_portal_invitation(provider))
        await uow.notifier.notify(staff_provider_onboarded(provider, account.clerk_user_id))
        await uow.commit()
    synced = await mirror_to_directory(directory, account)
    return Onboarded(account, 0, synced, sync_job_id, invitation, _linked(linked))


def _linked(link: ApplicationLink | None) -> tuple[str, ...]:
    return () if link is None else link.linked_child_ids


async def _invite(notifier: Notifier, invitation: Message | None) -> int | None:
    if invitation is None:
        return None
    return (await notifier.notify(invitation)).message_id


async def _audit(
    uow: InvitationsUnitOfWork, audit: AuditStamp | None, before: Account | None, after: Account
) -> None:
    old = None if before is None else account_snapshot(before)
    new = account_snapshot(after)
    if audit is not None and old != new:  # onboarding again changes nothing and writes nothing
        await uow.audit.record(audit.entry("account.onboarded", "account", after.clerk_user_id, old, new))


async def _linked_account(
    accounts: AccountRepository, user_id: str, email: str | None, link: _Link
) -> tuple[Account | None, Account]:
    """The account as it was (None when this call creates it) and as linked."""
    current = await accounts.get(user_id)
    if current is None:
        fresh = Account(
            clerk_user_id=user_id,
            email=_usable_email(email),
            roles=frozenset({link.role}),
            family_id=link.family_id,
            provider_id=link.provider_id,
        )
        try:
            await accounts.add(fresh)
        except Conflict:
            # A concurrent onboarding of the same person committed first; build on its account.
            current = await accounts.get(user_id)
            if current is None:
                raise
        else:
            stored = await accounts.get(user_id)
            return None, stored or fresh
    return current, await accounts.save(_with_link(current, link))


def _with_link(account: Account, link: _Link) -> Account:
    if link.family_id is not None:
        if account.family_id not in (None, link.family_id):
            raise AccountLinkedElsewhere(
                "This account is already linked to another family.", details={"family_id": account.family_id}
            )
        account = replace(account, family_id=link.family_id)
    if link.provider_id is not None:
        if account.provider_id not in (None, link.provider_id):
            raise AccountLinkedElsewhere(
                "This account is already linked to another provider.",
                details={"provider_id": account.provider_id},
            )
        account = replace(account, provider_id=link.provider_id)
    return replace(account, roles=account.roles | {link.role})


def _usable_email(email: str | None) -> str | None:
    if email is None:
        return None
    # The record's email is a convenience on the account; a malformed one must not block onboarding.
    try:
        return checked_email(email)
    except RuleRefused:
        return None
