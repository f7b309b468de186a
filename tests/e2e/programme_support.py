"""Setting up the programme for e2e tests through the admin and onboarding APIs, with a fixed clock."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from adapters.postgres.raw_pool import asyncpg_dsn
from entrypoints.http.app import create_app
from entrypoints.http.services import WebServices, build_web_services
from entrypoints.settings import Settings
from tests.e2e.identity_support import OPERATOR, signed_in_as
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

Client = AsyncTestClient[Litestar]

# Wednesday 1 January 2025, 10:00 in Denver: the week of Monday 30 December is locked, so care days
# can be scheduled from Monday 6 January; January and February get allocations at onboarding.
NOW = datetime(2025, 1, 1, 17, 0, tzinfo=UTC)
FIRST_OPEN_DAY = date(2025, 1, 6)
HALF, FULL = 4_000, 8_000


def app_at(settings: Settings, clock: FixedClock) -> Litestar:
    def services(s: Settings) -> WebServices:
        return replace(build_web_services(s), clock=clock)

    return create_app(settings, services_factory=services, configure_process=False)


async def db_rows(settings: Settings, query: str, *args: Any) -> list[asyncpg.Record]:
    """One statement on a connection of its own (the app's pool lives on the test client's loop)."""
    connection = await asyncpg.connect(asyncpg_dsn(settings.require_database_url()))
    try:
        return list(await connection.fetch(query, *args))
    finally:
        await connection.close()


def family_body(tag: str, *, children: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": f"fam-{tag}",
        "language": "en",
        "guardians": [
            {
                "first_name": f"Ana {tag}",
                "last_name": "Doe",
                "email": f"ana.{tag}@x.org",
                "phone_number": "+13035550100",
            }
        ],
        "children": [
            {
                "first_name": f"Kid{i} {tag}",
                "last_name": "Doe",
                "dob": "2021-05-04",
                "status": "Approved",
                "payment_enabled": True,
                "monthly_allocation_cents": 120_000,
                "prorated_allocation_cents": 60_000,
                "external_id": f"kid-{tag}-{i}",
            }
            for i in range(children)
        ],
        **extra,
    }


def provider_body(tag: str, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": f"prov-{tag}",
        "name": f"Care {tag}",
        "type": "ffn",
        "first_name": "Pat",
        "last_name": tag,
        "email": f"pat.{tag}@x.org",
        "status": "Approved",
        "payment_enabled": True,
        **extra,
    }


async def post_ok(client: Client, path: str, body: Any, status: int = 201, **kwargs: Any) -> dict[str, Any]:
    response = await client.post(path, json=body, **({"headers": OPERATOR} | kwargs))
    assert response.status_code == status, response.text
    return dict(response.json())


@dataclass
class Household:
    """A family onboarded for ``family_user`` and a provider for ``provider_user``, linked, with rates."""

    family_id: str
    child_id: str
    provider_id: str
    family_user: str
    provider_user: str
    family_headers: dict[str, str]
    provider_headers: dict[str, str]
    allocation_id: int


async def household(
    client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    tag: str,
    *,
    rates: bool = True,
    provider_fields: dict[str, Any] | None = None,
) -> Household:
    family = await post_ok(client, "/admin/families", family_body(tag))
    provider = await post_ok(client, "/admin/providers", provider_body(tag, **(provider_fields or {})))
    child_id = family["children"][0]["id"]
    response = await client.put(f"/admin/providers/{provider['id']}/children/{child_id}", headers=OPERATOR)
    assert response.status_code == 200, response.text
    family_user, provider_user = f"user_fam{tag}", f"user_prov{tag}"
    fake_clerk.add_user(family_user, f"ana.{tag}@x.org")
    fake_clerk.add_user(provider_user, f"pat.{tag}@x.org")
    await post_ok(client, "/family/onboard", {"clerk_user_id": family_user, "family_id": family["id"]}, 200)
    await post_ok(
        client, "/provider/onboard", {"clerk_user_id": provider_user, "provider_id": provider["id"]}, 200
    )
    family_headers, provider_headers = signed_in_as(minter, family_user), signed_in_as(minter, provider_user)
    if rates:
        body = {"half_day_rate_cents": HALF, "full_day_rate_cents": FULL}
        await post_ok(client, f"/payment-rates/{child_id}", body, headers=provider_headers)
    month = await client.get(f"/child/{child_id}/allocation/1/2025", headers=family_headers)
    assert month.status_code == 200, month.text
    return Household(
        family["id"], child_id, provider["id"], family_user, provider_user, family_headers, provider_headers,
        month.json()["id"],
    )  # fmt: skip
