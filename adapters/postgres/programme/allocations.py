"""Monthly allocations: one per child and month, locked while care days are written against them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from adapters.postgres.programme._base import SessionRepository, fresh, parse_id, require_id
from adapters.postgres.programme.rows import MonthAllocationRow
from domain.programme.allocations import MonthAllocation


def allocation_from_row(row: MonthAllocationRow) -> MonthAllocation:
    # The sums are columns kept by the payments, lump sums and reclamations (see MonthAllocationRow), so
    # the ORM path and the month view's asyncpg path (which selects every column) read them alike.
    return MonthAllocation(
        id=row.id,
        child_id=str(row.child_id),
        month=row.month,
        allocation_cents=row.allocation_cents,
        created_at=row.created_at,
        updated_at=row.updated_at,
        reclaimed_cents=row.reclaimed_cents,
        paid_cents=row.paid_cents,
        lump_sum_cents=row.lump_sum_cents,
    )


class PostgresAllocations(SessionRepository):
    """Satisfies ``AllocationRepository``."""

    async def _one(self, *where: Any, for_update: bool = False) -> MonthAllocation | None:
        query = fresh(MonthAllocationRow).where(*where)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else allocation_from_row(row)

    async def get(self, allocation_id: int) -> MonthAllocation | None:
        return await self._one(MonthAllocationRow.id == allocation_id)

    async def get_for_update(self, allocation_id: int) -> MonthAllocation | None:
        """SELECT … FOR UPDATE: the row lock is held until the unit of work commits or rolls back."""
        return await self._one(MonthAllocationRow.id == allocation_id, for_update=True)

    async def get_for_child_month(self, child_id: str, month: date) -> MonthAllocation | None:
        key = parse_id(child_id)
        if key is None:
            return None
        return await self._one(MonthAllocationRow.child_id == key, MonthAllocationRow.month == month)

    async def child_has_any(self, child_id: str) -> bool:
        key = parse_id(child_id)
        if key is None:
            return False
        query = select(exists().where(MonthAllocationRow.child_id == key))
        return bool(await self._session.scalar(query))

    async def add_if_absent(self, allocation: MonthAllocation) -> MonthAllocation | None:
        """INSERT … ON CONFLICT DO NOTHING RETURNING id: no row back means the child has that month."""
        statement = (
            pg_insert(MonthAllocationRow)
            .values(
                child_id=require_id(allocation.child_id),
                month=allocation.month,
                allocation_cents=allocation.allocation_cents,
                created_at=allocation.created_at,
                updated_at=allocation.updated_at,
            )
            .on_conflict_do_nothing(index_elements=["child_id", "month"])
            .returning(MonthAllocationRow.id)
        )
        new_id = (await self._session.execute(statement)).scalar_one_or_none()
        return None if new_id is None else replace(allocation, id=new_id)
