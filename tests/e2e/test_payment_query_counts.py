"""Paying costs the same statements whatever it pays: a submit of 1 or 25 care days, a history of 1 or
several payments (counted on the app's engine and raw pool, the sandbox gateway's books included)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.sandbox_gateway import SandboxGateway
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from domain.money.use_cases.funding import fund_allocation
from tests.e2e.payment_support import payable_household, submit_path
from tests.e2e.programme_support import NOW, Client, Household
from tests.e2e.test_query_counts import _connections
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.statement_counts import counting
from tests.tokens import TokenMinter


async def _february(
    client: Client, home: Household, sessions: async_sessionmaker[AsyncSession], days: int
) -> None:
    month = await client.get(f"/child/{home.child_id}/allocation/2/2025", headers=home.family_headers)
    february = int(month.json()["id"])
    uow = SqlAlchemyMoneyUnitOfWork(sessions)
    await fund_allocation(uow, SandboxGateway(sessions), FixedClock(NOW), february)
    for day in range(1, days + 1):
        body = {"allocation_id": february, "provider_id": home.provider_id, "type": "Half Day"}
        body["date"] = date(2025, 2, day).isoformat()
        response = await client.post("/care-days", json=body, headers=home.family_headers)
        assert response.status_code == 201, response.text


async def _submit(client: Client, home: Household) -> list[str]:
    with counting(*_connections(client)) as statements:
        response = await client.post(submit_path(home, month=2), headers=home.family_headers)
    assert response.status_code == 200, response.text
    return statements


async def _history(client: Client, path: str, headers: dict[str, str]) -> list[str]:
    with counting(*_connections(client)) as statements:
        response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return statements


async def test_a_submit_of_1_or_25_days_and_a_history_of_1_or_3_payments_cost_the_same(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    one = await payable_household(programme_client, minter, fake_clerk, sessions, "q1")
    many = await payable_household(programme_client, minter, fake_clerk, sessions, "q25")
    await _february(programme_client, one, sessions, 1)
    await _february(programme_client, many, sessions, 25)

    for_one, for_many = await _submit(programme_client, one), await _submit(programme_client, many)
    assert len(for_one) == len(for_many), (for_one, for_many)

    history_one = await _history(programme_client, "/family/payments", one.family_headers)
    for day in (26, 27):  # two more payments for the second family
        body = {"allocation_id": 0, "provider_id": many.provider_id, "type": "Half Day"}
        month = await programme_client.get(
            f"/child/{many.child_id}/allocation/2/2025", headers=many.family_headers
        )
        body |= {"allocation_id": month.json()["id"], "date": date(2025, 2, day).isoformat()}
        created = await programme_client.post("/care-days", json=body, headers=many.family_headers)
        assert created.status_code == 201, created.text
        await _submit(programme_client, many)
    history_many = await _history(programme_client, "/family/payments", many.family_headers)
    paid = (await programme_client.get("/family/payments", headers=many.family_headers)).json()
    assert paid["total_count"] == 3
    assert len(history_one) == len(history_many), history_many
    provider_one = await _history(programme_client, "/provider/payments", one.provider_headers)
    provider_many = await _history(programme_client, "/provider/payments", many.provider_headers)
    assert len(provider_one) == len(provider_many)
