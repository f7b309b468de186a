"""A burst of /health requests shares one round of probes; a dead dependency still shows at once."""

from __future__ import annotations

import asyncio

import httpx

from entrypoints.http.app import create_app
from entrypoints.http.services import WebServices
from entrypoints.settings import Settings


class SlowProbe:
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0
        self.down = False

    async def check(self) -> None:
        self.calls += 1
        down = self.down
        await asyncio.sleep(0.05)
        if down:
            raise ConnectionRefusedError(f"{self.name} is down")


async def test_concurrent_health_requests_share_probes_and_see_an_outage_next_time(
    settings: Settings,
) -> None:
    app = create_app(settings, configure_process=False)
    services: WebServices = app.state.services
    database, redis = SlowProbe("database"), SlowProbe("redis")
    services.probes = (database, redis)
    # httpx's ASGI transport runs the requests concurrently on this loop (the test client queues them).
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # Litestar types its ASGI scopes more narrowly than httpx
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client, app.lifespan():
        responses = await asyncio.gather(*(client.get("/health") for _ in range(20)))
        assert [r.status_code for r in responses] == [200] * 20
        assert database.calls <= 2
        assert redis.calls <= 2

        database.down = True
        down = await client.get("/health")
        assert down.status_code == 503
        assert down.json()["database"] == "disconnected"
