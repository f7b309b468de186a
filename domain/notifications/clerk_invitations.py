"""Clerk's invitation emails, sent by us in the invitee's language (upstream §5, the `email.created` webhook).

With Clerk's "invitation" email template set not to be delivered by Clerk, Clerk hands each invitation
email to our webhook instead: the address, Clerk's sign-up link (its ``action_url``, which carries the
invitation ticket) and the invitation's public metadata (``types``, ``family_id``, ``provider_id``, set
by whoever invited). We send it as a ``clerk_invitation`` message in the family's (or provider's) language,
English when the metadata names no record we know. Clerk's email id is the cause, so a redelivered
webhook finds the first message and sends nothing more. Other emails Clerk asks us to deliver (codes,
magic links) are not ours to send: they are ignored and Clerk's own delivery settings decide.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.notifications.model import About, Message, MessageKind, Recipient
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.statuses import Language

INVITATION_SLUG = "invitation"


class ClerkEmailOutcome(enum.StrEnum):
    INVITATION_QUEUED = "invitation_queued"
    REPLAYED = "replayed"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class ClerkEmail:
    """What the webhook says of one email Clerk asks us to deliver."""

    email_id: str
    slug: str
    to: str
    action_url: str | None = None
    roles: tuple[str, ...] = ()
    family_id: str | None = None
    provider_id: str | None = None


async def deliver_clerk_email(uow: ProgrammeUnitOfWork, email: ClerkEmail) -> ClerkEmailOutcome:
    if email.slug != INVITATION_SLUG or not email.action_url:
        return ClerkEmailOutcome.IGNORED
    async with uow:
        message = await _invitation(uow, email, email.action_url)
        queued = await uow.notifier.notify(message)
        await uow.commit()
    return ClerkEmailOutcome.INVITATION_QUEUED if queued.new else ClerkEmailOutcome.REPLAYED


async def _invitation(uow: ProgrammeUnitOfWork, email: ClerkEmail, action_url: str) -> Message:
    language, first_name, about = Language.ENGLISH, "", About("clerk_email", email.email_id)
    role = "family" if "family" in email.roles else "provider" if "provider" in email.roles else ""
    family = await uow.families.get(email.family_id) if email.family_id and role == "family" else None
    provider = (
        await uow.providers.get(email.provider_id) if email.provider_id and role == "provider" else None
    )
    if family is not None:
        guardian = family.primary_guardian
        language, about = family.language, About("family", family.id)
        first_name = guardian.first_name if guardian else ""
    elif provider is not None:
        language, about = provider.preferred_language, About("provider", provider.id)
        first_name = provider.first_name or provider.name
    return Message(
        kind=MessageKind.CLERK_INVITATION,
        recipient=Recipient(email.to, language, first_name or None),
        cause=f"clerk_email:{email.email_id}",
        about=about,
        data={"role": role, "first_name": first_name, "action_url": action_url},
    )
