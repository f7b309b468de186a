from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.settings import Settings

ClientFactory = Callable[..., AsyncTestClient[Litestar]]


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(settings, configure_process=False)
    async with AsyncTestClient(app) as test_client:
        yield test_client
