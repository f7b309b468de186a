"""Invitations on Postgres: ``invitations`` (one row and one public token per invite) and
``invitation_children`` (the children it names). ``migrations/versions/0013_invitations.py`` creates
exactly these rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, String, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.ids import parse_id
from adapters.postgres.programme._base import SessionRepository, require_id
from adapters.postgres.programme.rows import one_of
from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from domain.invitations.model import Direction, Invitation
from domain.invitations.reminders import FamilyWithoutProvider
from domain.programme.statuses import Language


class InvitationRow(DefaultBase):
    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(one_of("direction", Direction), name="direction"),
        CheckConstraint(one_of("language", Language), name="language"),
        # The inviter is always named: the family for its invite, the provider for its own.
        CheckConstraint(
            "(direction = 'family_invites_provider' AND family_id IS NOT NULL)"
            " OR (direction = 'provider_invites_family' AND provider_id IS NOT NULL)",
            name="inviter_named",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    token: Mapped[UUID] = mapped_column(GUID, unique=True)
    direction: Mapped[str] = mapped_column(String(32))
    family_id: Mapped[UUID | None] = mapped_column(GUID, ForeignKey("families.id", ondelete="CASCADE"))
    provider_id: Mapped[UUID | None] = mapped_column(GUID, ForeignKey("providers.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    cell: Mapped[str | None] = mapped_column(String(20), nullable=True)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class InvitationChildRow(DefaultBase):
    __tablename__ = "invitation_children"

    invitation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[UUID] = mapped_column(
        GUID, ForeignKey("children.id", ondelete="CASCADE"), primary_key=True, index=True
    )


def _invitation(row: InvitationRow, child_ids: Sequence[UUID]) -> Invitation:
    return Invitation(
        id=row.id,
        token=str(row.token),
        direction=Direction(row.direction),
        email=row.email,
        cell=row.cell,
        language=Language(row.language),
        created_at=row.created_at,
        family_id=None if row.family_id is None else str(row.family_id),
        provider_id=None if row.provider_id is None else str(row.provider_id),
        child_ids=tuple(str(c) for c in child_ids),
        opened_at=row.opened_at,
        accepted_at=row.accepted_at,
    )


def _optional_id(value: str | None) -> UUID | None:
    return None if value is None else require_id(value)


class PostgresInvitations(SessionRepository):
    """Satisfies ``domain.invitations.ports.InvitationRepository``."""

    async def add(self, invitation: Invitation) -> Invitation:
        values: dict[str, Any] = {
            "token": require_id(invitation.token),
            "direction": invitation.direction.value,
            "family_id": _optional_id(invitation.family_id),
            "provider_id": _optional_id(invitation.provider_id),
            "email": invitation.email,
            "cell": invitation.cell,
            "language": invitation.language.value,
            "created_at": invitation.created_at,
        }
        new_id = (
            await self._session.execute(insert(InvitationRow).values(**values).returning(InvitationRow.id))
        ).scalar_one()
        await self._children(new_id, invitation.child_ids)
        return replace(invitation, id=new_id)

    async def get(self, token: str) -> Invitation | None:
        return await self._one(token, for_update=False)

    async def get_for_update(self, token: str) -> Invitation | None:
        return await self._one(token, for_update=True)

    async def mark_opened(self, invitation_id: int, at: datetime) -> None:
        await self._session.execute(
            update(InvitationRow)
            .where(InvitationRow.id == invitation_id, InvitationRow.opened_at.is_(None))
            .values(opened_at=at)
        )

    async def accept(
        self,
        invitation_id: int,
        at: datetime,
        *,
        family_id: str | None,
        provider_id: str | None,
        child_ids: Sequence[str],
    ) -> None:
        await self._session.execute(
            update(InvitationRow)
            .where(InvitationRow.id == invitation_id)
            .values(accepted_at=at, family_id=_optional_id(family_id), provider_id=_optional_id(provider_id))
        )
        await self._children(invitation_id, child_ids)

    async def _children(self, invitation_id: int, child_ids: Sequence[str]) -> None:
        if child_ids:
            rows = [{"invitation_id": invitation_id, "child_id": require_id(c)} for c in child_ids]
            # A family's invite named its children when it was made: accepting names them again.
            await self._session.execute(pg_insert(InvitationChildRow).values(rows).on_conflict_do_nothing())

    async def _one(self, token: str, *, for_update: bool) -> Invitation | None:
        key = parse_id(token)
        if key is None:
            return None
        query = (
            select(InvitationRow).where(InvitationRow.token == key).execution_options(populate_existing=True)
        )
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        children = await self._session.execute(
            select(InvitationChildRow.child_id)
            .where(InvitationChildRow.invitation_id == row.id)
            .order_by(InvitationChildRow.child_id)
        )
        return _invitation(row, list(children.scalars()))


# The rules are domain/invitations/reminders.py's: no link_id, an Approved child, no child linked to a
# provider, never an invitation to a provider.
FAMILIES_WITHOUT_PROVIDER = text(
    """
    SELECT f.id, f.language, g.first_name, g.email, g.phone_number,
           (array_agg(c.id::text ORDER BY c.created_at, c.id))[1] AS first_child_id
    FROM families f
    JOIN guardians g ON g.family_id = f.id AND g.type = 'primary'
    JOIN children c ON c.family_id = f.id AND c.status = 'Approved'
    WHERE coalesce(f.link_id, '') = ''
      AND NOT EXISTS (
          SELECT 1 FROM children lc JOIN provider_child_links l ON l.child_id = lc.id
          WHERE lc.family_id = f.id
      )
      AND NOT EXISTS (
          SELECT 1 FROM invitations i WHERE i.family_id = f.id AND i.direction = 'family_invites_provider'
      )
    GROUP BY f.id, f.language, g.first_name, g.email, g.phone_number
    ORDER BY f.id
    """
)


class PostgresInviteReminderReads(SessionRepository):
    """Satisfies ``domain.invitations.reminders.InviteReminderReads``."""

    async def families_without_provider(self) -> list[FamilyWithoutProvider]:
        rows = await self._session.execute(FAMILIES_WITHOUT_PROVIDER)
        return [
            FamilyWithoutProvider(
                family_id=str(r.id),
                first_name=r.first_name,
                email=r.email or None,
                phone_number=r.phone_number or None,
                language=Language(r.language),
                first_child_id=r.first_child_id,
            )
            for r in rows
        ]


class SqlAlchemyInvitationsUnitOfWork(SqlAlchemyProgrammeUnitOfWork):
    """Satisfies ``InvitationsUnitOfWork``: the programme's unit of work with the invitations beside it,
    so an accept's links and the invitation's acceptance commit together."""

    @property
    def invitations(self) -> PostgresInvitations:
        return PostgresInvitations(self.session)

    @property
    def invite_reminders(self) -> PostgresInviteReminderReads:
        return PostgresInviteReminderReads(self.session)
