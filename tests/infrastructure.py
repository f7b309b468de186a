"""Real Postgres and Redis for the tests: the machine's (TEST_DATABASE_URL / TEST_REDIS_URL) or
embedded servers started once per run. Each run gets a database of its own, built by
``alembic upgrade head`` so that every run exercises the migrations."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from adapters.schema import metadata


@contextmanager
def postgres_server(tmp: Path) -> Iterator[str]:
    """An admin URL to a Postgres server: the configured one, or an embedded one."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    from adapters.embedded.postgres import EmbeddedPostgres

    with EmbeddedPostgres(tmp / "postgres") as server:
        yield server.url


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    configured = os.environ.get("TEST_REDIS_URL")
    if configured:
        yield configured
        return
    from adapters.embedded.redis import EmbeddedRedis

    with EmbeddedRedis(tmp / "redis") as server:
        yield server.url


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards; yields its SQLAlchemy URL."""
    name = f"cap_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def truncate_all(database_url: str) -> None:
    """Empty every table of the schema (not alembic's) so the next test starts clean."""
    tables = [table.name for table in metadata.sorted_tables]
    if not tables:
        return
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        quoted = ", ".join(f'"{name}"' for name in tables)
        await connection.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()
