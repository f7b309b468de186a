"""The development sign-in: a form that signs a development session token and sets it as ``__session``.

It is what ``cap-portal dev-token`` prints, put in the cookie the console reads, so staff sign in to a
``cap-portal dev`` with no Clerk at all. The token is verified like any other (nothing skips the
verifier) and the role still comes from the accounts table. It exists only where a development token
would be accepted: APP_ENV development or testing, the development key in CAP_DATA_DIR, and that key's
public half as CLERK_JWT_KEY (which `cap-portal dev` sets up). Elsewhere its routes answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.clerk.dev_keys import DEV_ISSUER, KEY_FILE, dev_signing_key, mint_dev_token, public_pem
from entrypoints.settings import Settings

SESSION_MINUTES = 8 * 60


@dataclass(frozen=True)
class DevSignIn:
    key: rsa.RSAPrivateKey
    issuer: str
    authorized_party: str | None

    def token(self, user_id: str) -> str:
        return mint_dev_token(
            self.key,
            user_id=user_id,
            issuer=self.issuer,
            authorized_party=self.authorized_party,
            minutes=SESSION_MINUTES,
        )


def dev_sign_in_for(settings: Settings) -> DevSignIn | None:
    """The development sign-in if this server trusts the development key; None otherwise."""
    if settings.app_env not in ("development", "testing") or settings.clerk_jwks_url:
        return None
    if not settings.clerk_jwt_key or not (settings.cap_data_dir / KEY_FILE).exists():
        return None
    key = dev_signing_key(settings.cap_data_dir)
    if settings.clerk_jwt_key.strip() != public_pem(key):
        return None
    parties = settings.clerk_authorized_parties
    party = parties[0] if parties else settings.frontend_url.rstrip("/")
    return DevSignIn(key, settings.clerk_issuer or DEV_ISSUER, party)
