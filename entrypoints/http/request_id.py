"""Request ids and access logs: every response carries ``X-Request-ID`` and every log line has it."""

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
# A caller-supplied id is kept (so a trace spans the frontend and us) only if it is short and plain.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or new_request_id()
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
            await app(scope, receive, send_with_id)
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


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SAFE_ID.match(text) else None
    return None
