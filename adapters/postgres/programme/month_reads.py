"""A child's month on plain asyncpg: the family's hottest page without the ORM.

Satisfies ``domain.programme.ports.ChildMonthReads``. The month view is three point reads; through an
ORM session each one costs statement building, cache-key generation, identity-map bookkeeping and row
instrumentation — several times the round trip itself (docs/benchmarks.md, "Hot paths"). Here they are
fixed statements, prepared once per connection, each in a transaction of its own (at READ COMMITTED a
transaction around them would give no better consistency, see ``WebServices.programme_reads``).

The statements name their columns from the ORM tables, so a new column reaches both paths; the rows are
turned into domain records by the same functions the ORM repositories use, so both paths answer alike
(``tests/integration/programme/test_month_reads.py`` compares them).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from adapters.postgres.ids import parse_id
from adapters.postgres.programme.allocations import allocation_from_row
from adapters.postgres.programme.care_days import care_day_from_row
from adapters.postgres.programme.families import child_from_row
from adapters.postgres.programme.rows import CareDayRow, ChildRow, MonthAllocationRow
from adapters.postgres.raw_pool import RawPool
from adapters.postgres.raw_rows import PooledReads, PoolReader, RecordFields, columns
from domain.programme.allocations import MonthAllocation
from domain.programme.care_days import CareDay
from domain.programme.families import Child

CHILD_STATEMENT = f"SELECT {columns(ChildRow.__table__)} FROM children WHERE id = $1"
ALLOCATION_STATEMENT = (
    f"SELECT {columns(MonthAllocationRow.__table__)} FROM month_allocations"
    " WHERE child_id = $1 AND month = $2"
)
# The care-day writes' allocation reads (care_day_writes.py): the same row, found by id.
ALLOCATION_BY_ID_STATEMENT = (
    f"SELECT {columns(MonthAllocationRow.__table__)} FROM month_allocations WHERE id = $1"
)
# A care day with its child, which is its allocation's child.
CARE_DAY_WITH_CHILD = (
    f"SELECT {columns(CareDayRow.__table__, 'care_days.')},"
    " month_allocations.child_id AS allocation_child_id"
    " FROM care_days JOIN month_allocations ON month_allocations.id = care_days.allocation_id"
)
CARE_DAYS_STATEMENT = CARE_DAY_WITH_CHILD + (
    " WHERE care_days.allocation_id = $1 ORDER BY care_days.date, care_days.id"
)


class _Children(PoolReader):
    async def get(self, child_id: str) -> Child | None:
        key = parse_id(child_id)
        rows = [] if key is None else await self._pool.fetch(CHILD_STATEMENT, key)
        return child_from_row(cast(Any, RecordFields(rows[0]))) if rows else None


class _Allocations(PoolReader):
    async def get_for_child_month(self, child_id: str, month: date) -> MonthAllocation | None:
        key = parse_id(child_id)
        rows = [] if key is None else await self._pool.fetch(ALLOCATION_STATEMENT, key, month)
        return allocation_from_row(cast(Any, RecordFields(rows[0]))) if rows else None


class _CareDays(PoolReader):
    async def list_for_allocation(self, allocation_id: int) -> list[CareDay]:
        rows = await self._pool.fetch(CARE_DAYS_STATEMENT, allocation_id)
        return [care_day_from_row(cast(Any, RecordFields(row)), row["allocation_child_id"]) for row in rows]


class RawChildMonthReads(PooledReads):
    """Satisfies ``ChildMonthReads``: entering it opens nothing, each read is one pooled statement."""

    def __init__(self, pool: RawPool) -> None:
        self.children = _Children(pool)
        self.allocations = _Allocations(pool)
        self.care_days = _CareDays(pool)
