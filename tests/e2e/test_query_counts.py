"""No N+1 through the real routes: what a request costs in SQL statements does not grow with what it
lists (care days in a month, families or providers on a page, a dashboard's children and providers).

Counted on the app's own engine, so the signed-in caller's account lookup is included. BEGIN, COMMIT
and ROLLBACK are the driver's and are not counted.
"""

from __future__ import annotations

from datetime import date

from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.raw_pool import RawPool
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import Client, Household, family_body, household, post_ok, provider_body
from tests.fake_clerk import FakeClerk
from tests.statement_counts import counting
from tests.tokens import TokenMinter

# The account lookup, then the child, the allocation and its care days.
MONTH_VIEW_STATEMENTS = 4
# The account lookup, then the allocation, its child, the allocation FOR UPDATE, the link, the rate,
# the same day's row, the allocation's days and the INSERT.
CREATE_CARE_DAY_STATEMENTS = 9
# A page of families, their guardians, their children.
FAMILY_PAGE_STATEMENTS = 3
# A page of providers, their links.
PROVIDER_PAGE_STATEMENTS = 2
# The account lookup, the family's children, the selected child's providers, then money's: the family's
# payment settings, its wallet's ledger balance and the providers' payment settings; then the children's
# open attendance records.
FAMILY_HOME_STATEMENTS = 7
# The account lookup, the provider, its children, its rates, its payment settings, its due attendance.
PROVIDER_HOME_STATEMENTS = 6


def _connections(client: Client) -> tuple[AsyncEngine, RawPool]:
    """Where the app's statements go: the ORM's engine and the plain asyncpg pool of the hot reads."""
    app: Litestar = client.app
    return app.state.services.engine, app.state.services.raw_pool


async def _statements(client: Client, path: str, headers: dict[str, str]) -> list[str]:
    with counting(*_connections(client)) as statements:
        response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return statements


async def _february(client: Client, home: Household) -> int:
    month = await client.get(f"/child/{home.child_id}/allocation/2/2025", headers=home.family_headers)
    assert month.status_code == 200, month.text
    return int(month.json()["id"])


async def _schedule(client: Client, home: Household, allocation_id: int, day: int) -> list[str]:
    body = {
        "allocation_id": allocation_id,
        "provider_id": home.provider_id,
        "date": date(2025, 2, day).isoformat(),
        "type": "Half Day",
    }
    with counting(*_connections(client)) as statements:
        response = await client.post("/care-days", json=body, headers=home.family_headers)
    assert response.status_code == 201, response.text
    return statements


async def test_a_month_costs_the_same_statements_with_1_10_or_25_care_days(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await household(programme_client, minter, fake_clerk, "q")
    february = await _february(programme_client, home)
    path = f"/child/{home.child_id}/allocation/2/2025"
    counts: dict[int, int] = {}
    creates: list[int] = []
    for day in range(1, 26):
        creates.append(len(await _schedule(programme_client, home, february, day)))
        if day in (1, 10, 25):
            statements = await _statements(programme_client, path, home.family_headers)
            counts[day] = len(statements)

    assert counts == dict.fromkeys((1, 10, 25), MONTH_VIEW_STATEMENTS), statements
    assert set(creates) == {CREATE_CARE_DAY_STATEMENTS}, creates


async def test_a_page_of_families_costs_the_same_statements_for_1_or_12_families(
    programme_client: Client,
) -> None:
    await post_ok(programme_client, "/admin/families", family_body("one", children=2))
    one = await _statements(programme_client, "/admin/families?limit=200", OPERATOR)
    for i in range(11):
        await post_ok(programme_client, "/admin/families", family_body(f"f{i}", children=2))

    many = await _statements(programme_client, "/admin/families?limit=200", OPERATOR)

    assert len(one) == len(many) == FAMILY_PAGE_STATEMENTS, many
    page = (await programme_client.get("/admin/families?limit=200", headers=OPERATOR)).json()
    assert [len(item["children"]) for item in page["items"]] == [2] * 12


async def test_a_page_of_providers_costs_the_same_statements_for_1_or_6_providers(
    programme_client: Client,
) -> None:
    family = await post_ok(programme_client, "/admin/families", family_body("kids", children=2))
    child_ids = [child["id"] for child in family["children"]]
    await post_ok(programme_client, "/admin/providers", provider_body("one"))
    one = await _statements(programme_client, "/admin/providers?limit=200", OPERATOR)
    for i in range(5):
        provider = await post_ok(programme_client, "/admin/providers", provider_body(f"p{i}"))
        for child_id in child_ids:
            linked = await programme_client.put(
                f"/admin/providers/{provider['id']}/children/{child_id}", headers=OPERATOR
            )
            assert linked.status_code == 200, linked.text

    many = await _statements(programme_client, "/admin/providers?limit=200", OPERATOR)

    assert len(one) == len(many) == PROVIDER_PAGE_STATEMENTS, many
    page = (await programme_client.get("/admin/providers?limit=200", headers=OPERATOR)).json()
    assert [len(item["child_ids"]) for item in page["items"]] == [0] + [2] * 5


async def test_the_family_home_costs_the_same_statements_for_1_or_4_providers(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await household(programme_client, minter, fake_clerk, "fh")
    one = await _statements(programme_client, "/family", home.family_headers)
    for i in range(3):
        provider = await post_ok(programme_client, "/admin/providers", provider_body(f"more{i}"))
        linked = await programme_client.put(
            f"/admin/providers/{provider['id']}/children/{home.child_id}", headers=OPERATOR
        )
        assert linked.status_code == 200, linked.text
        # Each with payment settings (a card), so every provider's is_payable has a row behind it.
        set_up = await programme_client.post(
            f"/provider/{provider['id']}/initialize-payment", json={}, headers=OPERATOR
        )
        assert set_up.status_code == 200, set_up.text

    many = await _statements(programme_client, "/family", home.family_headers)

    assert len(one) == len(many) == FAMILY_HOME_STATEMENTS, many
    shown = (await programme_client.get("/family", headers=home.family_headers)).json()["providers"]
    assert len(shown) == 4
    assert [p["is_payable"] for p in shown].count(True) == 3
    assert [p["id"] for p in shown] == sorted(p["id"] for p in shown)


async def test_the_provider_home_costs_the_same_statements_for_1_or_2_children(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await household(programme_client, minter, fake_clerk, "ph")
    one = await _statements(programme_client, "/provider", home.provider_headers)
    other = await post_ok(programme_client, "/admin/families", family_body("second"))
    second_child = other["children"][0]["id"]
    linked = await programme_client.put(
        f"/admin/providers/{home.provider_id}/children/{second_child}", headers=OPERATOR
    )
    assert linked.status_code == 200, linked.text

    many = await _statements(programme_client, "/provider", home.provider_headers)

    assert len(one) == len(many) == PROVIDER_HOME_STATEMENTS, many
    children = (await programme_client.get("/provider", headers=home.provider_headers)).json()["children"]
    rated = {c["id"]: c["half_day_rate_cents"] for c in children}
    assert rated == {home.child_id: 4_000, second_child: None}
