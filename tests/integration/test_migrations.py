from __future__ import annotations

import asyncio

import asyncpg

from adapters.postgres.migrations import downgrade, upgrade
from adapters.schema import metadata
from tests.infrastructure import asyncpg_dsn, scratch_database


async def _state(url: str) -> tuple[str | None, set[str]]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        tables = {
            r["tablename"]
            for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        version = None
        if "alembic_version" in tables:
            version = await connection.fetchval("SELECT version_num FROM alembic_version")
        return version, tables - {"alembic_version"}
    finally:
        await connection.close()


def test_upgrade_downgrade_to_base_and_upgrade_again(postgres_server_url: str) -> None:
    expected_tables = {table.name for table in metadata.sorted_tables}
    with scratch_database(postgres_server_url) as url:
        upgrade(url)
        head, tables = asyncio.run(_state(url))
        assert head is not None
        assert tables == expected_tables

        downgrade(url, "base")
        assert asyncio.run(_state(url)) == (None, set())

        upgrade(url)
        assert asyncio.run(_state(url)) == (head, expected_tables)
