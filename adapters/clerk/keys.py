"""Where the public keys that sign Clerk session tokens come from: a PEM, or a JWKS endpoint.

The PEM (``CLERK_JWT_KEY``) needs no network at all. The JWKS endpoint is fetched with an async
client, so the event loop never blocks; the key set is cached, refreshed when it grows old or
when a token names a key we do not have, and never fetched more than once per cooldown, so a
flood of tokens with made-up key ids cannot turn into a flood of fetches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt import PyJWKSet, PyJWTError

from domain.errors import DependencyUnavailable, Unauthenticated

logger = logging.getLogger("cap_portal.auth")

Monotonic = Callable[[], float]


class SigningKeys(Protocol):
    async def key_for(self, kid: str | None) -> RSAPublicKey: ...

    async def close(self) -> None: ...


def load_rsa_public_key(pem: str) -> RSAPublicKey:
    """The RSA public key in a PEM; ValueError (with a plain message) if it is anything else."""
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise ValueError("must be a PEM public key (-----BEGIN PUBLIC KEY-----…)") from None
    if not isinstance(key, RSAPublicKey):
        raise ValueError("must be an RSA public key")
    return key


class PemKey:
    """One fixed key. Clerk signs every token of an instance with it, so the ``kid`` is not needed."""

    def __init__(self, pem: str) -> None:
        self._key = load_rsa_public_key(pem)

    async def key_for(self, kid: str | None) -> RSAPublicKey:
        return self._key

    async def close(self) -> None:
        return None


class JwksKeys:
    def __init__(
        self,
        url: str,
        *,
        cooldown_seconds: float = 30.0,
        max_age_seconds: float = 600.0,
        timeout_seconds: float = 3.0,
        clock: Monotonic = time.monotonic,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._url = url
        self._cooldown = cooldown_seconds
        self._max_age = max_age_seconds
        self._clock = clock
        # Redirects are not followed: the key source is exactly the configured URL.
        self._http = httpx.AsyncClient(timeout=timeout_seconds, headers=headers, follow_redirects=False)
        self._keys: dict[str, RSAPublicKey] | None = None
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str | None) -> RSAPublicKey:
        if not kid:
            raise Unauthenticated("token names no key", code="invalid_session")
        if self._keys is None or self._clock() - self._fetched_at > self._max_age or kid not in self._keys:
            await self._refresh()
        if self._keys is None:
            raise DependencyUnavailable(
                "Sign-in keys cannot be fetched right now; try again shortly.",
                code="identity_keys_unavailable",
            )
        key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("unknown key id", code="invalid_session")
        return key

    async def _refresh(self) -> None:
        attempted_before = self._attempted_at
        async with self._lock:
            # Single flight: whoever waited on the lock uses the fetch that just finished.
            if self._attempted_at != attempted_before or self._clock() - self._attempted_at < self._cooldown:
                return
            self._attempted_at = self._clock()
            try:
                self._keys = await self._fetch()
                self._fetched_at = self._clock()
            except (httpx.HTTPError, ValueError, PyJWTError) as exc:
                # The last good key set stays in use: a JWKS outage must not become a sign-in outage.
                logger.warning("JWKS fetch failed", extra={"url": self._url, "reason": repr(exc)})

    async def _fetch(self) -> dict[str, RSAPublicKey]:
        response = await self._http.get(self._url)
        response.raise_for_status()
        document: Any = response.json()
        keys: dict[str, RSAPublicKey] = {}
        for jwk in PyJWKSet.from_dict(document).keys:
            if jwk.key_id and jwk.key_type == "RSA" and isinstance(jwk.key, RSAPublicKey):
                keys[jwk.key_id] = jwk.key
        if not keys:
            raise ValueError("the JWKS has no RSA signing keys")
        return keys

    async def close(self) -> None:
        await self._http.aclose()
