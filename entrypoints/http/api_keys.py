"""The machine callers' API key guard (the application site, operators' scripts).

Keys are compared as SHA-256 digests with ``hmac.compare_digest`` against every configured key,
so neither the key's length nor which key matched leaks through timing. Keys are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from domain.errors import Unauthenticated


class ApiKeyRing:
    def __init__(self, keys: Iterable[str]) -> None:
        self._digests = tuple(_digest(key) for key in keys if key)

    def accepts(self, presented: str | None) -> bool:
        if not presented or not self._digests:
            return False
        candidate = _digest(presented)
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(candidate, digest)
        return matched


def presented_key(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The key from ``X-API-Key: <key>`` or ``Authorization: Bearer <key>``."""
    header_key = connection.headers.get("x-api-key")
    if header_key:
        return header_key.strip()
    authorization = connection.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def require_api_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    ring: ApiKeyRing = connection.app.state.api_keys
    if not ring.accepts(presented_key(connection)):
        raise Unauthenticated("A valid API key is required (X-API-Key or Authorization: Bearer).")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()
