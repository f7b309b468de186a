from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.engine import build_engine, build_session_factory
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.programme_support import NOW, app_at
from tests.fakes import FixedClock

ClientFactory = Callable[..., AsyncTestClient[Litestar]]


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(settings, configure_process=False)
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture
def client_with(settings: Settings) -> Callable[..., AbstractAsyncContextManager[AsyncTestClient[Litestar]]]:
    """A client for an app built with some settings changed: ``async with client_with(x=...) as c``."""

    @asynccontextmanager
    async def build(**changes: Any) -> AsyncIterator[AsyncTestClient[Litestar]]:
        app = create_app(replace(settings, **changes), configure_process=False)
        async with AsyncTestClient(app) as test_client:
            yield test_client

    return build


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
async def programme_client(settings: Settings, clock: FixedClock) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The app with a fixed clock (Wednesday 1 January 2025 in Denver), for the programme's routes."""
    async with AsyncTestClient(app_at(settings, clock)) as test_client:
        yield test_client


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """ORM sessions on the test database, for tests that read or seed records beside the app."""
    engine = build_engine(database_url, pool_size=5)
    yield build_session_factory(engine)
    await engine.dispose()
