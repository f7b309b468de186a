"""Counting the SQL statements an engine sends, to show a request costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements sent through ``engine`` (and engines derived from it by ``execution_options``,
    such as the autocommit one the sign-in lookup uses) while the block runs. BEGIN, COMMIT and
    ROLLBACK are the driver's and are not listed."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
