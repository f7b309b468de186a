"""An invitation: a family inviting a provider to care for some of its children, or a provider inviting a
family. One public token names the whole invite (upstream minted one per child for a family's invite, so
one email carried several links, each of which accepted only a part).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from domain.errors import RuleRefused
from domain.programme.statuses import Language


class Direction(enum.StrEnum):
    FAMILY_INVITES_PROVIDER = "family_invites_provider"
    PROVIDER_INVITES_FAMILY = "provider_invites_family"


@dataclass(frozen=True, slots=True)
class Invitation:
    """``family_id`` and ``provider_id``: the inviter's is set when the invite is made, the other's when it
    is accepted. ``child_ids``: the children the family chose (when inviting, or when accepting)."""

    id: int
    token: str
    direction: Direction
    email: str
    cell: str | None
    language: Language
    created_at: datetime
    family_id: str | None = None
    provider_id: str | None = None
    child_ids: tuple[str, ...] = ()
    opened_at: datetime | None = None
    accepted_at: datetime | None = None

    @property
    def accepted(self) -> bool:
        return self.accepted_at is not None

    def opened(self, now: datetime) -> Invitation:
        """The first opening is kept (upstream overwrote it on every view)."""
        return self if self.opened_at is not None else replace(self, opened_at=now)


class InvitationAlreadyAccepted(RuleRefused):
    code = "invitation_already_accepted"
    default_message = "This invitation has already been accepted."


class NoFreeSlots(RuleRefused):
    code = "provider_at_capacity"
    default_message = "This provider cannot care for more children in the programme."


class AlreadyCaring(RuleRefused):
    code = "already_caring"
    default_message = "This provider already cares for these children."


class NoChildrenChosen(RuleRefused):
    code = "no_children_chosen"
    default_message = "Choose at least one child."


class WrongInvitation(RuleRefused):
    """A family accepting a family's invite (or a provider a provider's): the link was meant for the other."""

    code = "wrong_invitation"
    default_message = "This invitation is for someone else."
