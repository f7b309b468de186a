"""Every route is reached by its own paths: a literal path (``/family/attendance``, ``/family/payments``,
``/family/invite-provider``…) is never captured by a parameterised sibling (``/family/{child_id}``), for
every method it answers. The router is asked directly, so a new route that would be shadowed fails here
before any request is made."""

from __future__ import annotations

import re
import uuid

from litestar import Litestar
from litestar.routes import HTTPRoute

from entrypoints.http.app import create_app
from entrypoints.settings import Settings

_PARAM = re.compile(r"\{(\w+):(\w+)\}")
_SAMPLES = {"str": "c0ffee", "int": "7", "uuid": str(uuid.UUID(int=7)), "path": "a/b.css"}


def _concrete(template: str) -> str:
    return _PARAM.sub(lambda m: _SAMPLES[m.group(2)], template)


def _http_routes(app: Litestar) -> list[HTTPRoute]:
    return [r for r in app.routes if isinstance(r, HTTPRoute)]


def test_every_route_resolves_to_itself(settings: Settings) -> None:
    app = create_app(settings, configure_process=False)
    shadowed = []
    checked = 0
    for route in _http_routes(app):
        for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
            path = _concrete(route.path)
            _, handler, _, _, template = app.asgi_router.handle_routing(path=path, method=method)
            checked += 1
            if template != route.path_format:
                shadowed.append(f"{method} {path}: reached {template} ({handler.handler_name})")
    assert checked > 50  # the app's real routes were looked at
    assert shadowed == []


def test_the_literal_family_and_provider_paths_beat_their_parameterised_siblings(settings: Settings) -> None:
    app = create_app(settings, configure_process=False)
    literal = [
        r.path_format for r in _http_routes(app) if re.fullmatch(r"/(family|provider)/[a-z-]+", r.path_format)
    ]
    assert {"/family/payments", "/family/invite-provider", "/provider/payments"} <= set(literal)
    for path in literal:
        route = next(r for r in _http_routes(app) if r.path_format == path)
        for method in route.methods - {"OPTIONS", "HEAD"}:
            template = app.asgi_router.handle_routing(path=path, method=method)[4]
            assert template == path, (method, path)
