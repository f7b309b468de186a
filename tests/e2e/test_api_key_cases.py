"""clerk.md §5.3: API keys and session tokens are never mistaken for each other; keys never logged."""

from __future__ import annotations

import logging

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TEST_API_KEY
from tests.e2e.identity_support import create_account, signed_in_as
from tests.tokens import TokenMinter

Client = AsyncTestClient[Litestar]


async def test_a_session_token_is_not_an_api_key(client: Client, minter: TokenMinter) -> None:
    await create_account(client, "user_admin", "admin")
    token = minter.token("user_admin")
    for headers in ({"X-API-Key": token}, {"Authorization": f"Bearer {token}"}):
        assert (await client.get("/sentry-test", headers=headers)).status_code == 401


async def test_an_api_key_is_not_a_sign_in(client: Client) -> None:
    for headers in ({"X-API-Key": TEST_API_KEY}, {"Authorization": f"Bearer {TEST_API_KEY}"}):
        assert (await client.get("/auth/me", headers=headers)).status_code == 401


async def test_a_wrong_x_api_key_is_401_even_beside_an_admin_sign_in(
    client: Client, minter: TokenMinter
) -> None:
    await create_account(client, "user_admin", "admin")
    headers = {"X-API-Key": "wrong-key-0000000000", **signed_in_as(minter, "user_admin")}
    assert (await client.get("/admin/accounts/user_admin", headers=headers)).status_code == 401


async def test_rotated_key_and_each_header_form_open_the_admin_api(client: Client) -> None:
    await create_account(client, "user_a", "family")
    for headers in (
        {"X-API-Key": TEST_API_KEY},
        {"Authorization": f"Bearer {TEST_API_KEY}"},
        {"X-API-Key": "rotated-second-key-abcdef"},
    ):
        assert (await client.get("/admin/accounts/user_a", headers=headers)).status_code == 200, headers
    for headers in ({"X-API-Key": ""}, {"X-API-Key": TEST_API_KEY + "x"}, {"Authorization": "Bearer "}):
        assert (await client.get("/admin/accounts/user_a", headers=headers)).status_code == 401, headers


async def test_keys_and_tokens_never_reach_the_logs(
    client: Client, minter: TokenMinter, caplog: pytest.LogCaptureFixture
) -> None:
    token = minter.token("user_admin", sid="sess_secret_marker")
    with caplog.at_level(logging.DEBUG):
        await create_account(client, "user_admin", "admin")
        await client.get("/sentry-test", headers={"X-API-Key": "wrong-key-0000000000"})
        await client.get("/admin/accounts/user_admin", headers={"Authorization": f"Bearer {token}"})
        await client.get("/auth/me", headers={"Authorization": f"Bearer {token[:-4]}AAAA"})
    logged = caplog.text + " ".join(str(vars(record)) for record in caplog.records)
    assert caplog.records  # something was logged, so the check below means something
    for secret in (TEST_API_KEY, "wrong-key-0000000000", token.split(".")[2][:20], "sess_secret_marker"):
        assert secret not in logged
