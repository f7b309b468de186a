"""The attendance records' repository, and the unit of work that holds it beside the programme's records."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from domain.attendance.model import AttendanceRecord, SideEntry
from domain.attendance.rules import PairCandidate
from domain.programme.ports import ProgrammeUnitOfWork


class Side(enum.StrEnum):
    FAMILY = "family"
    PROVIDER = "provider"


class OpenAttendanceReads(Protocol):
    async def open_for_children(self, child_ids: Sequence[str]) -> list[AttendanceRecord]:
        """The children's records with either side due (what the payment block looks at)."""
        ...

    async def due_from_provider(self, provider_id: str) -> list[AttendanceRecord]:
        """The provider's records whose provider side is due, oldest week first."""
        ...


class AttendanceRepository(Protocol):
    async def pair_candidates(self, week: date) -> list[PairCandidate]:
        """Every linked child and provider, with the child's paid care days with it in the week."""
        ...

    async def add_missing(self, week: date, pairs: Sequence[tuple[str, str]]) -> int:
        """One record per (child, provider) for the week unless it exists (a unique constraint decides,
        so concurrent or repeated runs never duplicate); returns how many were new."""
        ...

    async def due_from_family(self, family_id: str) -> list[AttendanceRecord]:
        """Records of the family's children whose family side is due, oldest week first."""
        ...

    async def due_from_provider(self, provider_id: str) -> list[AttendanceRecord]:
        """The provider's records whose provider side is due, oldest week first."""
        ...

    async def open_for_children(self, child_ids: Sequence[str]) -> list[AttendanceRecord]:
        """The children's records with either side due (what the payment block looks at)."""
        ...

    async def get_for_update(self, record_id: str) -> AttendanceRecord | None:
        """SELECT … FOR UPDATE: two entries of one record wait for each other."""
        ...

    async def stamp_opened(self, side: Side, record_ids: Sequence[str], at: datetime) -> None:
        """Sets the side's first opening; a later one changes nothing."""
        ...

    async def save_entry(self, record_id: str, side: Side, entry: SideEntry) -> None: ...


class AttendanceUnitOfWork(ProgrammeUnitOfWork, Protocol):
    @property
    def attendance(self) -> AttendanceRepository: ...
