"""The local development signing key: what `cap-portal dev` trusts and `cap-portal dev-token` signs with.

It is an ordinary RSA key pair that the web process verifies exactly like Clerk's (same
verifier, same rules): a development token is only accepted where CLERK_JWT_KEY is this key's
public half. Nothing skips verification.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEV_ISSUER = "https://clerk.cap-portal-dev.invalid"
DEV_KID = "ins_cap_portal_dev"
KEY_FILE = "dev-clerk-signing-key.pem"


def dev_signing_key(data_dir: Path) -> rsa.RSAPrivateKey:
    """The development key pair under ``data_dir``, generated on first use and kept."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.touch(mode=0o600)
        path.write_bytes(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ValueError(f"{path} is not an RSA private key")
    return loaded


def public_pem(key: rsa.RSAPrivateKey) -> str:
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode().strip()


def mint_dev_token(
    key: rsa.RSAPrivateKey,
    *,
    user_id: str,
    issuer: str,
    authorized_party: str | None,
    email: str | None = None,
    minutes: int = 60,
) -> str:
    """A token shaped like a Clerk v2 session token (longer-lived, for curl and scripts)."""
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": issuer,
        "sub": user_id,
        "sid": f"sess_dev_{secrets.token_hex(6)}",
        "iat": now,
        "nbf": now - 5,
        "exp": now + minutes * 60,
        "v": 2,
    }
    if authorized_party:
        claims["azp"] = authorized_party
    if email:
        claims["email"] = email
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": DEV_KID, "typ": "JWT"})
