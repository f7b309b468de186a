"""The operator console: staff run the programme from a browser, at ``/console``.

Server-rendered pages (Jinja2 templates beside this module, assets served by the app: it works
offline), behind the ``__session`` cookie and the admin role (``access``), with Litestar's CSRF check
on every form. Every change goes through the domain's use cases and is written to the audit log in the
same transaction. See the README's "Operator console".
"""

from __future__ import annotations

import secrets
from pathlib import Path

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from entrypoints.http.console import (
    account_pages,
    audit_pages,
    dev_sign_in_pages,
    family_pages,
    home,
    import_pages,
    job_pages,
    message_pages,
    payment_pages,
    pending_account_pages,
    provider_pages,
    run_pages,
    search_pages,
)
from entrypoints.http.console.access import staff_only
from entrypoints.http.console.dev_sign_in import DevSignIn, dev_sign_in_for
from entrypoints.http.console.errors import EXCEPTION_HANDLERS
from entrypoints.http.console.formatting import add_filters
from entrypoints.settings import Settings

HERE = Path(__file__).parent
CSRF_COOKIE = "cap_console_csrf"


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(
        directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=add_filters
    )


def csrf_config(settings: Settings) -> CSRFConfig:
    # Without CONSOLE_SECRET each process signs its own forms: fine for one web process; several
    # replicas behind a load balancer need the same secret (the README says so).
    secret = settings.console_secret or secrets.token_urlsafe(32)
    return CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        cookie_path="/console",
        cookie_httponly=True,
        cookie_secure=settings.app_env not in ("development", "testing"),
        cookie_samesite="strict",
    )


def routes(settings: Settings) -> list[ControllerRouterHandler]:
    staff = Router(
        "/",
        route_handlers=[
            *home.ROUTES,
            *search_pages.ROUTES,
            *family_pages.ROUTES,
            *payment_pages.ROUTES,
            *provider_pages.ROUTES,
            *job_pages.ROUTES,
            *message_pages.ROUTES,
            *run_pages.ROUTES,
            *import_pages.ROUTES,
            *account_pages.ROUTES,
            *pending_account_pages.ROUTES,
            *audit_pages.ROUTES,
        ],
        guards=[staff_only],
    )
    console = Router(
        "/console",
        route_handlers=[staff, *dev_sign_in_pages.ROUTES],
        # The console reads the __session cookie (same-origin pages); the API never does.
        opt={"session_cookie": True},
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf_config(settings))],
        exception_handlers=EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
    assets = create_static_files_router(
        "/console/assets", directories=[HERE / "assets"], include_in_schema=False, name="console_assets"
    )
    return [console, assets]


def dev_sign_in(settings: Settings) -> DevSignIn | None:
    return dev_sign_in_for(settings)
