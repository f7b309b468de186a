"""Parsing and cross-checking the CLERK_* settings (kept apart so settings.py stays readable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.clerk.keys import load_rsa_public_key
from adapters.clerk.webhooks import signing_key

if TYPE_CHECKING:
    from entrypoints.settings import Settings


def pem_public_key(text: str) -> str:
    # .env files and CI secrets often carry the PEM on one line with literal \n escapes.
    pem = text.replace("\\n", "\n").strip()
    load_rsa_public_key(pem)
    return pem


def secret_key(text: str) -> str:
    if not text.startswith(("sk_test_", "sk_live_")):
        raise ValueError("must start with sk_test_ or sk_live_ (Clerk dashboard → API keys → Secret keys)")
    return text


def webhook_secret(text: str) -> str:
    signing_key(text)
    return text


def sign_in_problem(settings: Settings) -> str | None:
    """What is wrong with the sign-in configuration of a web process, as one line; None if fine.

    Development may run without it (signed-in routes then answer 503); every other environment
    must be able to verify tokens, so the web process refuses to start.
    """
    if settings.clerk_jwt_key and settings.clerk_jwks_url:
        return "CLERK_JWKS_URL: set either CLERK_JWT_KEY (PEM, preferred) or CLERK_JWKS_URL, not both"
    has_keys = bool(settings.clerk_jwt_key or settings.clerk_jwks_url)
    if has_keys and not settings.clerk_issuer:
        return "CLERK_ISSUER: required with CLERK_JWT_KEY or CLERK_JWKS_URL (the Frontend API URL)"
    if not has_keys and settings.app_env != "development":
        return f"CLERK_JWT_KEY: required when APP_ENV is {settings.app_env} (or set CLERK_JWKS_URL)"
    return None
