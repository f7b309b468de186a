"""Service-level routes: the welcome line, health, and a deliberate error for Sentry."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from entrypoints.http.api_keys import require_api_key
from entrypoints.http.openapi import Error
from entrypoints.http.services import WebServices


class Welcome(msgspec.Struct):
    message: str
    version: str


class Health(msgspec.Struct):
    status: Literal["healthy", "unhealthy"]
    database: str
    redis: str
    version: str
    environment: str


def routes(services: WebServices) -> list[HTTPRouteHandler]:
    """The service routes, bound to this app's services.

    Bound by closure rather than through an injected ``state`` parameter: a handler without
    parameters skips Litestar's per-request signature parsing, which is a fair share of the cost
    of ``GET /`` (see docs/benchmarks.md).
    """
    settings = services.settings

    @get("/", summary="Service name and version", opt={"no_dependencies": True})
    async def welcome() -> Welcome:
        return Welcome(message="CAP Colorado Childcare Portal API", version=settings.app_version)

    @get(
        "/health",
        summary="Health of the service and each dependency",
        responses={503: ResponseSpec(data_container=Health, description="A dependency is down")},
    )
    async def health() -> Response[Health]:
        report = await services.check_health()
        body = Health(
            status="healthy" if report.healthy else "unhealthy",
            database=report.components["database"],
            redis=report.components["redis"],
            version=settings.app_version,
            environment=settings.app_env,
        )
        return Response(body, status_code=200 if report.healthy else 503)

    return [welcome, health, sentry_test]


class SentryTestError(RuntimeError):
    """Raised on purpose by /sentry-test."""


@get(
    "/sentry-test",
    guards=[require_api_key],
    summary="Raise an error on purpose (Sentry check)",
    responses={500: ResponseSpec(data_container=Error, description="Always: the deliberate error")},
)
async def sentry_test() -> None:
    raise SentryTestError("Deliberate error from /sentry-test: if Sentry is configured, it has this event.")
