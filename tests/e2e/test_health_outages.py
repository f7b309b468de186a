"""/health names the dependency that is down, and recovers by itself when it is back."""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.tcp_proxy import proxy_for


async def test_health_reports_postgres_down_then_recovers_without_restart(settings: Settings) -> None:
    with proxy_for(settings.require_database_url()) as proxy:
        app = create_app(
            replace(settings, database_url=proxy.proxied_url(settings.require_database_url())),
            configure_process=False,
        )
        async with AsyncTestClient(app) as client:
            assert (await client.get("/health")).status_code == 200
            proxy.cut()
            down = await client.get("/health")
            assert down.status_code == 503
            assert down.json() | {"version": None} == {
                "status": "unhealthy",
                "database": "disconnected",
                "redis": "connected",
                "version": None,
                "environment": "testing",
            }
            proxy.restore()
            assert (await client.get("/health")).json()["status"] == "healthy"


async def test_health_reports_redis_down_then_recovers_without_restart(settings: Settings) -> None:
    with proxy_for(settings.require_redis_url()) as proxy:
        app = create_app(
            replace(settings, redis_url=proxy.proxied_url(settings.require_redis_url())),
            configure_process=False,
        )
        async with AsyncTestClient(app) as client:
            assert (await client.get("/health")).status_code == 200
            proxy.cut()
            down = await client.get("/health")
            assert down.status_code == 503
            assert (down.json()["database"], down.json()["redis"]) == ("connected", "disconnected")
            proxy.restore()
            assert (await client.get("/health")).status_code == 200


async def test_health_is_503_when_postgres_was_never_reachable(settings: Settings) -> None:
    with proxy_for(settings.require_database_url()) as proxy:
        unreachable = proxy.proxied_url(settings.require_database_url())
        proxy.cut()
        app = create_app(replace(settings, database_url=unreachable), configure_process=False)
        async with AsyncTestClient(app) as client:
            response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "disconnected"
