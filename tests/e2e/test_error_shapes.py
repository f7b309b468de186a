"""Every error leaves as JSON {"error", "code", "details"} with the right status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import msgspec
import pytest
from litestar import Litestar, post
from litestar.datastructures import State
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from entrypoints.http.app import create_app
from entrypoints.http.services import WebServices
from entrypoints.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.tcp_proxy import proxy_for

Client = AsyncTestClient[Litestar]


class Greeting(msgspec.Struct):
    name: str
    times: int


@post("/test/echo")
async def echo(data: Greeting) -> Greeting:
    return data


@post("/test/touch-database")
async def touch_database(state: State) -> dict[str, int]:
    services: WebServices = state.services
    async with services.unit_of_work() as uow:
        value = (await uow.session.execute(text("SELECT 1"))).scalar_one()
    return {"value": value}


@pytest.fixture
async def frame_client(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(
        replace(settings, max_request_body_bytes=1024),
        extra_routes=[echo, touch_database],
        configure_process=False,
    )
    async with AsyncTestClient(app) as client:
        yield client


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert set(body) == {"error", "code", "details"}
    assert body["code"] == code
    assert isinstance(body["error"], str)
    assert body["error"]
    assert "Traceback" not in response.text
    return body


async def test_valid_json_passes(frame_client: Client) -> None:
    response = await frame_client.post("/test/echo", json={"name": "Ana", "times": 2})
    assert response.status_code == 201
    assert response.json() == {"name": "Ana", "times": 2}


async def test_malformed_json_is_400(frame_client: Client) -> None:
    response = await frame_client.post(
        "/test/echo", content=b'{"name": "Ana",', headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "bad_request")


async def test_a_wrong_type_is_400_naming_the_field(frame_client: Client) -> None:
    response = await frame_client.post("/test/echo", json={"name": "Ana", "times": "two"})
    body = assert_error(response, 400, "validation_error")
    assert "times" in str(body["details"])


async def test_a_missing_field_is_400_naming_the_field(frame_client: Client) -> None:
    response = await frame_client.post("/test/echo", json={"name": "Ana"})
    body = assert_error(response, 400, "validation_error")
    assert "times" in str(body["details"])


async def test_an_unknown_route_is_404(frame_client: Client) -> None:
    assert_error(await frame_client.get("/no/such/route"), 404, "not_found")


async def test_a_wrong_method_is_405(frame_client: Client) -> None:
    assert_error(await frame_client.delete("/health"), 405, "method_not_allowed")


async def test_an_oversized_body_is_413(frame_client: Client) -> None:
    response = await frame_client.post("/test/echo", json={"name": "A" * 5000, "times": 1})
    assert_error(response, 413, "payload_too_large")


async def test_an_unexpected_error_is_500_json_without_a_traceback(frame_client: Client) -> None:
    response = await frame_client.get("/sentry-test", headers={"X-API-Key": TEST_API_KEY})
    body = assert_error(response, 500, "internal_error")
    assert "Deliberate" not in str(body["error"])  # internals stay in the logs


async def test_a_dependency_down_is_503(settings: Settings) -> None:
    with proxy_for(settings.require_database_url()) as proxy:
        app = create_app(
            replace(settings, database_url=proxy.proxied_url(settings.require_database_url())),
            extra_routes=[touch_database],
            configure_process=False,
        )
        async with AsyncTestClient(app) as client:
            assert (await client.post("/test/touch-database")).json() == {"value": 1}
            proxy.cut()
            assert_error(await client.post("/test/touch-database"), 503, "dependency_unavailable")
            proxy.restore()
            # The pool does not pre-ping: the first statement after the outage may meet a dead
            # pooled connection (503), which invalidates the pool; the next one must succeed.
            first = await client.post("/test/touch-database")
            assert first.status_code in (201, 503)
            assert (await client.post("/test/touch-database")).json() == {"value": 1}
