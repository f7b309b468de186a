"""Helpers for the read paths on plain asyncpg (``RawPool``): statements that name their columns from
the ORM tables, so a new column reaches both paths, and records read by attribute, so the same
row-to-record functions as the ORM repositories turn them into domain records."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

import asyncpg
from sqlalchemy import Table

if TYPE_CHECKING:
    from adapters.postgres.raw_pool import RawPool


def columns(table: Any, prefix: str = "") -> str:
    return ", ".join(f"{prefix}{column.name}" for column in cast(Table, table).columns)


class RecordFields:
    """A record read by attribute, as the row-to-record functions read ORM rows."""

    __slots__ = ("_record",)

    def __init__(self, record: asyncpg.Record) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        try:
            return self._record[name]
        except KeyError:
            raise AttributeError(name) from None


def fields(record: asyncpg.Record) -> Any:
    """``record`` as the ORM row the row-to-record functions expect (typed ``Any``: they read by name)."""
    return RecordFields(record)


class PoolReader:
    """A repository of the raw read paths: its reads are statements on the pool."""

    def __init__(self, pool: RawPool) -> None:
        self._pool = pool


class PooledReads:
    """A read port on the pool: entering opens nothing (each read is one pooled statement in
    asyncpg's implicit transaction), so ``async with`` costs no round trip."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        return None
