"""``/admin/accounts``: the operators' way to give people roles, and its refusals (JSON 4xx)."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.e2e.identity_support import OPERATOR, create_account, signed_in_as
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter

Client = AsyncTestClient[Litestar]


async def test_create_read_and_change_an_account(client: Client, fake_clerk: FakeClerk) -> None:
    fake_clerk.add_user("user_bo", "bo@x.org")
    created = await create_account(client, "user_bo", "family", "provider")
    assert created["roles"] == ["family", "provider"]
    assert (created["status"], created["directory_synced"]) == ("active", True)
    read = await client.get("/admin/accounts/user_bo", headers=OPERATOR)
    assert read.json()["email"] == "user_bo@x.org"
    changed = await client.patch("/admin/accounts/user_bo", json={"roles": ["admin"]}, headers=OPERATOR)
    assert changed.json()["roles"] == ["admin"]
    # The frontend reads roles from Clerk's public_metadata: the change is mirrored there.
    assert fake_clerk.users["user_bo"]["public_metadata"] == {"types": ["admin"]}


async def test_deactivating_blanks_the_frontend_metadata_and_refuses_sign_in(
    client: Client, fake_clerk: FakeClerk, minter: TokenMinter
) -> None:
    fake_clerk.add_user("user_bo", "bo@x.org")
    await create_account(client, "user_bo", "admin")
    response = await client.patch("/admin/accounts/user_bo", json={"deactivated": True}, headers=OPERATOR)
    assert response.json()["status"] == "deactivated"
    assert fake_clerk.users["user_bo"]["public_metadata"] == {"types": []}
    me = await client.get("/auth/me", headers=signed_in_as(minter, "user_bo"))
    assert (me.status_code, me.json()["code"]) == (403, "account_deactivated")


async def test_a_signed_in_admin_cannot_lock_themself_out_through_the_api(
    client: Client, minter: TokenMinter
) -> None:
    await create_account(client, "user_ada", "admin")
    await create_account(client, "user_bea", "admin")
    ada = signed_in_as(minter, "user_ada")
    for change in [{"deactivated": True}, {"roles": ["family"]}]:
        refused = await client.patch("/admin/accounts/user_ada", json=change, headers=ada)
        assert (refused.status_code, refused.json()["code"]) == (400, "self_lockout"), change
    unchanged = await client.get("/admin/accounts/user_ada", headers=OPERATOR)
    assert (unchanged.json()["roles"], unchanged.json()["status"]) == (["admin"], "active")
    # Another admin, or the API key, may: someone else is left holding the console.
    other = await client.patch("/admin/accounts/user_bea", json={"roles": ["family"]}, headers=ada)
    assert other.json()["roles"] == ["family"]
    by_key = await client.patch("/admin/accounts/user_ada", json={"deactivated": True}, headers=OPERATOR)
    assert by_key.json()["status"] == "deactivated"


async def test_clerk_down_still_creates_the_account_and_says_the_mirror_is_behind(
    client: Client, fake_clerk: FakeClerk
) -> None:
    fake_clerk.down = True
    created = await create_account(client, "user_bo", "family")
    assert created["directory_synced"] is False
    assert (await client.get("/admin/accounts/user_bo", headers=OPERATOR)).status_code == 200
    # The account's directory write is a job in the same transaction: it is retried until Clerk answers.
    job = await client.get(f"/jobs/{created['directory_sync_job_id']}/status", headers=OPERATOR)
    assert (job.status_code, job.json()["func_name"], job.json()["args"]) == (
        200,
        "identity.sync_directory",
        ["user_bo"],
    )


async def test_email_left_out_is_read_from_clerk(client: Client, fake_clerk: FakeClerk) -> None:
    fake_clerk.add_user("user_cy", "Cy@X.org")
    body = {"clerk_user_id": "user_cy", "roles": ["provider"]}
    response = await client.post("/admin/accounts", json=body, headers=OPERATOR)
    assert response.json()["email"] == "cy@x.org"
    unknown = await client.post("/admin/accounts", json={"clerk_user_id": "user_zz"}, headers=OPERATOR)
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_clerk_user")


async def test_a_pending_account_by_email(client: Client) -> None:
    body = {"email": "new@x.org", "roles": ["family"]}
    response = await client.post("/admin/accounts", json=body, headers=OPERATOR)
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    again = await client.post("/admin/accounts", json=body, headers=OPERATOR)
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_pending_account")


async def test_refusals_are_json_and_name_the_problem(client: Client) -> None:
    await create_account(client, "user_bo", "family")
    cases = [
        (
            "post",
            "/admin/accounts",
            {"clerk_user_id": "user_bo", "email": "b@x.org"},
            409,
            "duplicate_account",
        ),
        (
            "post",
            "/admin/accounts",
            {"clerk_user_id": "user_n", "email": "n@x.org", "roles": ["boss"]},
            400,
            "unknown_role",
        ),
        (
            "post",
            "/admin/accounts",
            {"clerk_user_id": "bo", "email": "n@x.org"},
            400,
            "malformed_clerk_user_id",
        ),
        ("post", "/admin/accounts", {"clerk_user_id": "user_n", "email": "nope"}, 400, "malformed_email"),
        ("post", "/admin/accounts", {"roles": ["family"]}, 400, "missing_identity"),
        ("post", "/admin/accounts", {"clerk_user_id": "user_n", "colour": "red"}, 400, "validation_error"),
        ("get", "/admin/accounts/user_nobody", None, 404, "account_not_found"),
        ("get", "/admin/accounts/not-an-id", None, 400, "malformed_clerk_user_id"),
        ("patch", "/admin/accounts/user_bo", {}, 400, "empty_change"),
        ("patch", "/admin/accounts/user_bo", {"roles": ["family", "owner"]}, 400, "unknown_role"),
        ("patch", "/admin/accounts/user_nobody", {"roles": []}, 404, "account_not_found"),
    ]
    for method, path, body, status, code in cases:
        kwargs = {"headers": OPERATOR} | ({"json": body} if body is not None else {})
        response = await getattr(client, method)(path, **kwargs)
        assert (response.status_code, response.json()["code"]) == (status, code), (path, body, response.text)
        assert response.json()["error"]


async def test_me_reports_roles_and_links_and_status_never_401(client: Client, minter: TokenMinter) -> None:
    await create_account(client, "user_bo", "provider", "family")
    me = await client.get("/auth/me", headers=signed_in_as(minter, "user_bo"))
    assert me.json() == {
        "user_id": "user_bo",
        "roles": ["family", "provider"],
        "family_id": None,
        "provider_id": None,
        "email": "user_bo@x.org",
    }
    newcomer = await client.get("/auth/me", headers=signed_in_as(minter, "user_new"))
    assert newcomer.json()["roles"] == []
    for headers, expected in [
        ({}, {"authenticated": False, "user_id": None}),
        ({"Authorization": "Bearer rubbish"}, {"authenticated": False, "user_id": None}),
        (signed_in_as(minter, "user_bo"), {"authenticated": True, "user_id": "user_bo"}),
    ]:
        response = await client.get("/auth/status", headers=headers)
        assert (response.status_code, response.json()) == (200, expected)


async def test_signing_in_notes_last_seen(client: Client, minter: TokenMinter) -> None:
    await create_account(client, "user_bo", "family")
    assert (await client.get("/admin/accounts/user_bo", headers=OPERATOR)).json()["last_seen_at"] is None
    await client.get("/auth/me", headers=signed_in_as(minter, "user_bo"))
    assert (await client.get("/admin/accounts/user_bo", headers=OPERATOR)).json()["last_seen_at"] is not None
