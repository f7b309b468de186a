"""Health probe for Postgres."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine


class PostgresProbe:
    """Satisfies ``domain.ports.DependencyProbe`` with a ``SELECT 1`` on a pooled connection."""

    name = "database"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def check(self) -> None:
        async with self._engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
