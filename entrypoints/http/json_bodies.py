"""The one place a JSON request body is read and checked, for every route of the app.

Runs as the app's ``before_request`` hook, so after the guards (sign-in and roles are checked before
a body is looked at) and before Litestar parses anything. For a route that takes a body (a ``data``
parameter, or ``opt={"json_body": True}`` for one that reads the raw bytes itself, like the Clerk
webhook) it refuses, each with a JSON 4xx naming what is wrong and before anything is changed:

- a content type other than JSON → 415;
- bytes that are not UTF-8, or not JSON → 400 ``invalid_json``;
- nesting deeper than ``MAX_DEPTH`` → 400 ``too_deep`` (msgspec itself gives up with a
  RecursionError near 1,000 levels; our bodies are a few levels deep);
- a NUL character in any string or key → 400 ``nul_character`` (Postgres cannot store one);
- an integer outside the signed 64-bit range → 400 ``number_out_of_range`` (Postgres' bigint);
- a value of the wrong type → 400 ``validation_error`` naming the field. The body is decoded with
  the route's own type in msgspec's strict mode: ``"true"`` is not a bool and ``"2"`` is not an
  int, although Litestar's own (lax) conversion would take them.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler

from domain.errors import RuleRefused

MAX_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RAW = object()  # the route reads the body itself: check it, but there is no type to decode into

_specs: dict[int, tuple[HTTPRouteHandler, Any]] = {}


class UnsupportedMediaType(HTTPException):
    status_code = 415


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    """The app's before_request hook: refuse a body the route could not safely use (see module doc)."""
    if request.method not in BODY_METHODS:
        return
    spec = _body_spec(request.route_handler)
    if spec is None:
        return
    body = await request.body()
    if not body.strip():
        if spec is RAW or _required(request.route_handler):
            raise RuleRefused("A JSON body is required.", code="bad_request")
        return
    _require_json_content_type(request)
    check_json_bytes(body)
    if spec is not RAW:
        _decode_strictly(spec, body)


def check_json_bytes(body: bytes) -> Any:
    """The body as plain JSON values, or a 400 saying why it cannot be one."""
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        raise _too_deep() from None
    except UnicodeDecodeError:
        raise RuleRefused("The body is not valid UTF-8.", code="bad_request") from None
    except msgspec.DecodeError as exc:
        raise RuleRefused(f"The body is not valid JSON: {exc}.", code="bad_request") from None
    _check_values(value)
    return value


def _check_values(value: Any) -> None:
    """Depth, NUL characters and 64-bit integers over the whole document, without recursion."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "$")]
    while stack:
        item, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        if isinstance(item, str):
            if "\x00" in item:
                raise _nul(path)
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                raise RuleRefused(
                    "A number is out of range (whole numbers fit in 64 bits).",
                    code="number_out_of_range",
                    details=[{"key": path, "message": "must be between -2^63 and 2^63-1", "source": "body"}],
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise _nul(path)
                stack.append((child, depth + 1, f"{path}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, f"{path}[{index}]") for index, child in enumerate(item))


def _decode_strictly(kind: Any, body: bytes) -> None:
    try:
        msgspec.json.decode(body, type=kind, strict=True)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `")
        key = where.rstrip("`").removeprefix("$.").removeprefix("$") or "body"
        raise RuleRefused(
            "The request is not valid; see details.",
            code="validation_error",
            details=[{"key": key, "message": message, "source": "body"}],
        ) from None


def _body_spec(handler: HTTPRouteHandler) -> Any:
    """What the route's body must decode into: its ``data`` type, RAW, or None (takes no body)."""
    cached = _specs.get(id(handler))
    if cached is not None and cached[0] is handler:
        return cached[1]
    spec: Any = None
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is not None and _is_form(data.kwarg_definition):
        spec = None  # a form (the console's pages): Litestar parses it, no JSON rules apply
    elif data is not None:
        spec = data.annotation
        try:
            msgspec.json.Decoder(spec, strict=True)
        except TypeError:  # a type msgspec cannot decode into: the checks on plain JSON still apply
            spec = RAW
    elif handler.opt.get("json_body"):
        spec = RAW
    _specs[id(handler)] = (handler, spec)
    return spec


def _is_form(kwarg: Any) -> bool:
    media_type = getattr(kwarg, "media_type", None)
    return media_type in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART)


def _required(handler: HTTPRouteHandler) -> bool:
    data = handler.parsed_fn_signature.parameters["data"]
    return not (data.is_optional or data.has_default)


def _require_json_content_type(request: Request[Any, Any, Any]) -> None:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    raise UnsupportedMediaType(
        detail="Send the body as JSON with Content-Type: application/json.",
        extra={"content_type": media_type or None},
    )


def _too_deep() -> RuleRefused:
    return RuleRefused(f"The JSON is nested more than {MAX_DEPTH} levels deep.", code="too_deep")


def _nul(path: str) -> RuleRefused:
    return RuleRefused(
        "Text may not contain the NUL character (\\u0000).",
        code="nul_character",
        details=[{"key": path, "message": "contains \\u0000", "source": "body"}],
    )


def takes_json_body(handler: HTTPRouteHandler) -> bool:
    """Whether the app checks this route's body (tests use it to find every JSON route)."""
    return bool(BODY_METHODS & set(handler.http_methods)) and _body_spec(handler) is not None
