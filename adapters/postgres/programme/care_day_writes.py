"""Scheduling, changing and removing a care day on plain asyncpg: the family's hottest write.

Satisfies ``domain.programme.ports.CareDayUnitOfWork``. Through the ORM a create cost about five times
the CPU of a bare app sending the same nine statements (docs/benchmarks.md, "Hot paths"): statement
building, cache keys, the session, identity map and row instrumentation. Here the statements are fixed
(prepared once per connection) and run on one pooled connection in one transaction, like the ORM
unit of work's: the allocation's row lock (``SELECT … FOR UPDATE``) is taken the same way, so the two
paths serialise against each other. Rows become records through the ORM repositories' functions, and
writes take their columns from the same ``_mutable_values``, so a column added there reaches both
paths (``tests/integration/programme/test_care_day_writes.py`` compares them).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import cache
from types import TracebackType
from typing import Any, Self

import asyncpg

from adapters.postgres.ids import parse_id
from adapters.postgres.programme._base import require_id
from adapters.postgres.programme.allocations import allocation_from_row
from adapters.postgres.programme.care_days import _mutable_values, care_day_from_row
from adapters.postgres.programme.families import child_from_row
from adapters.postgres.programme.month_reads import (
    ALLOCATION_BY_ID_STATEMENT,
    CARE_DAY_WITH_CHILD,
    CARE_DAYS_STATEMENT,
    CHILD_STATEMENT,
)
from adapters.postgres.programme.rates import rate_from_row
from adapters.postgres.programme.rows import PaymentRateRow
from adapters.postgres.raw_pool import RawConnection, RawPool
from adapters.postgres.raw_rows import columns, fields
from domain.programme.allocations import MonthAllocation
from domain.programme.care_days import CareDay
from domain.programme.families import Child
from domain.programme.rates import PaymentRate

ALLOCATION_FOR_UPDATE_STATEMENT = ALLOCATION_BY_ID_STATEMENT + " FOR UPDATE"
LINKED_STATEMENT = (
    "SELECT EXISTS (SELECT 1 FROM provider_child_links WHERE provider_id = $1 AND child_id = $2)"
)
RATE_STATEMENT = (
    f"SELECT {columns(PaymentRateRow.__table__)} FROM payment_rates WHERE provider_id = $1 AND child_id = $2"
)
CARE_DAY_STATEMENT = CARE_DAY_WITH_CHILD + " WHERE care_days.id = $1"
SAME_DAY_STATEMENT = CARE_DAY_WITH_CHILD + (
    " WHERE care_days.allocation_id = $1 AND care_days.provider_id = $2 AND care_days.date = $3"
)


@cache
def insert_statement(names: tuple[str, ...]) -> str:
    """One text per set of columns, so asyncpg prepares it once per connection."""
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    return f"INSERT INTO care_days ({', '.join(names)}) VALUES ({placeholders}) RETURNING id"


@cache
def update_statement(names: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    return f"UPDATE care_days SET {assignments} WHERE id = $1"


def _one(rows: list[asyncpg.Record]) -> asyncpg.Record | None:
    return rows[0] if rows else None


class _Children:
    def __init__(self, connection: RawConnection) -> None:
        self._connection = connection

    async def get(self, child_id: str) -> Child | None:
        key = parse_id(child_id)
        row = None if key is None else _one(await self._connection.fetch(CHILD_STATEMENT, key))
        return None if row is None else child_from_row(fields(row))


class _Allocations:
    def __init__(self, connection: RawConnection) -> None:
        self._connection = connection

    async def get(self, allocation_id: int) -> MonthAllocation | None:
        return await self._read(ALLOCATION_BY_ID_STATEMENT, allocation_id)

    async def get_for_update(self, allocation_id: int) -> MonthAllocation | None:
        """The row lock is held until the unit of work commits or rolls back."""
        return await self._read(ALLOCATION_FOR_UPDATE_STATEMENT, allocation_id)

    async def _read(self, statement: str, allocation_id: int) -> MonthAllocation | None:
        row = _one(await self._connection.fetch(statement, allocation_id))
        return None if row is None else allocation_from_row(fields(row))


class _Links:
    def __init__(self, connection: RawConnection) -> None:
        self._connection = connection

    async def is_linked(self, provider_id: str, child_id: str) -> bool:
        provider_key, child_key = parse_id(provider_id), parse_id(child_id)
        if provider_key is None or child_key is None:
            return False
        rows = await self._connection.fetch(LINKED_STATEMENT, provider_key, child_key)
        return bool(rows[0][0])


class _Rates:
    def __init__(self, connection: RawConnection) -> None:
        self._connection = connection

    async def get(self, provider_id: str, child_id: str) -> PaymentRate | None:
        provider_key, child_key = parse_id(provider_id), parse_id(child_id)
        if provider_key is None or child_key is None:
            return None
        row = _one(await self._connection.fetch(RATE_STATEMENT, provider_key, child_key))
        return None if row is None else rate_from_row(fields(row))


class _CareDays:
    def __init__(self, connection: RawConnection) -> None:
        self._connection = connection

    async def get(self, care_day_id: int) -> CareDay | None:
        return self._day(_one(await self._connection.fetch(CARE_DAY_STATEMENT, care_day_id)))

    async def find(self, allocation_id: int, provider_id: str, day: date) -> CareDay | None:
        key = parse_id(provider_id)
        if key is None:
            return None
        return self._day(_one(await self._connection.fetch(SAME_DAY_STATEMENT, allocation_id, key, day)))

    async def list_for_allocation(self, allocation_id: int) -> list[CareDay]:
        rows = await self._connection.fetch(CARE_DAYS_STATEMENT, allocation_id)
        return [care_day_from_row(fields(row), row["allocation_child_id"]) for row in rows]

    async def add(self, care_day: CareDay) -> CareDay:
        values: dict[str, Any] = {
            "allocation_id": care_day.allocation_id,
            "provider_id": require_id(care_day.provider_id),
            "date": care_day.date,
            "created_at": care_day.created_at,
            **_mutable_values(care_day),
        }
        rows = await self._connection.fetch(insert_statement(tuple(values)), *values.values())
        return replace(care_day, id=rows[0]["id"])

    async def save(self, care_day: CareDay) -> None:
        values = _mutable_values(care_day)
        await self._connection.execute(update_statement(tuple(values)), care_day.id, *values.values())

    @staticmethod
    def _day(row: asyncpg.Record | None) -> CareDay | None:
        return None if row is None else care_day_from_row(fields(row), row["allocation_child_id"])


class RawCareDayUnitOfWork:
    """Satisfies ``CareDayUnitOfWork``. Entering takes a connection from the pool and begins a
    transaction; leaving without ``commit()`` rolls it back; either way the connection goes back. The
    same instance can be entered again after it exits, as the ORM unit of work can."""

    def __init__(self, pool: RawPool) -> None:
        self._pool = pool
        self._connection: RawConnection | None = None
        self._transaction: Any = None  # asyncpg's Transaction, while one is open

    def _held(self) -> RawConnection:
        if self._connection is None:
            raise RuntimeError("the care-day unit of work is used outside `async with`")
        return self._connection

    @property
    def children(self) -> _Children:
        return _Children(self._held())

    @property
    def allocations(self) -> _Allocations:
        return _Allocations(self._held())

    @property
    def links(self) -> _Links:
        return _Links(self._held())

    @property
    def rates(self) -> _Rates:
        return _Rates(self._held())

    @property
    def care_days(self) -> _CareDays:
        return _CareDays(self._held())

    async def __aenter__(self) -> Self:
        connection = await self._pool.acquire()
        try:
            self._transaction = connection.raw.transaction()
            await self._transaction.start()
        except BaseException:
            await self._pool.release(connection)
            raise
        self._connection = connection
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        connection, self._connection = self._held(), None
        try:
            await self.rollback()
        finally:
            await self._pool.release(connection)

    async def commit(self) -> None:
        self._held()
        if self._transaction is None:
            raise RuntimeError("this unit of work has already committed or rolled back")
        transaction, self._transaction = self._transaction, None
        await transaction.commit()

    async def rollback(self) -> None:
        """Rolls back what is open (nothing, after a commit)."""
        transaction, self._transaction = self._transaction, None
        if transaction is not None:
            await transaction.rollback()
