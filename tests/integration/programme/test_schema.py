"""The migration builds exactly the schema the ORM rows describe, and takes it down again."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.postgres.migrations import downgrade, upgrade
from adapters.schema import metadata
from tests.infrastructure import asyncpg_dsn, scratch_database

PROGRAMME_TABLES = {
    "families",
    "guardians",
    "children",
    "providers",
    "provider_child_links",
    "payment_rates",
    "month_allocations",
    "care_days",
}


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, metadata))


async def test_the_migrated_database_matches_the_orm_metadata(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row["tablename"] for row in rows}
    finally:
        await connection.close()


def test_the_programme_migration_downgrades_cleanly_and_upgrades_again(postgres_server_url: str) -> None:
    with scratch_database(postgres_server_url) as url:
        upgrade(url, "0004_programme")
        assert asyncio.run(_tables(url)) >= PROGRAMME_TABLES

        downgrade(url, "0001_baseline")
        assert asyncio.run(_tables(url)) & PROGRAMME_TABLES == set()

        upgrade(url, "0004_programme")
        assert asyncio.run(_tables(url)) >= PROGRAMME_TABLES


async def _run(url: str, statement: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return [dict(row) for row in await connection.fetch(statement)]
    finally:
        await connection.close()


def test_dropping_the_event_outbox_carries_unpublished_events_over_as_jobs(postgres_server_url: str) -> None:
    with scratch_database(postgres_server_url) as url:
        upgrade(url, "0004_programme")
        asyncio.run(
            _run(
                url,
                """INSERT INTO programme_events (name, payload, created_at, published_at) VALUES
                   ('programme.allocation_created', '{"allocation_id": 1}', now(), NULL),
                   ('programme.allocation_created', '{"allocation_id": 2}', now(), now())""",
            )
        )

        upgrade(url, "0005_drop_programme_events")
        assert "programme_events" not in asyncio.run(_tables(url))
        jobs = asyncio.run(_run(url, "SELECT name, queue, args, kwargs, status, attempts FROM jobs"))
        assert jobs == [
            {
                "name": "programme.allocation_created",
                "queue": "default",
                "args": "[]",
                "kwargs": '{"allocation_id": 1}',
                "status": "queued",
                "attempts": 0,
            }
        ]

        downgrade(url, "0004_programme")
        assert asyncio.run(_run(url, "SELECT count(*) AS n FROM programme_events")) == [{"n": 0}]
        upgrade(url, "0005_drop_programme_events")
        assert len(asyncio.run(_run(url, "SELECT id FROM jobs"))) == 1
