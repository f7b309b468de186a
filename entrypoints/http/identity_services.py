"""Building the identity adapters (token verifier, directory, webhook key) from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.clerk.backend_api import ClerkBackendDirectory
from adapters.clerk.keys import JwksKeys, PemKey, SigningKeys
from adapters.clerk.session_tokens import ClerkSessionVerifier, SignInNotConfigured
from adapters.clerk.webhooks import signing_key
from domain.identity.ports import IdentityDirectory, IdentityVerifier
from entrypoints.jobs.context import directory_without_clerk
from entrypoints.settings import Settings


@dataclass
class IdentityServices:
    verifier: IdentityVerifier
    directory: IdentityDirectory
    # None when CLERK_WEBHOOK_SECRET is not set: the webhook route then answers 503.
    webhook_key: bytes | None
    keys: SigningKeys | None = None
    backend: ClerkBackendDirectory | None = None

    async def close(self) -> None:
        if self.keys is not None:
            await self.keys.close()
        if self.backend is not None:
            await self.backend.close()


def build_identity_services(settings: Settings) -> IdentityServices:
    settings.require_sign_in()
    keys: SigningKeys | None = None
    verifier: IdentityVerifier = SignInNotConfigured()
    if settings.clerk_jwt_key:
        keys = PemKey(settings.clerk_jwt_key)
    elif settings.clerk_jwks_url:
        keys = JwksKeys(settings.clerk_jwks_url)
    if keys is not None and settings.clerk_issuer:
        verifier = ClerkSessionVerifier(
            keys, issuer=settings.clerk_issuer, authorized_parties=settings.clerk_authorized_parties
        )
    backend = (
        ClerkBackendDirectory(settings.clerk_api_url, settings.clerk_secret_key)
        if settings.clerk_secret_key
        else None
    )
    return IdentityServices(
        verifier=verifier,
        directory=backend or directory_without_clerk(settings),
        webhook_key=signing_key(settings.clerk_webhook_secret) if settings.clerk_webhook_secret else None,
        keys=keys,
        backend=backend,
    )
