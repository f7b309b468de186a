"""Who may call what: every route of the app, called by every kind of caller.

ROUTES is the table of record. Add a row when you add a route: ``test_every_route_is_in_the_table``
fails until you do. "Allowed" means the guard let the caller through (any status but 401/403: the
handler may still refuse the request itself, e.g. 400 for an empty body or 404 for a missing id).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.e2e.identity_support import OPERATOR, create_account, deactivate, signed_in_as
from tests.tokens import TokenMinter

Client = AsyncTestClient[Litestar]


class Access(Enum):
    PUBLIC = "anyone, signed in or not"
    SIGNED_IN = "any valid sign-in whose account is not deactivated"
    ADMIN = "an API key, or a signed-in admin"
    API_KEY = "an API key only"
    WEBHOOK = "a Svix-signed delivery only (nobody here has one)"
    PROGRAMME = "a signed-in account linked to a family or provider, or an admin (never an API key)"
    FAMILY = "a signed-in account linked to a family"
    RATE_SETTER = "a signed-in admin, or an account linked to a provider (never an API key)"
    PROVIDER = "a signed-in account linked to a provider"
    PERSON = "a signed-in account linked to a family or provider (an admin role alone is not one)"


ALLOWED = "allowed"
CALLERS = ("anonymous", "api_key", "no_account", "family", "provider", "admin", "deactivated_admin")

# caller → expected outcome, for each kind of access
EXPECTED: dict[Access, dict[str, str | int]] = {
    Access.PUBLIC: dict.fromkeys(CALLERS, ALLOWED),
    Access.SIGNED_IN: {
        "anonymous": 401,
        "api_key": 401,  # an API key is not a sign-in
        "no_account": ALLOWED,
        "family": ALLOWED,
        "provider": ALLOWED,
        "admin": ALLOWED,
        "deactivated_admin": 403,
    },
    Access.ADMIN: {
        "anonymous": 401,
        "api_key": ALLOWED,
        "no_account": 403,
        "family": 403,
        "provider": 403,
        "admin": ALLOWED,
        "deactivated_admin": 403,
    },
    Access.API_KEY: {**dict.fromkeys(CALLERS, 401), "api_key": ALLOWED},
    Access.WEBHOOK: dict.fromkeys(CALLERS, 401),
    Access.PROGRAMME: {
        "anonymous": 401,
        "api_key": 401,  # an API key is never a sign-in on people's routes
        "no_account": 403,
        "family": ALLOWED,
        "provider": ALLOWED,
        "admin": ALLOWED,
        "deactivated_admin": 403,
    },
    Access.RATE_SETTER: {
        "anonymous": 401,
        "api_key": 401,
        "no_account": 403,
        "family": 403,
        "provider": ALLOWED,
        "admin": ALLOWED,
        "deactivated_admin": 403,
    },
    Access.FAMILY: {**dict.fromkeys(CALLERS, 403), "anonymous": 401, "api_key": 401, "family": ALLOWED},
    Access.PROVIDER: {**dict.fromkeys(CALLERS, 403), "anonymous": 401, "api_key": 401, "provider": ALLOWED},
    Access.PERSON: {
        **dict.fromkeys(CALLERS, 403),
        "anonymous": 401,
        "api_key": 401,
        "family": ALLOWED,
        "provider": ALLOWED,
    },
}

NO_ID = "00000000-0000-4000-8000-000000000000"
FAMILY_BODY = {"guardians": [{"first_name": "A", "last_name": "B"}]}
CARE_DAY = {"allocation_id": 1, "provider_id": NO_ID, "date": "2025-01-06", "type": "Half Day"}
RATES = {"half_day_rate_cents": 4000, "full_day_rate_cents": 8000}

# (method, path as registered) → (who may call, the path to request, a request body)
ROUTES: dict[tuple[str, str], tuple[Access, str, Any]] = {
    ("GET", "/"): (Access.PUBLIC, "/", None),
    ("GET", "/health"): (Access.PUBLIC, "/health", None),
    ("GET", "/sentry-test"): (Access.API_KEY, "/sentry-test", None),
    ("GET", "/auth/me"): (Access.SIGNED_IN, "/auth/me", None),
    ("GET", "/auth/status"): (Access.PUBLIC, "/auth/status", None),
    ("POST", "/admin/accounts"): (Access.ADMIN, "/admin/accounts", {"email": "x@x.org", "roles": []}),
    ("GET", "/admin/accounts/{clerk_user_id:str}"): (Access.ADMIN, "/admin/accounts/user_family", None),
    ("PATCH", "/admin/accounts/{clerk_user_id:str}"): (
        Access.ADMIN,
        "/admin/accounts/user_family",
        {"roles": ["family"]},
    ),
    ("POST", "/webhooks/clerk"): (Access.WEBHOOK, "/webhooks/clerk", {"type": "user.created", "data": {}}),
    ("GET", "/schema"): (Access.PUBLIC, "/schema", None),
    ("GET", "/schema/openapi.json"): (Access.PUBLIC, "/schema/openapi.json", None),
    ("GET", "/schema/{path:str}"): (Access.PUBLIC, "/schema/swagger", None),
    ("GET", "/schema/oauth2-redirect.html"): (Access.PUBLIC, "/schema/oauth2-redirect.html", None),
    ("GET", "/schema/assets/{file_path:path}"): (Access.PUBLIC, "/schema/assets/swagger-ui.css", None),
    ("POST", "/admin/families"): (Access.ADMIN, "/admin/families", FAMILY_BODY),
    ("GET", "/admin/families"): (Access.ADMIN, "/admin/families", None),
    ("GET", "/admin/allocations/unfunded"): (Access.ADMIN, "/admin/allocations/unfunded", None),
    ("GET", "/admin/payment-intents"): (Access.ADMIN, "/admin/payment-intents", None),
    ("GET", "/admin/payment-intents/{intent_id:str}"): (
        Access.ADMIN,
        f"/admin/payment-intents/{NO_ID}",
        None,
    ),
    ("POST", "/admin/payment-intents/{intent_id:str}/retry"): (
        Access.ADMIN,
        f"/admin/payment-intents/{NO_ID}/retry",
        None,
    ),
    ("POST", "/admin/payment-intents/{intent_id:str}/cancel"): (
        Access.ADMIN,
        f"/admin/payment-intents/{NO_ID}/cancel",
        None,
    ),
    ("GET", "/admin/allocations/{allocation_id:int}/funding"): (
        Access.ADMIN,
        "/admin/allocations/1/funding",
        None,
    ),
    ("GET", "/admin/families/{family_id:str}"): (Access.ADMIN, f"/admin/families/{NO_ID}", None),
    ("PATCH", "/admin/families/{family_id:str}"): (
        Access.ADMIN,
        f"/admin/families/{NO_ID}",
        {"zip": "80202"},
    ),
    ("PATCH", "/admin/children/{child_id:str}"): (
        Access.ADMIN,
        f"/admin/children/{NO_ID}",
        {"last_name": "C"},
    ),
    ("POST", "/admin/providers"): (Access.ADMIN, "/admin/providers", {"name": "Care", "type": "ffn"}),
    ("GET", "/admin/providers"): (Access.ADMIN, "/admin/providers", None),
    ("GET", "/admin/providers/{provider_id:str}"): (Access.ADMIN, f"/admin/providers/{NO_ID}", None),
    ("PATCH", "/admin/providers/{provider_id:str}"): (
        Access.ADMIN,
        f"/admin/providers/{NO_ID}",
        {"name": "X"},
    ),
    ("PUT", "/admin/providers/{provider_id:str}/children/{child_id:str}"): (
        Access.ADMIN,
        f"/admin/providers/{NO_ID}/children/{NO_ID}",
        None,
    ),
    ("DELETE", "/admin/providers/{provider_id:str}/children/{child_id:str}"): (
        Access.ADMIN,
        f"/admin/providers/{NO_ID}/children/{NO_ID}",
        None,
    ),
    ("POST", "/family/onboard"): (
        Access.API_KEY,
        "/family/onboard",
        {"clerk_user_id": "user_nobody", "family_id": NO_ID},
    ),
    ("POST", "/provider/onboard"): (
        Access.API_KEY,
        "/provider/onboard",
        {"clerk_user_id": "user_nobody", "provider_id": NO_ID},
    ),
    ("GET", "/family"): (Access.FAMILY, "/family", None),
    ("GET", "/family/default_child_id"): (Access.FAMILY, "/family/default_child_id", None),
    ("GET", "/family/{child_id:str}"): (Access.FAMILY, f"/family/{NO_ID}", None),
    ("GET", "/provider"): (Access.PROVIDER, "/provider", None),
    ("POST", "/payment-rates/{child_id:str}"): (Access.RATE_SETTER, f"/payment-rates/{NO_ID}", RATES),
    ("GET", "/payment-rates/{provider_id:str}/{child_id:str}"): (
        Access.PROGRAMME,
        f"/payment-rates/{NO_ID}/{NO_ID}",
        None,
    ),
    ("POST", "/care-days"): (Access.FAMILY, "/care-days", CARE_DAY),
    ("PUT", "/care-days/{care_day_id:int}"): (Access.FAMILY, "/care-days/1", {"type": "Full Day"}),
    ("DELETE", "/care-days/{care_day_id:int}"): (Access.FAMILY, "/care-days/1", None),
    ("GET", "/child/{child_id:str}/allocation/{month:str}/{year:str}"): (
        Access.PROGRAMME,
        f"/child/{NO_ID}/allocation/1/2025",
        None,
    ),
    ("POST", "/child/{child_id:str}/provider/{provider_id:str}/allocation/{month:str}/{year:str}/submit"): (
        Access.FAMILY,
        f"/child/{NO_ID}/provider/{NO_ID}/allocation/1/2025/submit",
        None,
    ),
    ("POST", "/lump-sums"): (
        Access.FAMILY,
        "/lump-sums",
        {"allocation_id": 1, "provider_id": NO_ID, "amount_cents": 100, "days": 1, "half_days": 0},
    ),
    ("GET", "/provider/{provider_id:str}/allocated_care_days"): (
        Access.PROGRAMME,
        f"/provider/{NO_ID}/allocated_care_days",
        None,
    ),
    ("GET", "/family/payments"): (Access.FAMILY, "/family/payments", None),
    ("GET", "/provider/payments"): (Access.PROVIDER, "/provider/payments", None),
    ("GET", "/provider/payment-settings"): (Access.PROVIDER, "/provider/payment-settings", None),
    ("PUT", "/provider/payment-settings"): (
        Access.PROVIDER,
        "/provider/payment-settings",
        {"payment_method": "card"},
    ),
    ("POST", "/provider/initialize-my-payment"): (
        Access.PROVIDER,
        "/provider/initialize-my-payment",
        {"payment_method": "card"},
    ),
    ("POST", "/provider/{provider_id:str}/initialize-payment"): (
        Access.API_KEY,
        f"/provider/{NO_ID}/initialize-payment",
        {"payment_method": "card"},
    ),
    ("POST", "/sandbox/faults"): (Access.API_KEY, "/sandbox/faults", {"fault": "declined", "times": 1}),
    ("GET", "/sandbox/faults"): (Access.API_KEY, "/sandbox/faults", None),
    ("DELETE", "/sandbox/faults"): (Access.API_KEY, "/sandbox/faults", None),
    ("GET", "/jobs/{job_id:str}/status"): (Access.API_KEY, f"/jobs/{NO_ID}/status", None),
    ("POST", "/jobs/{job_id:str}/retry"): (Access.API_KEY, f"/jobs/{NO_ID}/retry", None),
    ("POST", "/jobs/{job_id:str}/cancel"): (Access.API_KEY, f"/jobs/{NO_ID}/cancel", None),
    ("GET", "/jobs/queue-info"): (Access.API_KEY, "/jobs/queue-info", None),
    ("GET", "/jobs"): (Access.API_KEY, "/jobs", None),
    ("GET", "/messages"): (Access.API_KEY, "/messages", None),
    ("GET", "/messages/{message_id:int}"): (Access.API_KEY, "/messages/999999", None),
    ("POST", "/messages/{message_id:int}/resend"): (Access.API_KEY, "/messages/999999/resend", None),
    ("GET", "/message-batches/{batch_id:int}"): (Access.API_KEY, "/message-batches/999999", None),
    ("GET", "/schedules"): (Access.API_KEY, "/schedules", None),
    ("DELETE", "/schedules/{schedule_id:str}"): (Access.API_KEY, f"/schedules/{NO_ID}", None),
    ("POST", "/example-job"): (Access.API_KEY, "/example-job", {"delay_seconds": 3600}),
    ("POST", "/clicks"): (Access.PERSON, "/clicks", {"tracking_id": "pathways_banner"}),
    ("GET", "/clicks"): (Access.PERSON, "/clicks?tracking_id=nothing_clicked", None),
    ("POST", "/family/invite-provider"): (
        Access.FAMILY,
        "/family/invite-provider",
        {"provider_email": "p@x.org", "provider_cell": None, "child_ids": [NO_ID]},
    ),
    ("POST", "/provider/invite-family"): (
        Access.PROVIDER,
        "/provider/invite-family",
        {"family_email": "a@x.org", "family_cell": None},
    ),
    ("GET", "/family/provider-invite/{invite_id:str}"): (
        Access.PUBLIC,
        f"/family/provider-invite/{NO_ID}",
        None,
    ),
    ("POST", "/family/provider-invite/{invite_id:str}/accept"): (
        Access.PROVIDER,
        f"/family/provider-invite/{NO_ID}/accept",
        None,
    ),
    ("GET", "/provider/family-invite/{invite_id:str}"): (
        Access.PUBLIC,
        f"/provider/family-invite/{NO_ID}",
        None,
    ),
    ("POST", "/provider/family-invite/{invite_id:str}/accept"): (
        Access.FAMILY,
        f"/provider/family-invite/{NO_ID}/accept",
        {"child_ids": [NO_ID]},
    ),
    ("GET", "/family/attendance"): (Access.FAMILY, "/family/attendance", None),
    ("POST", "/family/attendance"): (
        Access.FAMILY,
        "/family/attendance",
        {"attendance": [{"id": NO_ID, "full_days": 1, "half_days": 0}]},
    ),
    ("GET", "/provider/attendance"): (Access.PROVIDER, "/provider/attendance", None),
    ("POST", "/provider/attendance"): (
        Access.PROVIDER,
        "/provider/attendance",
        {"attendance": [{"id": NO_ID, "full_days": 1, "half_days": 0}]},
    ),
}


def test_every_route_is_in_the_table(settings: Settings) -> None:
    app = create_app(settings, configure_process=False)
    registered = {
        (method, route.path)
        for route in app.routes
        for method in route.methods
        # The console's pages have their own table: tests/e2e/test_console_access.py.
        if method not in {"OPTIONS", "HEAD"} and not route.path.startswith("/console")
    }
    assert registered - set(ROUTES) == set(), "add these routes to ROUTES with who may call them"
    assert set(ROUTES) - registered == set(), "these rows name routes that no longer exist"


async def _callers(client: Client, minter: TokenMinter) -> dict[str, dict[str, str]]:
    # The family and the provider are onboarded, so their accounts are linked to records.
    family = await client.post("/admin/families", json=FAMILY_BODY, headers=OPERATOR)
    provider = await client.post("/admin/providers", json={"name": "Care", "type": "ffn"}, headers=OPERATOR)
    for path, body in (
        ("/family/onboard", {"clerk_user_id": "user_family", "family_id": family.json()["id"]}),
        ("/provider/onboard", {"clerk_user_id": "user_provider", "provider_id": provider.json()["id"]}),
    ):
        assert (await client.post(path, json=body, headers=OPERATOR)).status_code == 200
    await create_account(client, "user_admin", "admin")
    await create_account(client, "user_retired", "admin")
    await deactivate(client, "user_retired")
    return {
        "anonymous": {},
        "api_key": OPERATOR,
        "no_account": signed_in_as(minter, "user_stranger"),
        "family": signed_in_as(minter, "user_family"),
        "provider": signed_in_as(minter, "user_provider"),
        "admin": signed_in_as(minter, "user_admin"),
        "deactivated_admin": signed_in_as(minter, "user_retired"),
    }


@pytest.mark.parametrize("route", list(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_route_admits_exactly_its_callers(
    client: Client, minter: TokenMinter, route: tuple[str, str]
) -> None:
    access, path, body = ROUTES[route]
    callers = await _callers(client, minter)
    outcomes: dict[str, str | int] = {}
    for caller, headers in callers.items():
        kwargs: dict[str, Any] = {"headers": headers} | ({"json": body} if body is not None else {})
        response = await client.request(route[0], path, **kwargs)
        status = response.status_code
        outcomes[caller] = status if status in (401, 403) else ALLOWED
        if status in (401, 403):
            assert response.json()["code"], response.text  # refusals are JSON with a code
    assert outcomes == EXPECTED[access]


BAD_BODIES = {
    "empty": b"",
    "not JSON": b"{",
    "not an object": b"[]",
    "wrong types": b'{"allocation_id": "2", "type": 5}',
}


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if ROUTES[r][2] is not None], ids=lambda r: f"{r[0]} {r[1]}"
)
async def test_sign_in_is_checked_before_the_body(client: Client, route: tuple[str, str]) -> None:
    """Anonymous with a bad body: the same 401 as with a good one, on every route that takes a body."""
    access, path, _ = ROUTES[route]
    if EXPECTED[access]["anonymous"] == ALLOWED:
        pytest.skip("open to anonymous callers")
    for name, body in BAD_BODIES.items():
        for content_type in ("application/json", "text/plain"):
            headers = {"content-type": content_type}
            response = await client.request(route[0], path, content=body, headers=headers)
            assert response.status_code == 401, (name, content_type, response.text)
