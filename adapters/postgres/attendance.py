"""Attendance on Postgres: ``attendance``, one row per (child, provider, week Monday) — the UNIQUE
constraint that makes creating the week's records idempotent (upstream had none and duplicated on a
rerun). ``migrations/versions/0016_attendance.py`` creates exactly this row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.ids import parse_id
from adapters.postgres.programme._base import SessionRepository, require_id
from adapters.postgres.programme.rows import ChildRow, ProviderRow
from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from domain.attendance.model import MAX_DAYS_PER_WEEK, AttendanceRecord, SideEntry
from domain.attendance.ports import Side
from domain.attendance.reminders import PersonToRemind
from domain.attendance.rules import PairCandidate
from domain.programme.providers import ProviderType
from domain.programme.statuses import ApplicationStatus, Language


def _side_checks(side: str) -> tuple[CheckConstraint, ...]:
    entered = f"{side}_entered_at IS NULL"
    return (
        CheckConstraint(
            f"({side}_full_days IS NULL) = ({entered}) AND ({side}_half_days IS NULL) = ({entered})",
            name=f"{side}_entered_together",
        ),
        CheckConstraint(f"{side}_full_days BETWEEN 0 AND {MAX_DAYS_PER_WEEK}", name=f"{side}_full_days"),
        CheckConstraint(f"{side}_half_days BETWEEN 0 AND {MAX_DAYS_PER_WEEK}", name=f"{side}_half_days"),
    )


class AttendanceRow(DefaultBase):
    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("child_id", "provider_id", "week", name="uq_attendance_child_id_provider_id_week"),
        Index("ix_attendance_provider_id_week", "provider_id", "week"),
        CheckConstraint("extract(isodow from week) = 1", name="week_is_monday"),
        *_side_checks("family"),
        *_side_checks("provider"),
    )

    id: Mapped[UUID] = mapped_column(GUID, primary_key=True)
    week: Mapped[date] = mapped_column(Date)
    child_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("children.id", ondelete="CASCADE"))
    provider_id: Mapped[UUID] = mapped_column(GUID, ForeignKey("providers.id", ondelete="CASCADE"))
    family_full_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    family_half_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    family_entered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    family_opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    provider_full_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provider_half_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    provider_entered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    provider_opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


PAIR_CANDIDATES = text(
    """
    SELECT l.child_id, l.provider_id, c.status AS child_status, c.payment_enabled AS child_payment_enabled,
           p.status AS provider_status, p.payment_enabled AS provider_payment_enabled, p.type,
           (SELECT count(*) FROM care_days d
            JOIN month_allocations a ON a.id = d.allocation_id
            WHERE a.child_id = l.child_id AND d.provider_id = l.provider_id
              AND d.date BETWEEN :monday AND :sunday
              AND d.deleted_at IS NULL AND d.payment_id IS NOT NULL) AS paid_care_days
    FROM provider_child_links l
    JOIN children c ON c.id = l.child_id
    JOIN providers p ON p.id = l.provider_id
    ORDER BY l.child_id, l.provider_id
    """
)

_RECORD_COLUMNS = (AttendanceRow, ProviderRow.type)


def _side(row: AttendanceRow, side: Side) -> SideEntry:
    return SideEntry(
        full_days=getattr(row, f"{side}_full_days"),
        half_days=getattr(row, f"{side}_half_days"),
        entered_at=getattr(row, f"{side}_entered_at"),
        opened_at=getattr(row, f"{side}_opened_at"),
    )


def _record(row: AttendanceRow, provider_type: str) -> AttendanceRecord:
    return AttendanceRecord(
        id=str(row.id),
        week=row.week,
        child_id=str(row.child_id),
        provider_id=str(row.provider_id),
        provider_type=ProviderType(provider_type),
        family=_side(row, Side.FAMILY),
        provider=_side(row, Side.PROVIDER),
    )


def _column(side: Side, name: str) -> Any:
    return getattr(AttendanceRow, f"{side}_{name}")


class PostgresAttendance(SessionRepository):
    """Satisfies ``domain.attendance.ports.AttendanceRepository``."""

    async def pair_candidates(self, week: date) -> list[PairCandidate]:
        sunday = date.fromordinal(week.toordinal() + 6)
        rows = await self._session.execute(PAIR_CANDIDATES, {"monday": week, "sunday": sunday})
        return [
            PairCandidate(
                child_id=str(r.child_id),
                provider_id=str(r.provider_id),
                child_status=ApplicationStatus(r.child_status),
                child_payment_enabled=r.child_payment_enabled,
                provider_status=ApplicationStatus(r.provider_status),
                provider_payment_enabled=r.provider_payment_enabled,
                provider_type=ProviderType(r.type),
                paid_care_days=r.paid_care_days,
            )
            for r in rows
        ]

    async def add_missing(self, week: date, pairs: Sequence[tuple[str, str]]) -> int:
        rows = [
            {
                "id": uuid4(),
                "week": week,
                "child_id": require_id(child),
                "provider_id": require_id(provider),
                "created_at": func.now(),
                "updated_at": func.now(),
            }
            for child, provider in pairs
        ]
        statement = (
            pg_insert(AttendanceRow)
            .values(rows)
            .on_conflict_do_nothing(constraint="uq_attendance_child_id_provider_id_week")
            .returning(AttendanceRow.id)
        )
        return len((await self._session.execute(statement)).all())

    async def due_from_family(self, family_id: str) -> list[AttendanceRecord]:
        key = parse_id(family_id)
        if key is None:
            return []
        return await self._records(
            AttendanceRow.child_id.in_(select(ChildRow.id).where(ChildRow.family_id == key)),
            AttendanceRow.family_entered_at.is_(None),
        )

    async def due_from_provider(self, provider_id: str) -> list[AttendanceRecord]:
        key = parse_id(provider_id)
        if key is None:
            return []
        return await self._records(
            AttendanceRow.provider_id == key, AttendanceRow.provider_entered_at.is_(None)
        )

    async def open_for_children(self, child_ids: Sequence[str]) -> list[AttendanceRecord]:
        keys = [k for k in (parse_id(c) for c in child_ids) if k is not None]
        if not keys:
            return []
        return await self._records(
            AttendanceRow.child_id.in_(keys),
            or_(AttendanceRow.family_entered_at.is_(None), AttendanceRow.provider_entered_at.is_(None)),
        )

    async def get_for_update(self, record_id: str) -> AttendanceRecord | None:
        key = parse_id(record_id)
        if key is None:
            return None
        query = (
            select(*_RECORD_COLUMNS)
            .join(ProviderRow, ProviderRow.id == AttendanceRow.provider_id)
            .where(AttendanceRow.id == key)
            .with_for_update(of=AttendanceRow)
            .execution_options(populate_existing=True)
        )
        found = (await self._session.execute(query)).one_or_none()
        return None if found is None else _record(found[0], found[1])

    async def stamp_opened(self, side: Side, record_ids: Sequence[str], at: datetime) -> None:
        if not record_ids:
            return
        opened = _column(side, "opened_at")
        await self._session.execute(
            update(AttendanceRow)
            .where(AttendanceRow.id.in_([require_id(r) for r in record_ids]), opened.is_(None))
            .values({opened: at, AttendanceRow.updated_at: func.now()})
        )

    async def save_entry(self, record_id: str, side: Side, entry: SideEntry) -> None:
        await self._session.execute(
            update(AttendanceRow)
            .where(AttendanceRow.id == require_id(record_id))
            .values(
                {
                    _column(side, "full_days"): entry.full_days,
                    _column(side, "half_days"): entry.half_days,
                    _column(side, "entered_at"): entry.entered_at,
                    _column(side, "opened_at"): entry.opened_at,
                    AttendanceRow.updated_at: func.now(),
                }
            )
        )

    async def _records(self, *conditions: Any) -> list[AttendanceRecord]:
        query = (
            select(*_RECORD_COLUMNS)
            .join(ProviderRow, ProviderRow.id == AttendanceRow.provider_id)
            .where(and_(*conditions))
            .order_by(AttendanceRow.week, AttendanceRow.child_id, AttendanceRow.provider_id)
            .execution_options(populate_existing=True)
        )
        return [_record(row, provider_type) for row, provider_type in await self._session.execute(query)]


FAMILIES_TO_REMIND = text(
    """
    SELECT f.id, f.language, g.email, g.first_name, g.phone_number,
           array_agg(DISTINCT c.first_name ORDER BY c.first_name) AS children,
           array_agg(DISTINCT a.week ORDER BY a.week) AS weeks
    FROM attendance a
    JOIN provider_child_links l ON l.child_id = a.child_id AND l.provider_id = a.provider_id
    JOIN children c ON c.id = a.child_id
    JOIN families f ON f.id = c.family_id
    JOIN guardians g ON g.family_id = f.id AND g.type = 'primary'
    WHERE a.family_entered_at IS NULL
    GROUP BY f.id, f.language, g.email, g.first_name, g.phone_number
    ORDER BY f.id
    """
)

PROVIDERS_TO_REMIND = text(
    """
    SELECT p.id, p.preferred_language AS language, p.email, coalesce(p.first_name, p.name) AS first_name,
           p.phone_number,
           array_agg(DISTINCT c.first_name ORDER BY c.first_name) AS children,
           array_agg(DISTINCT a.week ORDER BY a.week) AS weeks
    FROM attendance a
    JOIN provider_child_links l ON l.child_id = a.child_id AND l.provider_id = a.provider_id
    JOIN children c ON c.id = a.child_id
    JOIN providers p ON p.id = a.provider_id
    WHERE a.provider_entered_at IS NULL AND (p.type <> 'center' OR a.week < :centers_before)
    GROUP BY p.id, p.preferred_language, p.email, p.first_name, p.name, p.phone_number
    ORDER BY p.id
    """
)


class PostgresAttendanceReminderReads:
    """Satisfies ``domain.attendance.reminders.AttendanceReminderReads``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def families_to_remind(self) -> list[PersonToRemind]:
        return _people("family", await self._session.execute(FAMILIES_TO_REMIND))

    async def providers_to_remind(self, centers_before: date) -> list[PersonToRemind]:
        rows = await self._session.execute(PROVIDERS_TO_REMIND, {"centers_before": centers_before})
        return _people("provider", rows)


def _people(role: str, rows: Any) -> list[PersonToRemind]:
    return [
        PersonToRemind(
            role=role,
            id=str(r.id),
            first_name=r.first_name,
            email=r.email,
            phone_number=r.phone_number,
            language=Language(r.language),
            children=tuple(r.children),
            weeks=tuple(r.weeks),
        )
        for r in rows
    ]


class SqlAlchemyAttendanceUnitOfWork(SqlAlchemyProgrammeUnitOfWork):
    """Satisfies ``AttendanceUnitOfWork``: the programme's unit of work with the attendance beside it."""

    @property
    def attendance(self) -> PostgresAttendance:
        return PostgresAttendance(self.session)

    @property
    def attendance_reminders(self) -> PostgresAttendanceReminderReads:
        return PostgresAttendanceReminderReads(self.session)
