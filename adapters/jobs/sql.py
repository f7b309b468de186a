"""What the job tables' plain SQL needs: a pool that runs a statement, and ids as the table keys them.

Every process hands in the raw asyncpg pool (``adapters/postgres/raw_pool.py``: prepared statements,
no ORM); the job package names only this shape, so it imports no other adapter package.
"""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

import asyncpg


class StatementPool(Protocol):
    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]: ...

    async def execute(self, query: str, *args: Any) -> str: ...


def job_key(value: str) -> UUID | None:
    """A job's or schedule's id as the table stores it; None for text that cannot be one, which names
    nothing: the caller answers "not found" without spending a query."""
    try:
        return UUID(value)
    except (ValueError, TypeError, AttributeError):
        return None
