"""Verifying Clerk session tokens with PyJWT: satisfies ``domain.identity.ports.IdentityVerifier``.

Every rule here closes a hole that Clerk's own Python SDK or bare PyJWT leaves open (see
reference/clerk.md §1.6 and §5.1): the algorithm is pinned to RS256 before any key is looked up;
``exp``, ``iat``, ``nbf``, ``iss``, ``sub`` and ``sid`` are required; the issuer must match
exactly; the leeway is 5 s, not a minute; ``azp`` must be allowed when parties are configured
(and a token without one then fails); pending sessions are refused; oversized tokens are refused
before any parsing. The caller learns only "not signed in": reasons go to the log, not the body.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Collection
from typing import Any

import jwt

from adapters.clerk.keys import SigningKeys
from domain.errors import DependencyUnavailable, Unauthenticated
from domain.identity.model import SignedIn

logger = logging.getLogger("cap_portal.auth")

MAX_TOKEN_BYTES = 8 * 1024
LEEWAY_SECONDS = 5
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "sub", "sid"]
REFUSAL = "Sign-in required: send a valid session token as Authorization: Bearer <token>."
# Three base64url segments with a non-empty signature: anything else is not worth decoding.
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def refused(reason: str) -> Unauthenticated:
    logger.info("session token refused", extra={"reason": reason})
    return Unauthenticated(REFUSAL, code="unauthenticated")


def _unverified_header(token: str) -> dict[str, Any]:
    """The token's header, read only to choose the key and check the algorithm before verifying.

    Read here rather than with ``jwt.get_unverified_header``, which validates and decodes all
    three segments character by character in Python (~30 µs a token) only for ``jwt.decode`` to
    do it all again; ``_COMPACT_JWS`` has already checked the alphabet.
    """
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:  # bad base64, UTF-8 or JSON
        raise refused(f"unreadable header: {exc}") from None
    if not isinstance(header, dict):
        raise refused("unreadable header: not a JSON object")
    return header


class ClerkSessionVerifier:
    def __init__(self, keys: SigningKeys, *, issuer: str, authorized_parties: Collection[str] = ()) -> None:
        self._keys = keys
        self._issuer = issuer
        self._authorized_parties = frozenset(authorized_parties)

    async def verify(self, token: str) -> SignedIn:
        if len(token) > MAX_TOKEN_BYTES:
            raise refused("token over 8 KiB")
        if not _COMPACT_JWS.match(token):
            raise refused("not a compact JWS")
        header = _unverified_header(token)
        if header.get("alg") != "RS256":
            raise refused(f"algorithm {header.get('alg')!r}")
        if header.get("typ", "JWT") != "JWT":
            raise refused(f"type {header.get('typ')!r}")
        kid = header.get("kid")
        try:
            key = await self._keys.key_for(kid if isinstance(kid, str) else None)
        except Unauthenticated as exc:
            raise refused(exc.message) from None
        claims = self._decode(token, key)
        return self._signed_in(claims)

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            # PyJWTError, not InvalidTokenError: InvalidKeyError is outside the latter and must be 401 too.
            raise refused(f"{type(exc).__name__}: {exc}") from None
        return claims

    def _signed_in(self, claims: dict[str, Any]) -> SignedIn:
        if self._authorized_parties and claims.get("azp") not in self._authorized_parties:
            raise refused(f"authorized party {claims.get('azp')!r}")
        if claims.get("sts") == "pending":
            raise refused("session pending")
        subject, session = claims["sub"], claims["sid"]
        if not isinstance(subject, str) or not subject.startswith("user_"):
            raise refused("subject is not a Clerk user")
        if not isinstance(session, str):
            raise refused("session id is not a string")
        actor = claims.get("act")
        actor_id = actor.get("sub") if isinstance(actor, dict) else None
        return SignedIn(
            user_id=subject, session_id=session, actor=actor_id if isinstance(actor_id, str) else None
        )


class SignInNotConfigured:
    """Used when neither CLERK_JWT_KEY nor CLERK_JWKS_URL is set (development only).

    It refuses with 503, our fault, rather than pretending anyone is signed in: no code path skips
    verification.
    """

    async def verify(self, token: str) -> SignedIn:
        raise DependencyUnavailable(
            "Sign-in is not configured: set CLERK_JWT_KEY or CLERK_JWKS_URL, and CLERK_ISSUER.",
            code="sign_in_not_configured",
        )
