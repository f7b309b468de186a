from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.engine import build_engine, build_session_factory
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.payment_support import ledger_is_balanced
from tests.e2e.programme_support import NOW, app_at
from tests.fake_clerk import SECRET_KEY, FakeClerk
from tests.fake_smtp import FakeSmtp, running_fake_smtp
from tests.fakes import FixedClock
from tests.job_processes import process_env, start, stop

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


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    """A fake SMTP server: the console worker's mail lands in its ``received``."""
    with running_fake_smtp() as fake:
        yield fake


@pytest.fixture
def console_worker(
    migrated_database_url: str, redis_url: str, fake_clerk: FakeClerk, smtp: FakeSmtp, redis: Redis
) -> Iterator[Callable[[], None]]:
    """Call it to start a real `cap-portal worker` (after the page under test shows its job waiting),
    against the fake Clerk and SMTP; each one started is stopped cleanly at the end."""
    env = process_env(
        migrated_database_url,
        redis_url,
        CLERK_SECRET_KEY=SECRET_KEY,
        CLERK_API_URL=fake_clerk.api_url,
        SMTP_HOST=smtp.host,
        SMTP_PORT=str(smtp.port),
    )
    started: list[subprocess.Popen[bytes]] = []
    yield lambda: started.append(start("worker", env, "--threads", "2"))
    for process in started:
        assert stop(process) == 0


CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Remembers whether the test itself failed, so the books check below stays quiet after a failure
    (the test's own error is the one to read)."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture(autouse=True)
def books_clean_after_each_scenario(request: pytest.FixtureRequest) -> None:
    """Every e2e scenario on the database ends with the reconciliation of ``cap-portal ledger check``
    (allocation = paid + reclaimed + unpaid remainder, every transaction balanced, wallets equal to the
    sandbox gateway's) at zero drift — money tests and the others alike, so no scenario can leave the
    books wrong unnoticed; a test marked ``books_unchecked(reason)`` (wallets on the fake Chek, which the
    check's sandbox cannot see; a ledger seeded by hand) says why it is left out. Tests without a database
    pay nothing (a sync fixture: it can ask for the
    async check only when the test has a database)."""
    if "database_url" in request.fixturenames and request.node.get_closest_marker("books_unchecked") is None:
        request.getfixturevalue("_books_checked")


@pytest.fixture
async def _books_checked(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[None]:
    """Runs after the test and before the database is emptied (it depends on ``database_url``)."""
    yield
    if request.node.stash.get(CALL_FAILED, True):
        return
    engine = build_engine(database_url, pool_size=1)
    try:
        assert await ledger_is_balanced(build_session_factory(engine)), "the ledger does not balance"
    finally:
        await engine.dispose()
