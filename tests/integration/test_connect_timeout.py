"""DATABASE_CONNECT_TIMEOUT_SECONDS reaches the web process's engine and raw pool: a Postgres that
accepts the TCP connection but never answers is given up on after that long (then 503), not after a
fixed 5 s."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import text

from entrypoints.http.services import build_web_services
from entrypoints.settings import Settings


@pytest.fixture
def silent_postgres() -> Iterator[str]:
    """A listening socket that accepts connections (the kernel's backlog) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{listener.getsockname()[1]}/postgres"


async def test_a_silent_postgres_is_given_up_on_after_the_setting(
    settings: Settings, silent_postgres: str
) -> None:
    services = build_web_services(
        replace(settings, database_url=silent_postgres, database_connect_timeout_seconds=1)
    )
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            async with services.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        engine_waited = time.monotonic() - started
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await services.raw_pool.fetch("SELECT 1")
        pool_waited = time.monotonic() - started
    finally:
        await services.close()
    # At least the setting (1 s), and well short of the 5 s default or the tests' own 30 s.
    assert 1 <= engine_waited < 4.5
    assert 1 <= pool_waited < 4.5
