from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

# The servers, migrations, fake Clerk and signing keys are imported by the fixtures that need them, not
# here: the unit tier uses none of them and starts in a fraction of the time without their imports
# (alembic and advanced-alchemy alone took seconds).
if TYPE_CHECKING:
    from redis.asyncio import Redis

    from entrypoints.settings import Settings
    from tests.fake_clerk import FakeClerk
    from tests.tokens import TokenMinter

TIERS = ("unit", "integration", "e2e", "contract")
TEST_API_KEY = "test-api-key-0123456789"


def pytest_configure(config: pytest.Config) -> None:
    """Schemathesis's pytest plugin (``-p no:schemathesis`` in pyproject stops its autoload) is loaded
    for every run but one of the unit tier alone: importing it costs seconds, and a unit test file
    should answer in about one."""
    only_unit = bool(config.args) and all("unit" in Path(arg.split("::")[0]).parts for arg in config.args)
    if not only_unit:
        config.pluginmanager.import_plugin("schemathesis.pytest.plugin")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The tier is the folder a test lives in, so nobody has to remember to mark it.
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    from tests import infrastructure

    with _session_dir("pg") as directory, infrastructure.postgres_server(directory) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    from tests import infrastructure

    with _session_dir("redis") as directory, infrastructure.redis_server(directory) as url:
        yield url


@contextmanager
def _session_dir(name: str) -> Iterator[Path]:
    # Not under pytest's /tmp/pytest-of-root: every pytest session that starts resets that folder to
    # mode 0700, which locks the embedded Postgres (its own system user, reaching its files through
    # o+x) out of its data directory mid-run. A second pytest session beside this one (a developer's,
    # or a helper's) used to make this session's Postgres PANIC with "Permission denied".
    directory = Path(tempfile.mkdtemp(prefix=f"cap-portal-tests-{name}-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_database_url(postgres_server_url: str) -> Iterator[str]:
    from adapters.postgres.migrations import upgrade
    from tests import infrastructure

    with infrastructure.scratch_database(postgres_server_url) as url:
        upgrade(url)
        yield url


@pytest.fixture
async def database_url(migrated_database_url: str) -> AsyncIterator[str]:
    """The test database, emptied after each test."""
    from tests import infrastructure

    yield migrated_database_url
    await infrastructure.truncate_all(migrated_database_url)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    # Empty before too: a worker process of an earlier test may have written (a heartbeat) after its flush.
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture(scope="session")
def _fake_clerk_server() -> Iterator[FakeClerk]:
    from tests.fake_clerk import running_fake_clerk

    with running_fake_clerk() as fake:
        yield fake


@pytest.fixture
def fake_clerk(_fake_clerk_server: FakeClerk) -> Iterator[FakeClerk]:
    """The local stand-in for Clerk's JWKS endpoint and Backend API, fresh for each test."""
    _fake_clerk_server.reset()
    yield _fake_clerk_server
    _fake_clerk_server.reset()


@pytest.fixture(scope="session")
def minter() -> TokenMinter:
    """Signs session tokens with the key the test app trusts (CLERK_JWT_KEY)."""
    from tests.tokens import TokenMinter, new_key

    return TokenMinter(new_key())


@pytest.fixture
def settings(database_url: str, redis_url: str, minter: TokenMinter, fake_clerk: FakeClerk) -> Settings:
    from entrypoints.settings import Settings
    from tests.fake_clerk import SECRET_KEY
    from tests.tokens import AUTHORIZED_PARTY, ISSUER, WEBHOOK_SECRET, public_pem

    return Settings(
        app_env="testing",
        app_version="test-1.0",
        database_url=database_url,
        redis_url=redis_url,
        api_keys=(TEST_API_KEY, "rotated-second-key-abcdef"),
        clerk_jwt_key=public_pem(minter.key),
        clerk_issuer=ISSUER,
        clerk_authorized_parties=(AUTHORIZED_PARTY,),
        clerk_secret_key=SECRET_KEY,
        clerk_webhook_secret=WEBHOOK_SECRET,
        clerk_api_url=fake_clerk.api_url,
        # A loaded CI machine has taken longer than the production 5 s to open a Postgres connection
        # (a lump-sum test once answered 503): the tests are about behaviour, not about giving up.
        database_connect_timeout_seconds=30,
    )
