"""The OpenAPI document tells the truth: the real error shape, each operation's statuses and security,
and a docs UI that loads without the internet."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

Client = AsyncTestClient[Litestar]
ERROR_REF = {"$ref": "#/components/schemas/Error"}


async def _document(client: Client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    }


async def test_one_error_schema_matches_what_the_api_answers(client: Client) -> None:
    doc = await _document(client)
    error = doc["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"error", "code", "details"}
    assert set(error["required"]) == {"error", "code"}
    for (method, path), operation in _operations(doc).items():
        for status, response in operation["responses"].items():
            if int(status) >= 400 and not (path == "/health" and status == "503"):
                assert response["content"]["application/json"]["schema"] == ERROR_REF, (method, path, status)
    # …and that is the shape of a real refusal.
    refused = (await client.get("/admin/families")).json()
    assert set(refused) == set(error["properties"])


async def test_each_operation_documents_its_statuses(client: Client) -> None:
    ops = _operations(await _document(client))
    expect = {
        ("POST", "/care-days"): {"201", "400", "401", "403", "409", "413", "415", "503"},
        ("PUT", "/care-days/{care_day_id}"): {"200", "400", "401", "403", "404", "409", "413", "415", "503"},
        ("GET", "/admin/families"): {"200", "400", "401", "403", "503"},
        ("POST", "/admin/providers"): {"200", "201", "400", "401", "403", "409", "413", "415", "503"},
        ("POST", "/admin/families"): {"200", "201", "400", "401", "403", "409", "413", "415", "503"},
        ("PUT", "/admin/providers/{provider_id}/children/{child_id}"): {
            "200",
            "400",
            "401",
            "403",
            "404",
            "409",
            "503",
        },
        ("POST", "/webhooks/clerk"): {"200", "400", "401", "413", "415", "503"},
        ("GET", "/message-batches/{batch_id}"): {"200", "400", "401", "404", "503"},
        ("GET", "/sentry-test"): {"200", "401", "500", "503"},
        ("GET", "/"): {"200"},
    }
    for operation, statuses in expect.items():
        assert set(ops[operation]["responses"]) == statuses, operation
    # Path ids are documented within Postgres' bigint, as the app enforces.
    (day_id,) = [
        p for p in ops[("PUT", "/care-days/{care_day_id}")]["parameters"] if p["name"] == "care_day_id"
    ]
    assert (day_id["schema"]["minimum"], day_id["schema"]["maximum"]) == (1, 2**63 - 1)


async def test_security_schemes_follow_the_guards(client: Client) -> None:
    doc = await _document(client)
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "name": "X-API-Key", "in": "header"}
    assert schemes["Bearer"]["type"] == "http"
    assert schemes["Bearer"]["scheme"] == "bearer"
    ops = _operations(doc)
    machine: list[dict[str, list[str]]] = [{"ApiKey": []}, {"Bearer": []}]
    person: list[dict[str, list[str]]] = [{"Bearer": []}]
    assert ops[("GET", "/jobs")]["security"] == machine
    assert ops[("GET", "/message-batches/{batch_id}")]["security"] == machine
    assert ops[("POST", "/admin/families")]["security"] == machine
    assert ops[("POST", "/care-days")]["security"] == person
    assert ops[("GET", "/family")]["security"] == person
    assert ops[("GET", "/auth/me")]["security"] == person
    for public in (("GET", "/"), ("GET", "/health"), ("GET", "/auth/status"), ("POST", "/webhooks/clerk")):
        assert "security" not in ops[public], public


async def test_the_docs_ui_loads_its_assets_from_this_app(client: Client) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    assert "http://" not in page.text
    assert "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        assert f"/schema/assets/{asset}" in page.text
        served = await client.get(f"/schema/assets/{asset}")
        assert served.status_code == 200, asset
        assert len(served.content) > 10_000, asset
