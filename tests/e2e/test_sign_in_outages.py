"""Outages and configuration around sign-in, seen from HTTP: ours are 503, never a sign-out (401)."""

from __future__ import annotations

from typing import Any

from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter, jwk


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_jwks_endpoint_down_on_a_cold_start_is_503(
    client_with: Any, fake_clerk: FakeClerk, minter: TokenMinter
) -> None:
    fake_clerk.down = True
    async with client_with(clerk_jwt_key=None, clerk_jwks_url=fake_clerk.jwks_url) as client:
        response = await client.get("/auth/me", headers=_bearer(minter.token()))
    assert response.status_code == 503
    assert response.json()["code"] == "identity_keys_unavailable"


async def test_jwks_mode_signs_in_with_keys_from_the_endpoint(
    client_with: Any, fake_clerk: FakeClerk, minter: TokenMinter
) -> None:
    fake_clerk.jwks = {"keys": [jwk(minter.key)]}
    async with client_with(clerk_jwt_key=None, clerk_jwks_url=fake_clerk.jwks_url) as client:
        response = await client.get("/auth/me", headers=_bearer(minter.token()))
    assert response.status_code == 200
    assert fake_clerk.jwks_fetches == 1


async def test_clerk_backend_api_down_does_not_affect_sign_in(
    client_with: Any, fake_clerk: FakeClerk, minter: TokenMinter
) -> None:
    fake_clerk.down = True
    async with client_with() as client:
        response = await client.get("/auth/me", headers=_bearer(minter.token()))
    assert response.status_code == 200
    assert fake_clerk.requests == []  # PEM mode: verification never touches the network


async def test_without_sign_in_configuration_development_answers_503_not_200(
    client_with: Any, minter: TokenMinter
) -> None:
    async with client_with(app_env="development", clerk_jwt_key=None, clerk_issuer=None) as client:
        response = await client.get("/auth/me", headers=_bearer(minter.token()))
        status = await client.get("/auth/status")
    assert response.status_code == 503
    assert response.json()["code"] == "sign_in_not_configured"
    assert status.json() == {"authenticated": False, "user_id": None}
