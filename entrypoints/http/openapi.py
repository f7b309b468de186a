"""A truthful OpenAPI document, derived from the routes themselves so later routes are documented too.

- One error schema, ``Error`` (``{"error", "code", "details"}``), for every error status: the shape
  the API really answers with (entrypoints/http/errors.py), not Litestar's default.
- Each operation lists the statuses it can answer with, worked out from what it declares: a guard
  → 401 (and 403 unless only an API key or a signature is checked); path or query parameters or a
  body → 400; a JSON body → 413 and 415; a path parameter or a person's own records → 404; a write
  behind a guard → 409; every route that reaches a dependency → 503. A route adds its own with
  ``responses=`` (e.g. 200 beside 201 for "created or updated").
- Security schemes ``ApiKey`` (``X-API-Key``) and ``Bearer`` (a Clerk session token, or an API
  key where the route takes one), required per operation according to its guards.
- The docs UI is Swagger UI from the ``swagger-ui-bundle`` package, served by this app under
  ``/schema/assets``: no CDN, so ``/schema`` works offline.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Router
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from entrypoints.http.api_keys import require_api_key
from entrypoints.http.auth import api_key_or_admin
from entrypoints.http.json_bodies import takes_json_body

SCHEMA_PATH = "/schema"
ASSETS_PATH = f"{SCHEMA_PATH}/assets"
API_KEY, BEARER = "ApiKey", "Bearer"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Handler parameters that are not request parameters (Litestar's reserved names).
NOT_PARAMETERS = frozenset(
    {"request", "state", "scope", "headers", "cookies", "query", "body", "socket", "data"}
)

ERROR_DESCRIPTIONS = {
    400: "Malformed input or a refused rule (details name the field)",
    401: "No sign-in or API key, or one that is not valid",
    403: "Signed in, but this caller may not do this",
    404: "Not found (or not this caller's to see)",
    409: "Conflicts with the current state",
    413: "The body is too large",
    415: "The body is not JSON",
    500: "Our fault (the details are in our logs, not here)",
    503: "A service this request needs is unavailable; try again shortly",
}


class Error(msgspec.Struct):
    """Every error response: a message for people, a stable code for programs, and details or null."""

    error: str
    code: str
    details: Any = None


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="CAP Colorado Childcare Portal API",
        version=version,
        path=SCHEMA_PATH,
        components=Components(
            security_schemes={
                API_KEY: SecurityScheme(
                    type="apiKey",
                    name="X-API-Key",
                    security_scheme_in="header",
                    description="A machine API key (the application site, operators' scripts).",
                ),
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="A Clerk session token for people; on machine routes, an API key.",
                ),
            }
        ),
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
                css_url=f"{ASSETS_PATH}/swagger-ui.css",
                standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
                favicon=f'<link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon-32x32.png">',
            ),
            JsonRenderPlugin(path="/openapi.json"),
        ],
    )


def docs_assets() -> Router:
    """Swagger UI's files, from the installed package."""
    return create_static_files_router(
        path=ASSETS_PATH, directories=[swagger_ui_path], include_in_schema=False, name="docs-assets"
    )


def document_routes(app: Litestar) -> None:
    """Give every operation its security requirement and its error responses (see module doc)."""
    for route in app.routes:
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items():
            if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
                continue
            security, statuses = _access(handler)
            if security:
                handler.security = security
            statuses |= _input_statuses(handler, route.path, method, bool(security))
            if not handler.opt.get("no_dependencies"):
                statuses.add(503)
            declared = dict(handler.responses or {})
            for status in sorted(statuses):
                declared.setdefault(
                    status, ResponseSpec(data_container=Error, description=ERROR_DESCRIPTIONS[status])
                )
            handler.responses = declared


def _access(handler: HTTPRouteHandler) -> tuple[list[dict[str, list[str]]], set[int]]:
    # Litestar wraps a sync guard (AsyncCallable keeps the function as ``.func``).
    guards = [getattr(guard, "func", guard) for guard in handler.resolve_guards()]
    if not guards:
        return [], set()
    if require_api_key in guards:
        return [{API_KEY: []}, {BEARER: []}], {401}
    if api_key_or_admin in guards:
        return [{API_KEY: []}, {BEARER: []}], {401, 403}
    if any(getattr(guard, "__name__", "") == "svix_signed" for guard in guards):
        return [], {401}  # Svix signature headers: not a scheme a person enters in the docs UI
    return [{BEARER: []}], {401, 403}  # a person's sign-in


def _input_statuses(handler: HTTPRouteHandler, path: str, method: str, guarded: bool) -> set[int]:
    statuses: set[int] = set()
    parameters = set(handler.parsed_fn_signature.parameters) - NOT_PARAMETERS
    takes_body = method in WRITES and takes_json_body(handler)
    if parameters or takes_body:
        statuses.add(400)
    if takes_body:
        statuses |= {413, 415}
    if "{" in path or (guarded and handler.opt.get("own_records")):
        statuses.add(404)
    if guarded and method in WRITES:
        statuses.add(409)
    return statuses
