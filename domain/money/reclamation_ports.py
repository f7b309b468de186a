"""Reclamation's records: the reclamation rows, and what an allocation has left unpaid."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from domain.money.ports import MoneyUnitOfWork
from domain.money.reclamation import ReclaimCandidate, Reclamation


class ReclamationRepository(Protocol):
    async def get(self, allocation_id: int) -> Reclamation | None: ...

    async def claim(self, reclamation: Reclamation) -> Reclamation:
        """The allocation's one reclamation row, inserted with this amount if absent (a unique constraint
        decides who inserts; the amount of a row that exists is kept), then locked until the unit of work
        ends."""
        ...

    async def save(self, reclamation: Reclamation) -> None:
        """Writes the row's progress; once it is reclaimed, the allocation's ``reclaimed_cents`` too, in
        the same transaction."""
        ...

    async def unpaid_remainder_cents(self, allocation_id: int) -> int:
        """What the allocation has not paid out nor given back, by our ledger (read under the caller's
        lock on the allocation)."""
        ...

    async def candidates(self, *, through: date, month: date | None, limit: int) -> list[ReclaimCandidate]:
        """Funded allocations of ``month`` (or of every month up to ``through``) that are not reclaimed:
        an unpaid remainder and no row yet, or a row still pending. Oldest first."""
        ...


class ReclamationUnitOfWork(MoneyUnitOfWork, Protocol):
    @property
    def reclamations(self) -> ReclamationRepository: ...
