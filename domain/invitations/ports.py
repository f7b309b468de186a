"""The invitations' repository, and the unit of work that holds it beside the programme's records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.invitations.model import Invitation
from domain.programme.ports import ProgrammeUnitOfWork


class InvitationRepository(Protocol):
    async def add(self, invitation: Invitation) -> Invitation:
        """Stores it with its children; returns it with its id."""
        ...

    async def get(self, token: str) -> Invitation | None: ...

    async def get_for_update(self, token: str) -> Invitation | None:
        """SELECT … FOR UPDATE: two accepts of one invitation wait for each other."""
        ...

    async def mark_opened(self, invitation_id: int, at: datetime) -> None:
        """Sets the first opening; a later one changes nothing."""
        ...

    async def accept(
        self,
        invitation_id: int,
        at: datetime,
        *,
        family_id: str | None,
        provider_id: str | None,
        child_ids: Sequence[str],
    ) -> None: ...


class InvitationsUnitOfWork(ProgrammeUnitOfWork, Protocol):
    @property
    def invitations(self) -> InvitationRepository: ...
