"""Money's jobs in a real `cap-portal worker` on the sandbox gateway: a family's onboarding opens its
wallet and funds both new allocations (our ledger and the sandbox's books agree), and a gateway that
fails at funding — a timeout, and a transfer whose answer was lost after the money moved, both asked
for through ``POST /sandbox/faults`` — is retried by the worker until each allocation is funded exactly
once."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.money.sandbox_gateway import SandboxGateway
from tests.e2e.programme_support import family_body, post_ok
from tests.fake_clerk import SECRET_KEY, FakeClerk
from tests.infrastructure import asyncpg_dsn
from tests.job_processes import eventually, process_env, start, stop

Client = AsyncTestClient[Litestar]


@pytest.fixture
def run_worker(
    migrated_database_url: str, redis_url: str, fake_clerk: FakeClerk, redis: Redis
) -> Iterator[Any]:
    # JOB_MAX_BACKOFF_SECONDS: the worker retries a money job after about a second, not 30 s or more.
    env = process_env(
        migrated_database_url,
        redis_url,
        CLERK_SECRET_KEY=SECRET_KEY,
        CLERK_API_URL=fake_clerk.api_url,
        JOB_MAX_BACKOFF_SECONDS="1",
    )
    started: list[subprocess.Popen[bytes]] = []
    yield lambda: started.append(start("worker", env, "--threads", "2"))
    for process in started:
        assert stop(process) == 0


@pytest.fixture
async def sandbox(database_url: str) -> AsyncIterator[SandboxGateway]:
    """The sandbox the worker uses (its books are in the test database), for the test's controls."""
    engine = build_engine(database_url, pool_size=2)
    sessions: async_sessionmaker[AsyncSession] = build_session_factory(engine)
    yield SandboxGateway(sessions)
    await engine.dispose()


async def _fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def _onboarded_family(client: Client, fake_clerk: FakeClerk, tag: str) -> str:
    family = await post_ok(client, "/admin/families", family_body(tag))
    fake_clerk.add_user(f"user_{tag}", f"ana.{tag}@x.org")
    done = await post_ok(
        client, "/family/onboard", {"clerk_user_id": f"user_{tag}", "family_id": family["id"]}, 200
    )
    assert done["allocations_created"] == 2  # January (prorated) and February, by the app's fixed clock
    return str(family["id"])


async def _all_funded(database_url: str, family_id: str) -> list[asyncpg.Record] | None:
    rows = await _fetch(
        database_url,
        "SELECT a.id, a.allocation_cents, f.status, f.attempts, f.gateway_transfer_id"
        " FROM month_allocations a JOIN children c ON c.id = a.child_id"
        " LEFT JOIN allocation_fundings f ON f.allocation_id = a.id"
        " WHERE c.family_id = $1 ORDER BY a.id",
        family_id,
    )
    return rows if rows and all(row["status"] == "funded" for row in rows) else None


async def _books_agree(
    database_url: str, sandbox: SandboxGateway, family_id: str, rows: list[asyncpg.Record]
) -> None:
    """Each allocation moved once under its own key, and the family's wallet holds the same in both books."""
    transfers = {t.idempotency_key: t for t in await sandbox.transfers()}
    assert len(transfers) == len(rows)
    for row in rows:
        transfer = transfers[f"allocation:{row['id']}:funding"]
        assert (transfer.transfer_id, transfer.amount_cents) == (
            row["gateway_transfer_id"],
            row["allocation_cents"],
        )
    [ledger] = await _fetch(
        database_url,
        "SELECT balance_cents FROM ledger_accounts WHERE kind = 'family_wallet' AND owner_id = $1",
        family_id,
    )
    [wallet] = await _fetch(
        database_url,
        "SELECT s.gateway_user_id FROM family_payment_settings s WHERE s.family_id = $1",
        family_id,
    )
    gateway_balance = (await sandbox.wallet_state(wallet["gateway_user_id"])).balance_cents
    assert (
        ledger["balance_cents"] == gateway_balance == sum(row["allocation_cents"] for row in rows) == 180_000
    )
    counted = await _fetch(
        database_url, "SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'allocation_funding'"
    )
    assert counted[0]["n"] == len(rows)


async def test_onboarding_opens_the_wallet_and_funds_each_allocation_once(
    programme_client: Client,
    database_url: str,
    fake_clerk: FakeClerk,
    sandbox: SandboxGateway,
    run_worker: Any,
) -> None:
    family_id = await _onboarded_family(programme_client, fake_clerk, "funded")
    run_worker()

    rows = await eventually(
        lambda: _all_funded(database_url, family_id), seconds=60, what="both allocations funded"
    )

    await _books_agree(database_url, sandbox, family_id, rows)
    jobs = await _fetch(database_url, "SELECT status FROM jobs WHERE name = 'money.fund_allocation'")
    assert [job["status"] for job in jobs] == ["finished", "finished"]


async def test_a_gateway_down_at_funding_is_retried_by_the_worker_and_funds_once(
    programme_client: Client,
    database_url: str,
    fake_clerk: FakeClerk,
    sandbox: SandboxGateway,
    run_worker: Any,
) -> None:
    # Asked for as an operator would, through the sandbox's API-key route.
    for fault in ("timeout", "error_after_move"):
        body = {"fault": fault, "operation": "fund_family_wallet"}
        await post_ok(programme_client, "/sandbox/faults", body)
    family_id = await _onboarded_family(programme_client, fake_clerk, "retried")
    run_worker()

    rows = await eventually(
        lambda: _all_funded(database_url, family_id), seconds=60, what="both allocations funded"
    )

    await _books_agree(database_url, sandbox, family_id, rows)
    assert await _fetch(database_url, "SELECT * FROM sandbox_faults") == []  # both failures happened
    # Two failed attempts between them (at least: the wallet may also have been opened after a try).
    assert sum(row["attempts"] for row in rows) >= 4
    jobs = await _fetch(
        database_url, "SELECT status, attempts FROM jobs WHERE name = 'money.fund_allocation'"
    )
    assert [job["status"] for job in jobs] == ["finished", "finished"]
    assert sum(job["attempts"] for job in jobs) >= 4
