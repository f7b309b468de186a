from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from adapters.postgres.migrations import upgrade
from entrypoints.settings import Settings
from tests import infrastructure
from tests.fake_clerk import SECRET_KEY, FakeClerk, running_fake_clerk
from tests.tokens import AUTHORIZED_PARTY, ISSUER, WEBHOOK_SECRET, TokenMinter, new_key, public_pem

TIERS = ("unit", "integration", "e2e", "contract")
TEST_API_KEY = "test-api-key-0123456789"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The tier is the folder a test lives in, so nobody has to remember to mark it.
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with infrastructure.postgres_server(tmp_path_factory.mktemp("pg")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with infrastructure.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_database_url(postgres_server_url: str) -> Iterator[str]:
    with infrastructure.scratch_database(postgres_server_url) as url:
        upgrade(url)
        yield url


@pytest.fixture
async def database_url(migrated_database_url: str) -> AsyncIterator[str]:
    """The test database, emptied after each test."""
    yield migrated_database_url
    await infrastructure.truncate_all(migrated_database_url)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture(scope="session")
def _fake_clerk_server() -> Iterator[FakeClerk]:
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
    return TokenMinter(new_key())


@pytest.fixture
def settings(database_url: str, redis_url: str, minter: TokenMinter, fake_clerk: FakeClerk) -> Settings:
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
    )
