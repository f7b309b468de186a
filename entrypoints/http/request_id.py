"""Request ids and access logs: every response carries ``X-Request-ID`` and every log line has it.

This is the outermost layer of the app and runs for every request, so it is kept lean: one pass
over the request headers finds both the caller's request id and whether the request has an
``Origin``. Litestar's CORS layer only acts on requests with an ``Origin`` (for any other it just
calls the next layer), so requests without one skip it; measured, that layer cost a tenth of the
throughput of a plain ``GET`` (docs/benchmarks.md, HTTP).
"""

from __future__ import annotations

import logging
import random
import re
import time

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from adapters.logging import info_fields, request_id_var

logger = logging.getLogger("cap_portal.access")

HEADER = "x-request-id"
_HEADER_BYTES = HEADER.encode()
_ORIGIN = b"origin"
# A caller-supplied id is kept (so a trace spans the frontend and us) only if it is short and plain.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_middleware(app: ASGIApp, *, without_origin: ASGIApp | None = None) -> ASGIApp:
    """Wrap ``app``; requests with no ``Origin`` header go to ``without_origin`` when given (the same
    app without its CORS layer)."""
    plain = without_origin or app

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming, has_origin = _read_headers(scope)
        request_id = incoming or new_request_id()
        header = (_HEADER_BYTES, request_id.encode())
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # Appended, not set: nothing upstream of us writes this header.
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await (app if has_origin else plain)(scope, receive, send_with_id)
        finally:
            # The access line is the hottest log call there is: build it only when it is written.
            if logger.isEnabledFor(logging.INFO):
                fields = {
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }
                info_fields(logger, "request", fields)
            request_id_var.reset(token)

    return middleware


def new_request_id() -> str:
    """128 random bits as 32 hex digits (the shape of ``uuid4().hex``).

    A correlation id needs to be unique, not secret, so it comes from ``random`` (reseeded in every
    forked worker) rather than ``os.urandom``, which is a system call on every request.
    """
    return f"{random.getrandbits(128):032x}"


def _read_headers(scope: Scope) -> tuple[str | None, bool]:
    """The caller's request id, if usable, and whether the request has an ``Origin`` header."""
    incoming: str | None = None
    has_origin = False
    for name, value in scope.get("headers", ()):
        if name == _HEADER_BYTES:
            text = value.decode("latin-1")
            incoming = text if _SAFE_ID.match(text) else None
        elif name == _ORIGIN:
            has_origin = True
    return incoming, has_origin
