"""The app's ``before_request`` hook: what every route gets checked before Litestar parses a thing.

It runs after the guards (sign-in and roles come first, whatever the request holds) and before the
handler's parameters are parsed, for every route, including ones added later:

- integers in the path and in the query: written as plain digits (Python's ``int()``, which
  Litestar's ``{id:int}`` uses, takes ``" 1"``, ``"+1"`` and ``"1_0"``) and within Postgres'
  bigint, or 400 ``validation_error`` naming the parameter;
- the JSON body: see ``entrypoints/http/json_bodies.py``.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.handlers import HTTPRouteHandler

from domain.errors import RuleRefused
from entrypoints.http.json_bodies import INT64_MAX, INT64_MIN, check_json_body

_PLAIN_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_query_ints: dict[int, tuple[HTTPRouteHandler, tuple[tuple[str, str], ...]]] = {}


async def check_request(request: Request[Any, Any, Any]) -> None:
    _check_path_integers(request)
    _check_query_integers(request)
    await check_json_body(request)


def _check_path_integers(request: Request[Any, Any, Any]) -> None:
    parsed: dict[str, Any] = request.scope.get("path_params") or {}
    if not any(type(value) is int for value in parsed.values()):
        return
    template = str(request.scope.get("path_template", "")).split("/")
    written = request.scope["path"].split("/")
    if len(template) != len(written):  # a path parameter spans segments: nothing to line up
        return
    for segment, text in zip(template, written, strict=True):
        name = segment[1:-1] if segment.startswith("{") and segment.endswith("}") else None
        if name is not None and type(parsed.get(name)) is int:
            _plain_integer(name, text, "path")


def _check_query_integers(request: Request[Any, Any, Any]) -> None:
    for key, name in _integer_query_keys(request.route_handler):
        for text in request.query_params.getall(key, []):
            # Only numbers too big are ours to refuse here; anything else is the parameter's own
            # parsing (a 400 naming it) or its bounds.
            if _PLAIN_INTEGER.fullmatch(text.strip()) and not INT64_MIN <= int(text) <= INT64_MAX:
                _refuse(name, "query", "must be between -2^63 and 2^63-1")


def _plain_integer(name: str, text: str, source: str) -> None:
    if not _PLAIN_INTEGER.fullmatch(text):
        _refuse(name, source, "must be a whole number written with digits only")
    if not INT64_MIN <= int(text) <= INT64_MAX:
        _refuse(name, source, "must be between -2^63 and 2^63-1")


def _refuse(name: str, source: str, message: str) -> None:
    raise RuleRefused(
        "The request is not valid; see details.",
        code="validation_error",
        details=[{"key": name, "message": message, "source": source}],
    )


def _integer_query_keys(handler: HTTPRouteHandler) -> tuple[tuple[str, str], ...]:
    """(query key, parameter name) of the handler's integer query parameters."""
    cached = _query_ints.get(id(handler))
    if cached is not None and cached[0] is handler:
        return cached[1]
    keys = []
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        query_key = getattr(kwarg, "query", None) or name
        is_int = field.annotation is int or (field.is_optional and int in field.args)
        if is_int and getattr(kwarg, "header", None) is None and getattr(kwarg, "cookie", None) is None:
            keys.append((query_key, name))
    found = tuple(keys)
    _query_ints[id(handler)] = (handler, found)
    return found
