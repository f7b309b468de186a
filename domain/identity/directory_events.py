"""Keeping accounts in step with the identity provider's own user events (Clerk webhooks).

Deliveries can repeat (retries, replays): each is recorded by its message id in the same
transaction as its effect, so a repeat is answered but changes nothing, and a delivery whose
handling failed is not recorded and will be handled when the sender retries it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from domain.identity.administration import mirror_to_directory
from domain.identity.model import Account, checked_email
from domain.identity.ports import AccountRepository, IdentityDirectory, WebhookLedger
from domain.ports import UnitOfWork


class UserEventKind(StrEnum):
    CREATED = "user.created"
    UPDATED = "user.updated"
    DELETED = "user.deleted"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class UserEvent:
    message_id: str
    event_type: str
    user_id: str | None
    email: str | None = None

    @property
    def kind(self) -> UserEventKind:
        try:
            return UserEventKind(self.event_type)
        except ValueError:
            return UserEventKind.OTHER


class Outcome(StrEnum):
    REPLAYED = "replayed"
    IGNORED = "ignored"
    EMAIL_UPDATED = "email_updated"
    LINKED = "linked"
    DEACTIVATED = "deactivated"
    UNCHANGED = "unchanged"


async def apply_user_event(
    uow: UnitOfWork,
    accounts: AccountRepository,
    ledger: WebhookLedger,
    directory: IdentityDirectory,
    event: UserEvent,
) -> Outcome:
    linked: Account | None = None
    async with uow:
        if not await ledger.first_delivery(event.message_id, event.event_type):
            return Outcome.REPLAYED
        outcome = Outcome.IGNORED
        if event.user_id is not None and event.kind is UserEventKind.DELETED:
            outcome = await _deactivate(accounts, event.user_id)
        elif event.user_id is not None and event.kind in (UserEventKind.CREATED, UserEventKind.UPDATED):
            outcome, linked = await _sync_email(accounts, event.user_id, event.email)
        await uow.commit()
    if linked is not None:
        await mirror_to_directory(directory, linked)
    return outcome


async def _deactivate(accounts: AccountRepository, user_id: str) -> Outcome:
    account = await accounts.get(user_id)
    if account is None or account.deactivated:
        return Outcome.UNCHANGED
    await accounts.save(replace(account, deactivated=True))
    return Outcome.DEACTIVATED


async def _sync_email(
    accounts: AccountRepository, user_id: str, raw_email: str | None
) -> tuple[Outcome, Account | None]:
    email = checked_email(raw_email) if raw_email else None
    account = await accounts.get(user_id)
    if account is not None:
        if email is None or account.email == email:
            return Outcome.UNCHANGED, None
        await accounts.save(replace(account, email=email))
        return Outcome.EMAIL_UPDATED, None
    pending = await accounts.take_pending(email) if email else None
    if pending is None:
        return Outcome.UNCHANGED, None
    await accounts.add(Account(clerk_user_id=user_id, email=email, roles=pending.roles))
    stored = await accounts.get(user_id)
    return Outcome.LINKED, stored
