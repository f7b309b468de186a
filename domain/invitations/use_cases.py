"""Making, viewing and accepting invitations.

Accepting links the provider to the children at once (upstream only emailed staff to do it by hand),
under the provider's row lock — the lock the admin link takes — so concurrent accepts can never put a
provider over ``MAX_CHILDREN_PER_PROVIDER``; the invitation's own row lock makes a second accept of the
same invitation wait and then see it accepted. Locks are always taken provider first, then invitation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.errors import NotFound
from domain.invitations.messages import accepted_notice, invite_messages
from domain.invitations.model import (
    AlreadyCaring,
    Direction,
    Invitation,
    InvitationAlreadyAccepted,
    NoChildrenChosen,
    NoFreeSlots,
    WrongInvitation,
)
from domain.invitations.ports import InvitationsUnitOfWork
from domain.ports import Clock
from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.errors import ChildNotFound, FamilyNotFound, ProviderNotFound
from domain.programme.families import Child, Family
from domain.programme.providers import Provider
from domain.programme.records import UNSAVED_ID
from domain.programme.statuses import Language


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    default_message = "No such invitation."


@dataclass(frozen=True, slots=True)
class Invitee:
    email: str
    cell: str | None
    language: Language | None  # the inviter's language when not given


def _name(family: Family) -> str:
    guardian = family.primary_guardian
    return f"{guardian.first_name} {guardian.last_name}" if guardian else "A family"


def _provider_name(provider: Provider) -> str:
    if provider.first_name or provider.last_name:
        return " ".join(p for p in (provider.first_name, provider.last_name) if p)
    return provider.name


async def _own_children(uow: InvitationsUnitOfWork, family_id: str, child_ids: Sequence[str]) -> list[Child]:
    if not child_ids:
        raise NoChildrenChosen()
    children = {c.id: c for c in await uow.children.list_for_family(family_id)}
    chosen = list(dict.fromkeys(child_ids))  # once each, in the order given
    if any(child_id not in children for child_id in chosen):
        raise ChildNotFound()  # another family's child looks missing
    return [children[child_id] for child_id in chosen]


async def invite_provider(
    uow: InvitationsUnitOfWork, clock: Clock, new_token: Callable[[], str], actor: Actor,
    invitee: Invitee, child_ids: Sequence[str],
) -> Invitation:  # fmt: skip
    """A family invites a provider to care for some of its children: one invitation, one token."""
    if actor.family_id is None:
        raise FamilyNotFound()
    async with uow:
        family = await uow.families.get(actor.family_id)
        if family is None:
            raise FamilyNotFound()
        children = await _own_children(uow, family.id, child_ids)
        draft = Invitation(
            UNSAVED_ID, new_token(), Direction.FAMILY_INVITES_PROVIDER, invitee.email, invitee.cell,
            invitee.language or family.language, clock.now(), family_id=family.id,
            child_ids=tuple(c.id for c in children),
        )  # fmt: skip
        invitation = await uow.invitations.add(draft)
        names = [f"{c.first_name} {c.last_name}" for c in children]
        for message in invite_messages(invitation, _name(family), names):
            await uow.notifier.notify(message)
        await uow.commit()
    return invitation


async def invite_family(
    uow: InvitationsUnitOfWork, clock: Clock, new_token: Callable[[], str], actor: Actor, invitee: Invitee
) -> Invitation:
    """A provider invites a family; the family chooses its children when it accepts."""
    if actor.provider_id is None:
        raise ProviderNotFound()
    async with uow:
        provider = await uow.providers.get(actor.provider_id)
        if provider is None:
            raise ProviderNotFound()
        draft = Invitation(
            UNSAVED_ID, new_token(), Direction.PROVIDER_INVITES_FAMILY, invitee.email, invitee.cell,
            invitee.language or provider.preferred_language, clock.now(), provider_id=provider.id,
        )  # fmt: skip
        invitation = await uow.invitations.add(draft)
        for message in invite_messages(invitation, _provider_name(provider), []):
            await uow.notifier.notify(message)
        await uow.commit()
    return invitation


@dataclass(frozen=True, slots=True)
class ProviderInviteView:
    """A family's invite as the invited provider sees it (signed in or not)."""

    invitation: Invitation
    family: Family
    children: tuple[Child, ...]
    already_caring_for: bool  # the signed-in provider already cares for every invited child
    remaining_slots: int | None  # the signed-in provider's free places; None when nobody is signed in
    at_max_child_count: bool


async def view_provider_invite(
    uow: InvitationsUnitOfWork, rules: ProgrammeRules, clock: Clock, token: str, viewer: Actor | None
) -> ProviderInviteView:
    async with uow:
        invitation = await _opened(uow, clock, token, Direction.FAMILY_INVITES_PROVIDER)
        family = await uow.families.get(invitation.family_id or "")
        if family is None:
            raise InvitationNotFound()
        children = tuple(
            c for c in await uow.children.list_for_family(family.id) if c.id in invitation.child_ids
        )
        caring, remaining = False, None
        if viewer is not None and viewer.provider_id is not None:
            linked = await uow.links.children_of(viewer.provider_id)
            caring = all(c.id in linked for c in children)
            remaining = max(rules.max_children_per_provider - len(linked), 0)
        await uow.commit()
    return ProviderInviteView(invitation, family, children, caring, remaining, remaining == 0)


@dataclass(frozen=True, slots=True)
class FamilyInviteView:
    """A provider's invite as the invited family sees it: ``children`` is None for anyone but a family."""

    invitation: Invitation
    provider: Provider
    children: tuple[Child, ...] | None  # the signed-in family's children not yet in this provider's care
    is_already_provider: bool
    remaining_slots: int


async def view_family_invite(
    uow: InvitationsUnitOfWork, rules: ProgrammeRules, clock: Clock, token: str, viewer: Actor | None
) -> FamilyInviteView:
    async with uow:
        invitation = await _opened(uow, clock, token, Direction.PROVIDER_INVITES_FAMILY)
        provider = await uow.providers.get(invitation.provider_id or "")
        if provider is None:
            raise InvitationNotFound()
        linked = await uow.links.children_of(provider.id)
        children, already = None, False
        if viewer is not None and viewer.family_id is not None:
            own = await uow.children.list_for_family(viewer.family_id)
            children = tuple(c for c in own if c.id not in linked)
            already = any(c.id in linked for c in own)
        await uow.commit()
    remaining = max(rules.max_children_per_provider - len(linked), 0)
    return FamilyInviteView(invitation, provider, children, already, remaining)


async def _opened(uow: InvitationsUnitOfWork, clock: Clock, token: str, direction: Direction) -> Invitation:
    invitation = await uow.invitations.get(token)
    if invitation is None or invitation.direction is not direction:
        raise InvitationNotFound()
    if invitation.opened_at is None:
        await uow.invitations.mark_opened(invitation.id, clock.now())
    return invitation.opened(clock.now())


@dataclass(frozen=True, slots=True)
class Acceptance:
    invitation: Invitation
    linked_child_ids: tuple[str, ...]
    not_linked_child_ids: tuple[str, ...]  # no free place was left for these


async def accept_provider_invite(
    uow: InvitationsUnitOfWork, rules: ProgrammeRules, clock: Clock, actor: Actor, token: str
) -> Acceptance:
    """The invited provider accepts: linked to as many of the invited children as it has places for."""
    if actor.provider_id is None:
        raise ProviderNotFound()
    async with uow:
        if await uow.providers.get_for_update(actor.provider_id) is None:
            raise ProviderNotFound()
        invitation = await _pending(uow, token, Direction.FAMILY_INVITES_PROVIDER)
        linked = await uow.links.children_of(actor.provider_id)
        wanted = [c for c in invitation.child_ids if c not in linked]
        if not wanted:
            raise AlreadyCaring()
        free = rules.max_children_per_provider - len(linked)
        if free <= 0:
            raise NoFreeSlots(details={"max_children_per_provider": rules.max_children_per_provider})
        taken, left = wanted[:free], wanted[free:]
        for child_id in taken:
            await uow.links.link(actor.provider_id, child_id)
        accepted = await record_acceptance(
            uow, clock, invitation, invitation.family_id, actor.provider_id, taken, left
        )
        await uow.commit()
    return accepted


async def accept_family_invite(
    uow: InvitationsUnitOfWork, rules: ProgrammeRules, clock: Clock, actor: Actor, token: str,
    child_ids: Sequence[str],
) -> Acceptance:  # fmt: skip
    """The invited family accepts for the children it chose; all of them fit, or none is linked."""
    if actor.family_id is None:
        raise FamilyNotFound()
    async with uow:
        found = await uow.invitations.get(token)
        if found is None or found.direction is not Direction.PROVIDER_INVITES_FAMILY:
            raise InvitationNotFound()
        provider_id = found.provider_id or ""
        if await uow.providers.get_for_update(provider_id) is None:
            raise InvitationNotFound()
        invitation = await _pending(uow, token, Direction.PROVIDER_INVITES_FAMILY)
        chosen = [c.id for c in await _own_children(uow, actor.family_id, child_ids)]
        linked = await uow.links.children_of(provider_id)
        wanted = [c for c in chosen if c not in linked]
        if not wanted:
            raise AlreadyCaring()
        if len(wanted) > rules.max_children_per_provider - len(linked):
            raise NoFreeSlots(details={"max_children_per_provider": rules.max_children_per_provider})
        for child_id in wanted:
            await uow.links.link(provider_id, child_id)
        accepted = await record_acceptance(uow, clock, invitation, actor.family_id, provider_id, wanted, [])
        await uow.commit()
    return accepted


async def _pending(uow: InvitationsUnitOfWork, token: str, direction: Direction) -> Invitation:
    invitation = await uow.invitations.get_for_update(token)
    if invitation is None:
        raise InvitationNotFound()
    if invitation.direction is not direction:
        raise WrongInvitation()
    if invitation.accepted:
        raise InvitationAlreadyAccepted()
    return invitation


async def record_acceptance(
    uow: InvitationsUnitOfWork, clock: Clock, invitation: Invitation, family_id: str | None,
    provider_id: str, linked: list[str], not_linked: list[str],
) -> Acceptance:  # fmt: skip
    """Marks it accepted with its children and asks for the staff's notice; the caller commits."""
    now = clock.now()
    await uow.invitations.accept(
        invitation.id, now, family_id=family_id, provider_id=provider_id, child_ids=[*linked, *not_linked]
    )
    done = Invitation(
        invitation.id, invitation.token, invitation.direction, invitation.email, invitation.cell,
        invitation.language, invitation.created_at, family_id, provider_id, (*linked, *not_linked),
        invitation.opened_at, now,
    )  # fmt: skip
    await uow.notifier.notify(accepted_notice(done, linked, not_linked))
    return Acceptance(done, tuple(linked), tuple(not_linked))
