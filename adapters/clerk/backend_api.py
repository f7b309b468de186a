"""Clerk's Backend API as the identity directory: satisfies ``domain.identity.ports.IdentityDirectory``.

Only operator actions and webhook follow-ups call it; sign-in verification never does, so a Clerk
outage can delay a metadata update but cannot stop anyone signing in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from domain.errors import DependencyUnavailable, NotFound
from domain.identity.model import DirectoryUser

logger = logging.getLogger("cap_portal.clerk")


def primary_email(user: Mapping[str, Any]) -> str | None:
    """The user's primary email address from a Clerk User object (API response or webhook data)."""
    primary_id = user.get("primary_email_address_id")
    addresses = user.get("email_addresses")
    if not isinstance(addresses, list):
        return None
    for address in addresses:
        if isinstance(address, dict) and address.get("id") == primary_id:
            email = address.get("email_address")
            return email if isinstance(email, str) else None
    return None


class ClerkBackendDirectory:
    def __init__(self, api_url: str, secret_key: str, *, timeout_seconds: float = 5.0) -> None:
        self._http = httpx.AsyncClient(
            base_url=api_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {secret_key}"},
            timeout=timeout_seconds,
            follow_redirects=False,
        )

    async def read_user(self, user_id: str) -> DirectoryUser:
        user = await self._call("GET", user_id)
        metadata = user.get("public_metadata")
        return DirectoryUser(
            user_id=str(user.get("id", user_id)),
            email=primary_email(user),
            public_metadata=metadata if isinstance(metadata, dict) else {},
        )

    async def write_public_metadata(self, user_id: str, metadata: dict[str, object]) -> None:
        # The metadata endpoint merges; a None value removes that key, which is what we want for
        # ids that are not linked. Other keys someone set by hand are left alone.
        await self._call("PATCH", f"{user_id}/metadata", json={"public_metadata": metadata})

    async def _call(self, method: str, path: str, json: object = None) -> dict[str, Any]:
        url = "users/" + quote(path, safe="/")
        try:
            response = await self._http.request(method, url, json=json)
        except httpx.HTTPError as exc:
            raise _unavailable(f"{type(exc).__name__}") from None
        if response.status_code == 404:
            raise NotFound("Clerk has no such user.", code="directory_user_not_found")
        if response.status_code >= 400:
            # 401/403 mean our secret key is wrong; 429/5xx mean Clerk is struggling: either way
            # it is not the caller's fault.
            raise _unavailable(f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise _unavailable("response is not JSON") from None
        return body if isinstance(body, dict) else {}

    async def close(self) -> None:
        await self._http.aclose()


class DirectoryNotConfigured:
    """Used when CLERK_SECRET_KEY is not set: every call says so, and nothing else breaks."""

    async def read_user(self, user_id: str) -> DirectoryUser:
        raise _unavailable("CLERK_SECRET_KEY is not set")

    async def write_public_metadata(self, user_id: str, metadata: dict[str, object]) -> None:
        raise _unavailable("CLERK_SECRET_KEY is not set")

    async def close(self) -> None:
        return None


def _unavailable(reason: str) -> DependencyUnavailable:
    logger.warning("Clerk Backend API call failed", extra={"reason": reason})
    return DependencyUnavailable(f"Clerk is unavailable ({reason}).", code="directory_unavailable")
