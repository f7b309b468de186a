"""The web process's composition root: ``create_app(settings)``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.types import ASGIApp, ControllerRouterHandler

from adapters.logging import configure_logging
from adapters.sentry import init_sentry
from entrypoints.http import (
    admin_accounts,
    attendance,
    clerk_webhooks,
    clicks,
    console,
    identity,
    invitations,
    jobs,
    messages,
    money,
    programme,
    system,
)
from entrypoints.http.api_keys import ApiKeyRing
from entrypoints.http.errors import EXCEPTION_HANDLERS, is_expected
from entrypoints.http.openapi import docs_assets, document_routes, openapi_config
from entrypoints.http.request_checks import check_request
from entrypoints.http.request_id import request_id_middleware
from entrypoints.http.services import WebServices, build_web_services
from entrypoints.settings import Settings, load_settings

ServicesFactory = Callable[[Settings], WebServices]


def create_app(
    settings: Settings | None = None,
    *,
    services_factory: ServicesFactory = build_web_services,
    extra_routes: Sequence[ControllerRouterHandler] = (),
    configure_process: bool = True,
) -> Litestar:
    """Build the Litestar app. Nothing connects until the first request needs it.

    ``configure_process`` sets up logging and Sentry for a real server process; tests that build
    many apps in one process switch it off.
    """
    settings = settings or load_settings()
    if configure_process:
        configure_logging("web", settings.log_level, settings.log_format)
        init_sentry(
            dsn=settings.sentry_dsn,
            environment=settings.app_env,
            release=settings.app_version,
            traces_sample_rate=settings.sentry_traces_sample_rate,
            is_expected=is_expected,
        )
    services = services_factory(settings)
    app = Litestar(
        route_handlers=[
            *system.routes(services),
            *jobs.ROUTES,
            *identity.ROUTES,
            *admin_accounts.ROUTES,
            *clerk_webhooks.ROUTES,
            *attendance.ROUTES,  # literal /family/attendance beside /family/{child_id}
            *programme.ROUTES,
            *money.ROUTES,
            *messages.ROUTES,
            *clicks.ROUTES,
            *invitations.ROUTES,
            *console.routes(settings),
            *extra_routes,
            docs_assets(),
        ],
        state=State(
            {
                "services": services,
                "api_keys": ApiKeyRing(settings.api_keys),
                "console_dev_sign_in": console.dev_sign_in(settings),
            }
        ),
        template_config=console.template_config(),
        lifespan=[_closing(services)],
        exception_handlers=EXCEPTION_HANDLERS,
        # After the guards, before any parsing: every route's body is checked in one place.
        before_request=check_request,
        cors_config=_cors(settings),
        openapi_config=openapi_config(settings.app_version),
        request_max_body_size=settings.max_request_body_bytes,
        logging_config=None,
        debug=False,
    )
    document_routes(app)
    # Outermost, around Litestar's own error handling and CORS, so that every response (an
    # unknown route's 404 and a CORS preflight included) gets a request id and an access line.
    app.asgi_handler = request_id_middleware(app.asgi_handler, without_origin=_without_cors(app))
    return app


def _without_cors(app: Litestar) -> ASGIApp | None:
    """The app's handler minus Litestar's CORS layer, which only acts on requests with an Origin.

    Found by shape, not by importing Litestar's internal class: the outermost layer must be a
    middleware holding our CORS config. If a Litestar upgrade changes that, every request simply
    keeps going through CORS (tests/e2e/test_service_routes.py checks the skip is still found).
    """
    outer = app.asgi_handler
    inner: ASGIApp | None = getattr(outer, "app", None)
    holds_our_config = app.cors_config is not None and getattr(outer, "config", None) is app.cors_config
    return inner if holds_our_config else None


def _closing(services: WebServices) -> Callable[[Litestar], Any]:
    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        services.jobs.start()  # `.delay()` outside a unit of work writes on this loop from now on
        try:
            yield
        finally:
            await services.close()

    return lifespan


def _cors(settings: Settings) -> CORSConfig:
    return CORSConfig(
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"],
        expose_headers=["X-Request-ID"],
    )


def app_from_environment() -> Litestar:
    """Factory for ASGI servers (``uvicorn --factory entrypoints.http.app:app_from_environment``)."""
    return create_app()
