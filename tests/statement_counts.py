"""Counting the SQL statements an engine sends, to show a request costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.raw_pool import RawPool


@contextmanager
def counting(engine: AsyncEngine, raw_pool: RawPool | None = None) -> Iterator[list[str]]:
    """The statements sent through ``engine`` (and engines derived from it by ``execution_options``,
    such as the autocommit one the sign-in lookup uses), and through ``raw_pool`` if given, while the
    block runs. BEGIN, COMMIT and ROLLBACK are the driver's and are not listed."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    if raw_pool is not None:
        raw_pool.statement_listeners.append(statements.append)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        if raw_pool is not None:
            raw_pool.statement_listeners.remove(statements.append)


class CountingPool(RawPool):
    """A raw pool that lists every statement sent through it (``fetch``, ``execute`` and those of its
    held connections), for the raw paths' statement-count tests."""

    def __init__(self, database_url: str, *, size: int = 1) -> None:
        super().__init__(database_url, size=size)
        self.statements: list[str] = []
        self.statement_listeners.append(self.statements.append)
