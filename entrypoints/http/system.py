"""Service-level routes: the welcome line, health, and a deliberate error for Sentry."""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from domain.health import check_health
from entrypoints.http.api_keys import require_api_key
from entrypoints.http.services import WebServices

HEALTH_TIMEOUT_SECONDS = 2.0


class Welcome(msgspec.Struct):
    message: str
    version: str


class Health(msgspec.Struct):
    status: Literal["healthy", "unhealthy"]
    database: str
    redis: str
    version: str
    environment: str


@get("/", summary="Service name and version")
async def welcome(state: State) -> Welcome:
    services: WebServices = state.services
    return Welcome(message="CAP Colorado Childcare Portal API", version=services.settings.app_version)


@get(
    "/health",
    summary="Health of the service and each dependency",
    responses={503: ResponseSpec(data_container=Health, description="A dependency is down")},
)
async def health(state: State) -> Response[Health]:
    services: WebServices = state.services
    report = await check_health(services.probes, HEALTH_TIMEOUT_SECONDS)
    body = Health(
        status="healthy" if report.healthy else "unhealthy",
        database=report.components["database"],
        redis=report.components["redis"],
        version=services.settings.app_version,
        environment=services.settings.app_env,
    )
    return Response(body, status_code=200 if report.healthy else 503)


class SentryTestError(RuntimeError):
    """Raised on purpose by /sentry-test."""


@get("/sentry-test", guards=[require_api_key], summary="Raise an error on purpose (Sentry check)")
async def sentry_test() -> None:
    raise SentryTestError("Deliberate error from /sentry-test: if Sentry is configured, it has this event.")


ROUTES = [welcome, health, sentry_test]
