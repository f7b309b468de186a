"""Minting Clerk-like session tokens in the tests, signed with a local RSA key."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://clerk.cap.test"
AUTHORIZED_PARTY = "http://localhost:5173"
KID = "ins_test_instance"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def jwk(key: rsa.RSAPrivateKey, kid: str = KID) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    return {**entry, "kid": kid, "alg": "RS256", "use": "sig"}


@dataclass
class TokenMinter:
    key: rsa.RSAPrivateKey
    issuer: str = ISSUER
    kid: str = KID
    defaults: dict[str, Any] = field(default_factory=dict)

    def claims(self, user_id: str = "user_alice", **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user_id,
            "sid": "sess_test",
            "azp": AUTHORIZED_PARTY,
            "iat": now - 5,
            "nbf": now - 10,
            "exp": now + 60,
            "v": 2,
            **self.defaults,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not _DROP}

    def token(
        self,
        user_id: str = "user_alice",
        *,
        key: Any = None,
        algorithm: str = "RS256",
        headers: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        header = {"kid": self.kid, **(headers or {})}
        header = {k: v for k, v in header.items() if v is not _DROP}
        return jwt.encode(
            self.claims(user_id, **overrides), key or self.key, algorithm=algorithm, headers=header
        )


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()  # a claim or header value meaning "leave this one out"
_DROP = DROP


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand (for alg=none and other shapes PyJWT will not produce)."""
    return ".".join(
        [b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), b64url(signature)]
    )
