"""A household that can pay: the family's wallet open and January funded, the provider paid by card,
all on the sandbox gateway (its books in the test database), with the jobs' use cases run here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.books import PostgresBooks
from adapters.postgres.money.sandbox_gateway import SandboxGateway
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from domain.money.ledger import Account
from domain.money.use_cases.funding import fund_allocation
from domain.money.use_cases.reconciliation import check_books
from domain.money.use_cases.wallets import open_family_wallet
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import build_job_context, use_job_context
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests.e2e.programme_support import NOW, Client, Household, app_at, household
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

JANUARY_CENTS = 60_000  # the child's prorated first allocation (programme_support.family_body)


def days_from(first: date, count: int) -> list[date]:
    """``count`` weekdays from ``first`` (the calendar's open weeks)."""
    found: list[date] = []
    day = first
    while len(found) < count:
        if day.weekday() < 5:
            found.append(day)
        day = date.fromordinal(day.toordinal() + 1)
    return found


async def payable_household(
    client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    tag: str,
    **household_options: Any,
) -> Household:
    home = await household(client, minter, fake_clerk, tag, **household_options)
    card = await client.post(
        "/provider/initialize-my-payment", json={"payment_method": "card"}, headers=home.provider_headers
    )
    assert card.status_code == 200, card.text
    gateway, uow = SandboxGateway(sessions), SqlAlchemyMoneyUnitOfWork(sessions)
    await open_family_wallet(uow, gateway, home.family_id)
    await fund_allocation(uow, gateway, FixedClock(NOW), home.allocation_id)
    return home


async def schedule(client: Client, home: Household, days: list[date], kind: str = "Half Day") -> list[int]:
    ids = []
    for day in days:
        body = {"allocation_id": home.allocation_id, "provider_id": home.provider_id, "date": day.isoformat()}
        response = await client.post("/care-days", json=body | {"type": kind}, headers=home.family_headers)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def submit_path(home: Household, month: int = 1, year: int = 2025) -> str:
    return f"/child/{home.child_id}/provider/{home.provider_id}/allocation/{month}/{year}/submit"


async def month_view(client: Client, home: Household) -> dict[str, Any]:
    response = await client.get(f"/child/{home.child_id}/allocation/1/2025", headers=home.family_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@asynccontextmanager
async def overlapping_client_at(settings: Settings, clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    """As tests.e2e.concurrency.overlapping_client, on the fixed clock (the household's January)."""
    app = app_at(settings, clock)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # Litestar's ASGI types are narrower
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client, app.lifespan():
        yield client


@asynccontextmanager
async def worker_jobs(settings: Settings, clock: FixedClock) -> AsyncIterator[None]:
    """Job functions called in this block run as the worker runs them (its context, on ``clock``)."""
    runtime = build_job_runtime(settings, job_manager)
    context = build_job_context(settings, runtime.queue, clock=clock)
    use_job_context(context)
    try:
        yield
    finally:
        use_job_context(None)
        await context.close()
        runtime.close()


async def scalar(sessions: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> Any:
    async with sessions() as session:
        return (await session.execute(text(sql), params)).scalar_one()


async def ledger_is_balanced(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Every transaction sums to zero, and so do all balances; and ``cap-portal ledger check``'s own
    reconciliation finds no drift (allocation = paid + reclaimed + remainder, wallets = the gateway)."""
    report = await check_books(PostgresBooks(sessions), SandboxGateway(sessions))
    assert report.drift == (), report.drift
    unbalanced = await scalar(
        sessions,
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries GROUP BY transaction_id"
        " HAVING sum(amount_cents) <> 0) AS t",
    )
    total = await scalar(sessions, "SELECT coalesce(sum(balance_cents), 0) FROM ledger_accounts")
    return bool(unbalanced == 0 and total == 0)


async def balance(sessions: async_sessionmaker[AsyncSession], account: Account) -> int:
    uow = SqlAlchemyMoneyUnitOfWork(sessions)
    async with uow:
        return await uow.ledger.balance(account)
