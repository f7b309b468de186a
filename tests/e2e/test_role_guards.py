"""The role guards and the opt-in ``__session`` cookie, on test-only routes (no such route ships yet)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.http.auth import family_only, provider_only, signed_in
from entrypoints.settings import Settings
from tests.e2e.identity_support import create_account, signed_in_as
from tests.tokens import TokenMinter

Client = AsyncTestClient[Litestar]


@get("/test/family", guards=[family_only])
async def family_page() -> dict[str, str]:
    return {"ok": "family"}


@get("/test/provider", guards=[provider_only])
async def provider_page() -> dict[str, str]:
    return {"ok": "provider"}


@get("/test/same-origin", guards=[signed_in], opt={"session_cookie": True})
async def same_origin_page() -> dict[str, str]:
    return {"ok": "cookie"}


@pytest.fixture
async def guarded(settings: Settings) -> AsyncIterator[Client]:
    app = create_app(
        settings, configure_process=False, extra_routes=[family_page, provider_page, same_origin_page]
    )
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def test_family_and_provider_guards(guarded: Client, minter: TokenMinter) -> None:
    await create_account(guarded, "user_f", "family")
    await create_account(guarded, "user_p", "provider")
    await create_account(guarded, "user_both", "family", "provider")
    expected = {
        ("user_f", "/test/family"): 200,
        ("user_f", "/test/provider"): 403,
        ("user_p", "/test/family"): 403,
        ("user_p", "/test/provider"): 200,
        ("user_both", "/test/family"): 200,
        ("user_both", "/test/provider"): 200,
        ("user_nobody", "/test/family"): 403,
    }
    for (user, path), status in expected.items():
        response = await guarded.get(path, headers=signed_in_as(minter, user))
        assert response.status_code == status, (user, path)
    anonymous = await guarded.get("/test/family")
    assert anonymous.status_code == 401


async def test_the_session_cookie_counts_only_where_a_route_allows_it(
    guarded: Client, minter: TokenMinter
) -> None:
    cookie = {"Cookie": f"__session={minter.token('user_x')}"}
    allowed = await guarded.get("/test/same-origin", headers=cookie)
    elsewhere = await guarded.get("/auth/me", headers=cookie)
    forged = await guarded.get("/test/same-origin", headers={"Cookie": "__session=forged.token.value"})
    assert (allowed.status_code, elsewhere.status_code, forged.status_code) == (200, 401, 401)
