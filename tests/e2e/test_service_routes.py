from __future__ import annotations

import logging

import pytest
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.testing import AsyncTestClient

from adapters.logging import stamp_request_ids
from entrypoints.http.app import _without_cors
from tests.conftest import TEST_API_KEY

Client = AsyncTestClient[Litestar]


async def test_welcome_names_the_service_and_version(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.json() == {"message": "CAP Colorado Childcare Portal API", "version": "test-1.0"}


async def test_health_is_healthy_when_postgres_and_redis_answer(client: Client) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "healthy",
        "database": "connected",
        "redis": "connected",
        "version": "test-1.0",
        "environment": "testing",
    }


async def test_every_response_carries_a_request_id(client: Client) -> None:
    first = await client.get("/")
    second = await client.get("/nope")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_a_plain_caller_request_id_is_kept_and_a_strange_one_replaced(client: Client) -> None:
    kept = await client.get("/", headers={"X-Request-ID": "frontend-abc.123"})
    replaced = await client.get("/", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert kept.headers["x-request-id"] == "frontend-abc.123"
    assert replaced.headers["x-request-id"] != "<script>alert(1)</script>"


async def test_openapi_schema_and_its_interactive_page(client: Client) -> None:
    page = await client.get("/schema")
    document = await client.get("/schema/openapi.json")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert document.status_code == 200
    assert {"/", "/health", "/sentry-test"} <= set(document.json()["paths"])


async def test_cors_preflight_allows_the_frontend_origin(client: Client) -> None:
    response = await client.options(
        "/health",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"


async def test_cors_refuses_other_origins(client: Client) -> None:
    response = await client.get("/", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in response.headers


async def test_a_simple_cross_origin_request_gets_cors_headers_and_a_plain_request_none(
    client: Client,
) -> None:
    crossing = await client.get("/", headers={"Origin": "http://localhost:5173"})
    assert crossing.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert crossing.headers["vary"] == "Origin"
    assert "x-request-id" in crossing.headers
    plain = await client.get("/")
    assert not [name for name in plain.headers if name.startswith("access-control-")]
    assert "x-request-id" in plain.headers


def test_requests_without_an_origin_can_skip_the_cors_layer() -> None:
    """The skip (docs/benchmarks.md, HTTP) is found by the shape of Litestar's handler; a Litestar
    upgrade that changes the shape must fail here rather than silently put CORS back on every request."""
    assert _without_cors(Litestar(route_handlers=[], cors_config=CORSConfig())) is not None
    assert _without_cors(Litestar(route_handlers=[])) is None


async def test_api_key_accepted_in_either_header_and_with_a_rotated_key(client: Client) -> None:
    for headers in (
        {"X-API-Key": TEST_API_KEY},
        {"Authorization": f"Bearer {TEST_API_KEY}"},
        {"X-API-Key": "rotated-second-key-abcdef"},
    ):
        response = await client.get("/sentry-test", headers=headers)
        assert response.status_code == 500, headers  # past the guard: the route raises on purpose


async def test_api_key_missing_wrong_or_empty_is_401_json(client: Client) -> None:
    for headers in (
        {},
        {"X-API-Key": "wrong-key-0000000000"},
        {"X-API-Key": ""},
        {"Authorization": "Bearer "},
        {"Authorization": TEST_API_KEY},  # no scheme
        {"Authorization": f"Basic {TEST_API_KEY}"},
    ):
        response = await client.get("/sentry-test", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "unauthenticated"


async def test_each_request_logs_an_access_line_with_its_request_id(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    stamp_request_ids()
    with caplog.at_level(logging.INFO, logger="cap_portal.access"):
        response = await client.get("/", headers={"X-API-Key": TEST_API_KEY})
    lines = [r for r in caplog.records if r.name == "cap_portal.access"]
    # path, status and request_id come in through the log call's `extra`, unknown to LogRecord's type
    assert [(r.path, r.status, r.request_id) for r in lines] == [  # type: ignore[attr-defined]
        ("/", 200, response.headers["x-request-id"])
    ]
    assert TEST_API_KEY not in caplog.text  # keys are never logged
