"""Helpers for the read paths on plain asyncpg (``RawPool``): statements that name their columns from
the ORM tables, so a new column reaches both paths, and records read by attribute, so the same
row-to-record functions as the ORM repositories turn them into domain records."""

from __future__ import annotations

from typing import Any, cast

import asyncpg
from sqlalchemy import Table


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
