"""Who may use the operator console: every page and action, called by every kind of caller.

CONSOLE_ROUTES is the table of record for ``/console`` (the API's is tests/e2e/test_authorization_matrix.py);
``test_every_console_route_is_in_the_table`` fails until a new page is added here. Staff are accounts with
the admin role signed in with the ``__session`` cookie; nobody signed in is sent to sign in, anyone else
gets a readable page (never JSON), and a form without the console's CSRF token is refused.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, public_pem
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.identity_support import create_account, deactivate
from tests.tokens import TokenMinter

Client = AsyncTestClient[Litestar]
NO_ID = "00000000-0000-4000-8000-000000000000"
STAFF_ONLY = "staff"
ALLOWED = "allowed"  # past the guard: the page may still answer 404 or a refusal of its own
OPEN = "open"  # the development sign-in and sign-out: before anyone is signed in

# (method, path as registered) → (who may call, the path to request, a form)
CONSOLE_ROUTES: dict[tuple[str, str], tuple[str, str, dict[str, str] | None]] = {
    ("GET", "/console"): (STAFF_ONLY, "/console", None),
    ("GET", "/console/audit"): (STAFF_ONLY, "/console/audit", None),
    ("GET", "/console/audit.csv"): (STAFF_ONLY, "/console/audit.csv", None),
    ("GET", "/console/search"): (STAFF_ONLY, "/console/search?q=ana", None),
    ("GET", "/console/search.csv"): (STAFF_ONLY, "/console/search.csv?q=ana", None),
    ("GET", "/console/families/{family_id:str}"): (STAFF_ONLY, f"/console/families/{NO_ID}", None),
    ("POST", "/console/children/{child_id:str}/allocation"): (
        STAFF_ONLY,
        f"/console/children/{NO_ID}/allocation",
        {"family_id": NO_ID, "monthly_allocation": "100"},
    ),
    ("GET", "/console/providers/{provider_id:str}"): (STAFF_ONLY, f"/console/providers/{NO_ID}", None),
    # Each of a family's or provider's lists, and its CSV (``{list}.csv``); every list and CSV one by one
    # in test_console_sections.py.
    ("GET", "/console/families/{family_id:str}/{section:str}"): (
        STAFF_ONLY,
        f"/console/families/{NO_ID}/ledger.csv",
        None,
    ),
    ("GET", "/console/providers/{provider_id:str}/{section:str}"): (
        STAFF_ONLY,
        f"/console/providers/{NO_ID}/payments",
        None,
    ),
    ("GET", "/console/payments/failed"): (STAFF_ONLY, "/console/payments/failed", None),
    ("GET", "/console/payments/failed.csv"): (STAFF_ONLY, "/console/payments/failed.csv", None),
    ("POST", "/console/payments/{intent_id:str}/retry"): (STAFF_ONLY, f"/console/payments/{NO_ID}/retry", {}),
    ("GET", "/console/jobs"): (STAFF_ONLY, "/console/jobs", None),
    ("GET", "/console/jobs.csv"): (STAFF_ONLY, "/console/jobs.csv", None),
    ("POST", "/console/jobs/{job_id:str}/retry"): (STAFF_ONLY, f"/console/jobs/{NO_ID}/retry", {}),
    ("POST", "/console/jobs/{job_id:str}/cancel"): (STAFF_ONLY, f"/console/jobs/{NO_ID}/cancel", {}),
    ("GET", "/console/messages"): (STAFF_ONLY, "/console/messages?status=failed", None),
    ("GET", "/console/messages.csv"): (STAFF_ONLY, "/console/messages.csv?status=failed", None),
    ("GET", "/console/messages/{message_id:str}"): (STAFF_ONLY, "/console/messages/1", None),
    ("POST", "/console/messages/{message_id:str}/resend"): (STAFF_ONLY, "/console/messages/1/resend", {}),
    ("GET", "/console/runs"): (STAFF_ONLY, "/console/runs", None),
    ("GET", "/console/runs.csv"): (STAFF_ONLY, "/console/runs.csv", None),
    ("POST", "/console/runs/{kind:str}"): (STAFF_ONLY, "/console/runs/no-such-run", {}),
    ("GET", "/console/runs/{kind:str}/{job_id:str}"): (
        STAFF_ONLY,
        f"/console/runs/invite-reminders/{NO_ID}",
        None,
    ),
    ("GET", "/console/imports"): (STAFF_ONLY, "/console/imports", None),
    ("GET", "/console/imports.csv"): (STAFF_ONLY, "/console/imports.csv", None),
    ("POST", "/console/imports"): (STAFF_ONLY, "/console/imports", {}),
    ("GET", "/console/imports/{import_id:int}"): (STAFF_ONLY, "/console/imports/999999", None),
    ("GET", "/console/accounts"): (STAFF_ONLY, "/console/accounts", None),
    ("GET", "/console/accounts.csv"): (STAFF_ONLY, "/console/accounts.csv", None),
    ("GET", "/console/accounts/{clerk_user_id:str}"): (STAFF_ONLY, "/console/accounts/user_nobody", None),
    ("GET", "/console/pending-accounts"): (STAFF_ONLY, "/console/pending-accounts?q=ana", None),
    ("GET", "/console/pending-accounts.csv"): (STAFF_ONLY, "/console/pending-accounts.csv?q=ana", None),
    ("POST", "/console/accounts/{clerk_user_id:str}/roles"): (
        STAFF_ONLY,
        "/console/accounts/user_nobody/roles",
        {"role": "family"},
    ),
    ("POST", "/console/accounts/{clerk_user_id:str}/deactivate"): (
        STAFF_ONLY,
        "/console/accounts/user_nobody/deactivate",
        {},
    ),
    ("POST", "/console/accounts/{clerk_user_id:str}/reactivate"): (
        STAFF_ONLY,
        "/console/accounts/user_nobody/reactivate",
        {},
    ),
    ("GET", "/console/dev-sign-in"): (OPEN, "/console/dev-sign-in", None),
    ("POST", "/console/dev-sign-in"): (OPEN, "/console/dev-sign-in", {"user_id": "user_x"}),
    ("POST", "/console/sign-out"): (OPEN, "/console/sign-out", {}),
}
ASSETS = ("GET", "/console/assets/{file_path:path}")


def _console_routes(app: Litestar) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in app.routes
        for method in route.methods
        if method not in {"OPTIONS", "HEAD"} and route.path.startswith("/console")
    }


def test_every_console_route_is_in_the_table(settings: Settings) -> None:
    registered = _console_routes(create_app(settings, configure_process=False)) - {ASSETS}
    assert registered == set(CONSOLE_ROUTES)


async def _csrf(client: Client) -> str:
    """The console's CSRF token: the cookie a console page sets, sent back in the form."""
    await client.get("/console/dev-sign-in")
    token = client.cookies.get("cap_console_csrf")
    assert token, "a console page sets the CSRF cookie"
    return token


async def _as(client: Client, minter: TokenMinter, user_id: str | None) -> None:
    client.cookies.clear()
    if user_id is not None:
        client.cookies.set("__session", minter.token(user_id))


async def _people(client: Client) -> list[str | None]:
    await create_account(client, "user_staff", "admin")
    await create_account(client, "user_parent", "family")
    await create_account(client, "user_carer", "provider")
    await create_account(client, "user_retired", "admin")
    await deactivate(client, "user_retired")
    return [None, "user_stranger", "user_parent", "user_carer", "user_retired", "user_staff"]


@pytest.mark.parametrize("route", [r for r in CONSOLE_ROUTES if CONSOLE_ROUTES[r][0] == STAFF_ONLY])
async def test_only_staff_get_in(client: Client, minter: TokenMinter, route: tuple[str, str]) -> None:
    _, path, form = CONSOLE_ROUTES[route]
    people = await _people(client)
    outcomes: dict[str | None, int | str] = {}
    for person in people:
        await _as(client, minter, person)
        data = {**(form or {}), "_csrf_token": await _csrf(client)} if route[0] == "POST" else None
        response = await client.request(route[0], path, data=data, follow_redirects=False)
        outcomes[person] = response.status_code if response.status_code in (303, 403) else ALLOWED
        if response.status_code == 403:
            assert response.headers["content-type"].startswith("text/html")
            assert "The console is for programme staff" in response.text
            assert '"code"' not in response.text
            assert "Traceback" not in response.text
    assert outcomes == {
        None: 303,
        "user_stranger": 403,
        "user_parent": 403,
        "user_carer": 403,
        "user_retired": 403,
        "user_staff": ALLOWED,
    }


async def test_nobody_signed_in_is_bounced_through_the_frontends_sign_in(client: Client) -> None:
    response = await client.get("/console/audit?page=2", follow_redirects=False)
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "http://localhost:5173/auth/sign-in"
    back = parse_qs(target.query)["redirect_url"][0]
    assert back.endswith("/console/audit?page=2")


async def test_a_bad_or_expired_cookie_is_a_new_sign_in_not_an_error(
    client: Client, minter: TokenMinter
) -> None:
    await create_account(client, "user_staff", "admin")
    client.cookies.set("__session", minter.token("user_staff")[:-4] + "AAAA")
    assert (await client.get("/console", follow_redirects=False)).status_code == 303
    client.cookies.set("__session", minter.token("user_staff", exp=1))
    assert (await client.get("/console", follow_redirects=False)).status_code == 303


async def test_the_api_never_reads_the_session_cookie(client: Client, minter: TokenMinter) -> None:
    await create_account(client, "user_staff", "admin")
    client.cookies.set("__session", minter.token("user_staff"))
    assert (await client.get("/console")).status_code == 200
    assert (await client.get("/auth/me")).status_code == 401


async def test_a_form_without_the_csrf_token_is_refused_with_a_page(
    client: Client, minter: TokenMinter
) -> None:
    await create_account(client, "user_staff", "admin")
    await _as(client, minter, "user_staff")
    await client.get("/console")  # the CSRF cookie is set
    response = await client.post("/console/sign-out", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert "did not come from the console" in response.text
    forged = await client.post("/console/sign-out", data={"_csrf_token": "x" * 80}, follow_redirects=False)
    assert forged.status_code == 403
    good = await client.post(
        "/console/sign-out", data={"_csrf_token": await _csrf(client)}, follow_redirects=False
    )
    assert good.status_code == 303


async def test_the_assets_are_served_by_the_app(client: Client) -> None:
    response = await client.get("/console/assets/console.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


async def test_there_is_no_development_sign_in_without_the_development_key(client: Client) -> None:
    response = await client.get("/console/dev-sign-in")
    assert response.status_code == 404
    assert "sign in through the portal" in response.text
    assert response.headers["content-type"].startswith("text/html")


def _dev_settings(settings: Settings, data_dir: Path) -> Settings:
    key = dev_signing_key(data_dir)
    return replace(settings, cap_data_dir=data_dir, clerk_jwt_key=public_pem(key), clerk_issuer=DEV_ISSUER)


async def test_the_development_sign_in_signs_staff_in(settings: Settings, tmp_path: Path) -> None:
    app = create_app(_dev_settings(settings, tmp_path), configure_process=False)
    async with AsyncTestClient(app) as client:
        await create_account(client, "user_staff", "admin")
        await create_account(client, "user_parent", "family")
        bounced = await client.get("/console/audit", follow_redirects=False)
        assert bounced.headers["location"] == "/console/dev-sign-in?next=%2Fconsole%2Faudit"
        token = await _csrf(client)
        refused = await client.post(
            "/console/dev-sign-in", data={"user_id": "nobody", "_csrf_token": token}, follow_redirects=False
        )
        assert refused.status_code == 400
        assert "A user id looks like user_" in refused.text
        form = {"user_id": "user_staff", "next": "/console/audit", "_csrf_token": token}
        signed_in = await client.post("/console/dev-sign-in", data=form, follow_redirects=False)
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/console/audit")
        assert (await client.get("/console/audit")).status_code == 200
        form = {"user_id": "user_parent", "next": "https://evil.example/", "_csrf_token": token}
        parent = await client.post("/console/dev-sign-in", data=form, follow_redirects=False)
        assert parent.headers["location"] == "/console"  # never off-site
        assert (await client.get("/console")).status_code == 403
