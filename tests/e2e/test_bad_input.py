"""Bad input, route by route: every JSON route, every class of bad body, each a JSON 4xx that changes nothing.

The classes (issue 9): a NUL character, integers beyond 64 bits, deep nesting, invalid UTF-8, a value
of the wrong type (each field in turn: ``"true"`` for a bool, ``"2"`` for an int, ``5`` for a text),
a body that is not an object, a content type other than JSON, and dates out of range. Before and
after each request the whole database is fingerprinted: a refusal leaves every table as it was.

``JSON_ROUTES`` must name every route that takes a JSON body: ``test_every_json_route_is_covered``
fails until a new one is added.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import create_async_engine

from entrypoints.http.json_bodies import MAX_DEPTH
from entrypoints.settings import Settings
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import (
    FIRST_OPEN_DAY,
    Client,
    Household,
    app_at,
    family_body,
    household,
    provider_body,
)
from tests.e2e.test_clerk_webhooks import envelope, sign
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

TOO_BIG = 2**63  # one more than Postgres' bigint holds


@dataclass(frozen=True)
class JsonRoute:
    method: str
    path: Callable[[Household, int], str]  # from the household and one of its care day ids
    headers: Callable[[Household], dict[str, str]]
    body: Callable[[Household], dict[str, Any]]  # a body the route would accept
    dates: tuple[tuple[str, ...], ...] = ()  # where the body holds dates (a path of keys and indexes)


def _api_key(_: Household) -> dict[str, str]:
    return dict(OPERATOR)


JSON_ROUTES: dict[tuple[str, str], JsonRoute] = {
    ("POST", "/admin/accounts"): JsonRoute(
        "POST",
        lambda h, _: "/admin/accounts",
        _api_key,
        lambda h: {"clerk_user_id": "user_newcomer", "email": "new@x.org", "roles": ["family"]},
    ),
    ("PATCH", "/admin/accounts/{clerk_user_id:str}"): JsonRoute(
        "PATCH",
        lambda h, _: f"/admin/accounts/{h.family_user}",
        _api_key,
        lambda h: {"deactivated": True, "roles": ["family"]},
    ),
    ("POST", "/admin/families"): JsonRoute(
        "POST",
        lambda h, _: "/admin/families",
        _api_key,
        lambda h: {**family_body("new"), "size": 3, "yearly_income_cents": 1_000_000},
        dates=(("children", "0", "dob"),),
    ),
    ("PATCH", "/admin/families/{family_id:str}"): JsonRoute(
        "PATCH",
        lambda h, _: f"/admin/families/{h.family_id}",
        _api_key,
        lambda h: {"zip": "80202", "external_id": "fam-changed"},
    ),
    ("PATCH", "/admin/children/{child_id:str}"): JsonRoute(
        "PATCH",
        lambda h, _: f"/admin/children/{h.child_id}",
        _api_key,
        lambda h: {"first_name": "Zoe", "payment_enabled": False, "monthly_allocation_cents": 1_000},
    ),
    ("POST", "/admin/providers"): JsonRoute(
        "POST", lambda h, _: "/admin/providers", _api_key, lambda h: provider_body("new")
    ),
    ("PATCH", "/admin/providers/{provider_id:str}"): JsonRoute(
        "PATCH",
        lambda h, _: f"/admin/providers/{h.provider_id}",
        _api_key,
        lambda h: {"name": "Renamed", "payment_enabled": False},
    ),
    ("POST", "/family/onboard"): JsonRoute(
        "POST",
        lambda h, _: "/family/onboard",
        _api_key,
        lambda h: {"clerk_user_id": "user_other", "family_id": h.family_id},
    ),
    ("POST", "/provider/onboard"): JsonRoute(
        "POST",
        lambda h, _: "/provider/onboard",
        _api_key,
        lambda h: {"clerk_user_id": "user_other", "provider_id": h.provider_id},
    ),
    ("POST", "/payment-rates/{child_id:str}"): JsonRoute(
        "POST",
        lambda h, _: f"/payment-rates/{h.child_id}",
        lambda h: h.provider_headers,
        lambda h: {"half_day_rate_cents": 4_100, "full_day_rate_cents": 8_100},
    ),
    ("POST", "/care-days"): JsonRoute(
        "POST",
        lambda h, _: "/care-days",
        lambda h: h.family_headers,
        lambda h: {
            "allocation_id": h.allocation_id,
            "provider_id": h.provider_id,
            "date": FIRST_OPEN_DAY.replace(day=7).isoformat(),
            "type": "Half Day",
        },
        dates=(("date",),),
    ),
    ("PUT", "/care-days/{care_day_id:int}"): JsonRoute(
        "PUT", lambda h, day: f"/care-days/{day}", lambda h: h.family_headers, lambda h: {"type": "Full Day"}
    ),
    ("POST", "/lump-sums"): JsonRoute(
        "POST",
        lambda h, _: "/lump-sums",
        lambda h: h.family_headers,
        lambda h: {
            "allocation_id": h.allocation_id,
            "provider_id": h.provider_id,
            "amount_cents": 1_000,
            "days": 1,
            "half_days": 0,
        },
    ),
    ("POST", "/family/invite-provider"): JsonRoute(
        "POST",
        lambda h, _: "/family/invite-provider",
        lambda h: h.family_headers,
        lambda h: {
            "provider_email": "new@x.org",
            "provider_cell": None,
            "child_ids": [h.child_id],
            "lang": "en",
        },
    ),
    ("POST", "/provider/invite-family"): JsonRoute(
        "POST",
        lambda h, _: "/provider/invite-family",
        lambda h: h.provider_headers,
        lambda h: {"family_email": "new@x.org", "family_cell": "+13035550100", "lang": "es"},
    ),
    ("POST", "/provider/family-invite/{invite_id:str}/accept"): JsonRoute(
        "POST",
        lambda h, _: "/provider/family-invite/00000000-0000-4000-8000-000000000000/accept",
        lambda h: h.family_headers,
        lambda h: {"child_ids": [h.child_id]},
    ),
    ("POST", "/family/attendance"): JsonRoute(
        "POST",
        lambda h, _: "/family/attendance",
        lambda h: h.family_headers,
        lambda h: {
            "attendance": [{"id": "00000000-0000-4000-8000-000000000000", "full_days": 2, "half_days": 1}]
        },
    ),
    ("POST", "/provider/attendance"): JsonRoute(
        "POST",
        lambda h, _: "/provider/attendance",
        lambda h: h.provider_headers,
        lambda h: {
            "attendance": [{"id": "00000000-0000-4000-8000-000000000000", "full_days": 0, "half_days": 3}]
        },
    ),
    ("POST", "/clicks"): JsonRoute(
        "POST",
        lambda h, _: "/clicks",
        lambda h: h.family_headers,
        lambda h: {"tracking_id": "pathways_banner", "url": "https://example.org"},
    ),
    ("PUT", "/provider/payment-settings"): JsonRoute(
        "PUT",
        lambda h, _: "/provider/payment-settings",
        lambda h: h.provider_headers,
        lambda h: {"payment_method": "card"},
    ),
    ("POST", "/provider/initialize-my-payment"): JsonRoute(
        "POST",
        lambda h, _: "/provider/initialize-my-payment",
        lambda h: h.provider_headers,
        lambda h: {"payment_method": "card"},
    ),
    ("POST", "/provider/{provider_id:str}/initialize-payment"): JsonRoute(
        "POST",
        lambda h, _: f"/provider/{h.provider_id}/initialize-payment",
        _api_key,
        lambda h: {"payment_method": "ach"},
    ),
    ("POST", "/sandbox/faults"): JsonRoute(
        "POST",
        lambda h, _: "/sandbox/faults",
        _api_key,
        lambda h: {"fault": "timeout", "operation": "fund_family_wallet", "times": 2},
    ),
    ("POST", "/example-job"): JsonRoute(
        "POST",
        lambda h, _: "/example-job",
        _api_key,
        lambda h: {"delay_seconds": 5, "sleep_time": 0, "fail": False},
    ),
}
# The Clerk webhook takes JSON too; it is signed per body, so it has its own test below.
WEBHOOK = ("POST", "/webhooks/clerk")


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float):
        return "2"
    if isinstance(value, str):
        return 5
    return "not a list"


def _set(body: Any, where: tuple[str, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in where[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = where[-1]
    target[int(last) if isinstance(target, list) else last] = value
    return copy


def _first(body: Any, kind: type) -> tuple[str, ...] | None:
    """Where the first value of ``kind`` sits in the body (bools are not ints here)."""
    items = enumerate(body) if isinstance(body, list) else body.items()
    for key, value in items:
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return (str(key),)
        if isinstance(value, dict | list) and (inner := _first(value, kind)) is not None:
            return (str(key), *inner)
    return None


@dataclass(frozen=True)
class Case:
    name: str
    content: bytes
    content_type: str
    status: int
    codes: tuple[str, ...]  # any of these
    field: str | None = None  # the field the refusal must name


def bad_bodies(body: dict[str, Any], dates: tuple[tuple[str, ...], ...]) -> Iterator[Case]:
    def encoded(value: Any) -> bytes:
        return json.dumps(value).encode()

    text_at = _first(body, str)
    nul_body = _set(body, text_at, "a\u0000b") if text_at else {**body, "\u0000": 1}
    yield Case("NUL in a text", encoded(nul_body), "application/json", 400, ("nul_character",))
    yield Case("NUL in a key", encoded({**body, "a\u0000": 1}), "application/json", 400, ("nul_character",))
    int_at = _first(body, int) or (next(iter(body)),)
    yield Case(
        "beyond int64",
        encoded(_set(body, int_at, TOO_BIG)),
        "application/json",
        400,
        ("number_out_of_range",),
    )
    yield Case(
        "beyond uint64",
        encoded(_set(body, int_at, 10**20)),
        "application/json",
        400,
        ("number_out_of_range",),
    )
    yield Case(
        "below int64",
        encoded(_set(body, int_at, -(2**63) - 1)),
        "application/json",
        400,
        ("number_out_of_range",),
    )
    for depth in (MAX_DEPTH + 1, 1_000, 100_000):
        deep = b"[" * depth + b"]" * depth
        yield Case(f"nested {depth} deep", deep, "application/json", 400, ("too_deep",))
    deep_in_field = encoded(body)[:-1] + b', "extra": ' + b'{"a": ' * 2_000 + b"1" + b"}" * 2_000 + b"}"
    yield Case("nested deep inside the object", deep_in_field, "application/json", 400, ("too_deep",))
    if text_at:
        marker = encoded(_set(body, text_at, "@@"))
        yield Case(
            "invalid UTF-8", marker.replace(b"@@", b"\xff\xfe"), "application/json", 400, ("bad_request",)
        )
    yield Case("not JSON", encoded(body)[:-1], "application/json", 400, ("bad_request",))
    yield Case("an array, not an object", b"[]", "application/json", 400, ("validation_error",))
    yield Case("a string, not an object", b'"data"', "application/json", 400, ("validation_error",))
    yield Case("empty", b"", "application/json", 400, ("bad_request",))
    for key, value in body.items():
        wrong = encoded({**body, key: _wrong_type(value)})
        yield Case(f"{key} of the wrong type", wrong, "application/json", 400, ("validation_error",), key)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        yield Case(
            f"content type {content_type or 'missing'}",
            encoded(body),
            content_type,
            415,
            ("unsupported_media_type",),
        )
    for where in dates:
        for value in ("9999-12-31", "0001-01-01", "2025-02-30", "2025-1-7"):
            refused = encoded(_set(body, where, value))
            yield Case(
                f"{'.'.join(where)} = {value}",
                refused,
                "application/json",
                400,
                # Not a date (msgspec), a child's birth out of range, a care day outside its month.
                ("validation_error", "invalid_field", "care_day_outside_allocation_month"),
            )


class Fingerprints:
    """Every table's rows, hashed — what any signed-in request may write aside: accounts' last_seen_at and
    hourly_activity (a person's first request of an hour notes it, whatever the request).

    Its own engine on the test's loop: the app's pool lives on the test client's loop.
    """

    def __init__(self, database_url: str) -> None:
        self.engine = create_async_engine(database_url, poolclass=NullPool)

    async def take(self) -> dict[str, str]:
        async with self.engine.connect() as connection:
            listed = await connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'hourly_activity' ORDER BY tablename"
                )
            )
            parts = " UNION ALL ".join(
                f"SELECT '{t}', coalesce(md5(string_agg(r, ',' ORDER BY r)), '') "
                f"FROM (SELECT (to_jsonb(x) - 'last_seen_at')::text AS r FROM \"{t}\" x) s"
                for t in listed.scalars().all()
            )
            rows = (await connection.execute(text(parts))).all()
        return {str(name): str(digest) for name, digest in rows}


@pytest.fixture
async def fingerprints(settings: Settings) -> AsyncIterator[Fingerprints]:
    prints = Fingerprints(settings.require_database_url())
    yield prints
    await prints.engine.dispose()


@pytest.fixture
async def world(
    settings: Settings, clock: FixedClock, minter: TokenMinter, fake_clerk: FakeClerk
) -> AsyncIterator[tuple[Client, Household, int]]:
    async with AsyncTestClient(app_at(settings, clock)) as client:
        h = await household(client, minter, fake_clerk, "a")
        day = {"allocation_id": h.allocation_id, "provider_id": h.provider_id,
               "date": FIRST_OPEN_DAY.isoformat(), "type": "Half Day"}  # fmt: skip
        created = await client.post("/care-days", json=day, headers=h.family_headers)
        assert created.status_code == 201, created.text
        yield client, h, int(created.json()["id"])


def test_every_json_route_is_covered(settings: Settings) -> None:
    from entrypoints.http.app import create_app
    from entrypoints.http.json_bodies import takes_json_body

    app = create_app(settings, configure_process=False)
    with_bodies = {
        (method, route.path)
        for route in app.routes
        for method, (handler, _) in getattr(route, "route_handler_map", {}).items()
        if takes_json_body(handler)
    }
    assert with_bodies - {*JSON_ROUTES, WEBHOOK} == set(), "add these routes to JSON_ROUTES"
    assert {*JSON_ROUTES, WEBHOOK} - with_bodies == set(), "these rows name routes without a JSON body"


@pytest.mark.parametrize("route", list(JSON_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_bad_bodies_are_refused_and_change_nothing(
    world: tuple[Client, Household, int], fingerprints: Fingerprints, route: tuple[str, str]
) -> None:
    client, h, day_id = world
    spec = JSON_ROUTES[route]
    before = await fingerprints.take()
    for case in bad_bodies(spec.body(h), spec.dates):
        headers = {**spec.headers(h), "content-type": case.content_type}
        if not case.content_type:
            del headers["content-type"]
        response = await client.request(
            spec.method, spec.path(h, day_id), content=case.content, headers=headers
        )
        assert response.status_code == case.status, (case.name, response.text)
        body = response.json()
        assert set(body) == {"error", "code", "details"}, case.name
        assert body["code"] in case.codes, (case.name, body)
        assert body["error"], (case.name, body)
        assert body["error"] != "'data'", (case.name, body)
        if case.field is not None:
            assert case.field in json.dumps(body["details"]), (case.name, body)
    assert await fingerprints.take() == before


async def test_a_signed_webhook_with_bad_json_is_400_and_changes_nothing(
    world: tuple[Client, Household, int], fingerprints: Fingerprints
) -> None:
    client, _, _ = world
    before = await fingerprints.take()
    nul_email = envelope(email="a\u0000@x.org")
    assert b"\\u0000" in nul_email
    bodies = {
        "NUL in the email": nul_email,
        "nested 1,000 deep": b'{"type": "user.created", "data": ' + b"[" * 1_000 + b"]" * 1_000 + b"}",
        "invalid UTF-8": envelope(email="@@").replace(b"@@", b"\xff"),
        "beyond int64": envelope().replace(b'"timestamp": 1', f'"timestamp": {TOO_BIG}'.encode()),
    }
    for message, (name, body) in enumerate(bodies.items()):
        response = await client.post(
            "/webhooks/clerk", content=body, headers=sign(body, msg_id=f"msg_bad{message}")
        )
        assert response.status_code == 400, (name, response.text)
        assert response.json()["code"] in {"nul_character", "too_deep", "bad_request", "number_out_of_range"}
    assert await fingerprints.take() == before


async def test_an_unsigned_webhook_is_401_whatever_its_body(world: tuple[Client, Household, int]) -> None:
    client, _, _ = world
    deep = b"[" * 100_000 + b"]" * 100_000
    for body in (deep, b"\xff", b""):
        response = await client.post("/webhooks/clerk", content=body, headers={"content-type": "text/plain"})
        assert response.status_code == 401, response.text


async def test_a_400_digit_svix_timestamp_is_401(world: tuple[Client, Household, int]) -> None:
    client, _, _ = world
    body = envelope()
    headers = {**sign(body), "svix-timestamp": "9" * 400}
    response = await client.post("/webhooks/clerk", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_webhook_signature"


URL_CASES = [
    ("GET", "/admin/families?offset=100000000000000000000", "offset"),
    ("GET", "/admin/providers?offset=9223372036854775808", "offset"),
    ("GET", "/admin/families?limit=9223372036854775808", "limit"),
    ("GET", "/jobs?offset=9223372036854775808", "offset"),
    ("GET", "/jobs/queue-info?limit=-9223372036854775809", "limit"),
    ("DELETE", "/care-days/9223372036854775808", "care_day_id"),
    ("PUT", "/care-days/9223372036854775808", "care_day_id"),
    ("PUT", "/care-days/%201", "care_day_id"),
    ("PUT", "/care-days/+1", "care_day_id"),
    ("PUT", "/care-days/1_0", "care_day_id"),
    ("DELETE", "/care-days/01", "care_day_id"),
    ("DELETE", "/care-days/0", "care_day_id"),
    ("DELETE", "/care-days/-1", "care_day_id"),
]


@pytest.mark.parametrize(("method", "url", "field"), URL_CASES, ids=lambda v: str(v))
async def test_bad_numbers_in_paths_and_queries_are_400(
    world: tuple[Client, Household, int], fingerprints: Fingerprints, method: str, url: str, field: str
) -> None:
    client, h, _ = world
    before = await fingerprints.take()
    headers = h.family_headers if "care-days" in url else OPERATOR
    kwargs: dict[str, Any] = {"json": {"type": "Full Day"}} if method == "PUT" else {}
    response = await client.request(method, url, headers=headers, **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert field in json.dumps(response.json()["details"])
    assert await fingerprints.take() == before


async def test_two_children_with_one_external_id_are_refused_naming_the_field(
    world: tuple[Client, Household, int],
) -> None:
    client, _, _ = world
    body = family_body("twins", children=2)
    body["children"][1]["external_id"] = body["children"][0]["external_id"]
    response = await client.post("/admin/families", json=body, headers=OPERATOR)
    assert response.status_code == 400, response.text
    assert response.json()["details"] == {"field": "children[1].external_id"}
    assert "children[0].external_id" in response.json()["error"]
