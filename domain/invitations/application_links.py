"""Linking at onboarding through the application's ``link_id`` (upstream §2.9).

Someone who applied through an invitation's link carries its token in ``link_id``. When they are
onboarded, the invitation is accepted for them and the provider is linked to the children, inside the
onboarding's own transaction and within ``MAX_CHILDREN_PER_PROVIDER``:

- a family that applied through a provider's invite: each of its children the provider does not already
  care for, in id order, while the provider has free places;
- a provider that applied through a family's invite: the children that invite named, while it has places.

Onboarding never fails because of the link: an unknown token, an invite for the other side, or one
already accepted links nothing (repeating onboarding finds its own acceptance and changes nothing). The
locks are the accept routes' (provider, then invitation), so an onboarding and an accept of the same
invitation, or of two invitations of one provider, wait for each other and never put a provider over
capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.invitations.model import Direction, Invitation
from domain.invitations.ports import InvitationsUnitOfWork
from domain.invitations.use_cases import record_acceptance
from domain.ports import Clock
from domain.programme.config import ProgrammeRules
from domain.programme.families import Family
from domain.programme.providers import Provider


@dataclass(frozen=True, slots=True)
class ApplicationLink:
    invitation_token: str
    linked_child_ids: tuple[str, ...]
    not_linked_child_ids: tuple[str, ...]  # no free place was left for these


async def link_family_through_application(
    uow: InvitationsUnitOfWork, rules: ProgrammeRules, clock: Clock, family: Family
) -> ApplicationLink | None:
    """The family's ``link_id`` names a provider's invite: link that provider to the family's children."""
    found = await _invitation(uow, family.link_id, Direction.PROVIDER_INVITES_FAMILY)
    if found is None or found.provider_id is None:
        return None
    if await uow.providers.get_for_update(found.provider_id) is None:
        return None
    invitation = await _still_pending(uow, found.token)
    if invitation is None:
        return None
    children = sorted(child.id for child in await uow.children.list_for_family(family.id))
    return await _link(uow, rules, clock, invitation, family.id, found.provider_id, children)


async def link_provider_through_application(
    uow: InvitationsUnitOfWork, rules: ProgrammeRules, clock: Clock, provider: Provider
) -> ApplicationLink | None:
    """The provider's ``link_id`` names a family's invite: link the provider to the children it named."""
    found = await _invitation(uow, provider.link_id, Direction.FAMILY_INVITES_PROVIDER)
    if found is None:
        return None
    if await uow.providers.get_for_update(provider.id) is None:
        return None
    invitation = await _still_pending(uow, found.token)
    if invitation is None:
        return None
    return await _link(uow, rules, clock, invitation, invitation.family_id, provider.id, invitation.child_ids)


async def _invitation(
    uow: InvitationsUnitOfWork, link_id: str | None, direction: Direction
) -> Invitation | None:
    if not link_id:
        return None
    found = await uow.invitations.get(link_id.strip())
    if found is None or found.direction is not direction or found.accepted:
        return None
    return found


async def _still_pending(uow: InvitationsUnitOfWork, token: str) -> Invitation | None:
    # Read again under its lock: an accept that committed while we waited for the provider's lock wins.
    invitation = await uow.invitations.get_for_update(token)
    if invitation is None or invitation.accepted:
        return None
    return invitation


async def _link(
    uow: InvitationsUnitOfWork, rules: ProgrammeRules, clock: Clock, invitation: Invitation,
    family_id: str | None, provider_id: str, child_ids: tuple[str, ...] | list[str],
) -> ApplicationLink:  # fmt: skip
    already = await uow.links.children_of(provider_id)
    wanted = [child_id for child_id in dict.fromkeys(child_ids) if child_id not in already]
    free = max(rules.max_children_per_provider - len(already), 0)
    taken, left = wanted[:free], wanted[free:]
    for child_id in taken:
        await uow.links.link(provider_id, child_id)
    await record_acceptance(uow, clock, invitation, family_id, provider_id, taken, left)
    return ApplicationLink(invitation.token, tuple(taken), tuple(left))
