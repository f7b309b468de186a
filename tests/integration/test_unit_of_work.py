from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = build_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE uow_probe (value int)"))
    yield engine
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE uow_probe"))
    await engine.dispose()


async def _values(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.execute(text("SELECT value FROM uow_probe ORDER BY value"))).scalars())


async def test_commit_makes_the_work_durable_and_runs_after_commit_callbacks(engine: AsyncEngine) -> None:
    ran: list[str] = []
    async with SqlAlchemyUnitOfWork(build_session_factory(engine)) as uow:
        await uow.session.execute(text("INSERT INTO uow_probe VALUES (1)"))
        uow.after_commit(lambda: _record(ran, "sent"))
        assert ran == []  # nothing leaves before the commit
        await uow.commit()
    assert ran == ["sent"]
    assert await _values(engine) == [1]


async def test_leaving_without_commit_rolls_back_and_drops_callbacks(engine: AsyncEngine) -> None:
    ran: list[str] = []
    async with SqlAlchemyUnitOfWork(build_session_factory(engine)) as uow:
        await uow.session.execute(text("INSERT INTO uow_probe VALUES (2)"))
        uow.after_commit(lambda: _record(ran, "sent"))
    assert ran == []
    assert await _values(engine) == []


async def test_an_error_inside_the_block_rolls_back(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with SqlAlchemyUnitOfWork(build_session_factory(engine)) as uow:
            await uow.session.execute(text("INSERT INTO uow_probe VALUES (3)"))
            raise RuntimeError("half-way failure")
    assert await _values(engine) == []


async def _record(ran: list[str], what: str) -> None:
    ran.append(what)
