"""Reclamation on real Postgres and the sandbox: a funded allocation two months old gives its unpaid
remainder back once (the row, the ledger, the sandbox's books, the month view on both read paths, a clean
ledger check), never before its time; the crash window — the money moved, the answer lost — and twenty
runs at once still reclaim once; a refusal is recorded and listed; the operator's command (dry run, one
month, a month too recent) and the 2nd-of-the-month schedule."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.jobs.cron import next_tick
from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from adapters.postgres.programme.month_reads import RawChildMonthReads
from adapters.postgres.raw_pool import RawPool
from domain.money.reclamation import reclamation_key
from domain.money.use_cases.reclamation import ReclaimStep, reclaim_allocation
from domain.programme.actors import Actor
from domain.programme.use_cases.reading import get_child_allocation
from entrypoints.cli import cli
from entrypoints.jobs import job_manager
from entrypoints.jobs.books import (
    RECLAIM_CRON,
    ReclamationIncomplete,
    reclaim_unpaid_allocations_job,
    reconcile,
)
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.scheduler_main import declared_schedules
from tests.fakes import FixedClock
from tests.integration.money.test_ledger_check import funded
from tests.integration.programme.conftest import NOW, Seeded, UowFactory

# Monday 3 March 2025, 09:00 in Denver: January is the month before last.
MARCH = datetime(2025, 3, 3, 16, 0, tzinfo=UTC)
FEBRUARY = datetime(2025, 2, 3, 16, 0, tzinfo=UTC)


def sandbox_of(context: JobContext) -> SandboxGateway:
    gateway = context.gateway
    assert isinstance(gateway, SandboxGateway)
    return gateway


async def rows(engine: AsyncEngine, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        return [dict(r) for r in (await connection.execute(text(sql), params)).mappings()]


async def reclaim_transfers(context: JobContext) -> list[Any]:
    return [t for t in await sandbox_of(context).transfers() if t.operation == "reclaim"]


async def run_reclaim(database_url: str, redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}

    def invoke() -> subprocess.CompletedProcess[str]:
        result = CliRunner().invoke(
            cli, ["payments", "reclaim", *args], env=environment, catch_exceptions=False
        )
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    return await asyncio.to_thread(invoke)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[RawPool]:
    pool = RawPool(database_url, size=2)
    yield pool
    await pool.close()


async def test_a_two_month_old_allocation_gives_its_unpaid_remainder_back_once(
    context: JobContext, clock: FixedClock, new_uow: UowFactory, engine: AsyncEngine, pool: RawPool
) -> None:
    seeded = await funded(new_uow, 100_000)
    programme_before = await sandbox_of(context).programme_balance()
    clock.current = MARCH

    result = await reclaim_unpaid_allocations_job()
    again = await reclaim_unpaid_allocations_job()

    assert (result["through"], result["reclaimed_cents"]) == ("2025-01", 100_000)
    assert [r["allocation_id"] for r in result["reclaimed"]] == [seeded.allocation.id]
    assert again["candidates"] == []
    assert again["reclaimed"] == []
    [row] = await rows(engine, "SELECT * FROM fund_reclamations")
    assert (row["allocation_id"], row["amount_cents"], row["status"], row["idempotency_key"]) == (
        seeded.allocation.id, 100_000, "reclaimed", reclamation_key(seeded.allocation.id),
    )  # fmt: skip
    [transfer] = await reclaim_transfers(context)
    assert (transfer.idempotency_key, transfer.amount_cents, transfer.transfer_id) == (
        row["idempotency_key"], 100_000, row["gateway_transfer_id"],
    )  # fmt: skip
    assert await sandbox_of(context).programme_balance() == programme_before + 100_000
    ledger = await rows(engine, "SELECT * FROM ledger_transactions WHERE kind = 'reclamation'")
    assert [(t["id"], t["record_id"]) for t in ledger] == [(row["ledger_transaction_id"], str(row["id"]))]

    family = Actor.family(seeded.family.id)
    for reads in (new_uow(), RawChildMonthReads(pool)):
        view = await get_child_allocation(
            reads, context.calendar, family, child_id=seeded.child.id, month=1, year=2025
        )
        figures = view.figures
        assert (figures.reclaimed_cents, figures.net_allocation_cents, figures.remaining_unpaid_cents) == (
            100_000, 0, 0,
        )  # fmt: skip
    report = await reconcile(context)
    assert report.clean, report.drift
    assert (report.totals.reclaimed_cents, report.totals.unpaid_remainder_cents) == (100_000, 0)


async def test_last_month_is_not_reclaimed_yet(
    context: JobContext, clock: FixedClock, new_uow: UowFactory, database_url: str, redis_url: str
) -> None:
    seeded = await funded(new_uow)
    clock.current = FEBRUARY

    assert (await reclaim_unpaid_allocations_job())["candidates"] == []
    with pytest.raises(Exception, match="two or more months"):
        await reclaim_allocation(
            context.money_unit_of_work(), context.gateway, context.calendar, seeded.allocation.id
        )
    assert await reclaim_transfers(context) == []


async def test_a_crash_after_the_transfer_never_reclaims_twice(
    context: JobContext, clock: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await funded(new_uow, 80_000)
    clock.current = MARCH
    await sandbox_of(context).fail_next(Fault.ERROR_AFTER_MOVE, operation="reclaim")

    with pytest.raises(ReclamationIncomplete):
        await reclaim_unpaid_allocations_job()

    [pending] = await rows(engine, "SELECT * FROM fund_reclamations")
    assert (pending["status"], pending["attempts"], pending["amount_cents"]) == ("pending", 1, 80_000)
    assert "answer was lost" in pending["last_error"]
    assert len(await reclaim_transfers(context)) == 1  # the money did move

    result = await reclaim_unpaid_allocations_job()  # the job's retry

    assert result["reclaimed_cents"] == 80_000
    [transfer] = await reclaim_transfers(context)
    [done] = await rows(engine, "SELECT * FROM fund_reclamations")
    assert (done["status"], done["gateway_transfer_id"]) == ("reclaimed", transfer.transfer_id)
    assert len(await rows(engine, "SELECT id FROM ledger_transactions WHERE kind = 'reclamation'")) == 1
    assert (await reconcile(context)).clean
    assert seeded.allocation.id == done["allocation_id"]


async def test_twenty_runs_at_once_reclaim_once(
    context: JobContext, clock: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await funded(new_uow, 50_000)
    clock.current = MARCH

    results = await asyncio.gather(
        *(
            reclaim_allocation(
                context.money_unit_of_work(), context.gateway, context.calendar, seeded.allocation.id
            )
            for _ in range(20)
        )
    )

    steps = sorted(r.step for r in results)
    assert steps.count(ReclaimStep.RECLAIMED) == 1
    assert set(steps) == {ReclaimStep.RECLAIMED, ReclaimStep.ALREADY_RECLAIMED}
    assert len(await reclaim_transfers(context)) == 1
    assert len(await rows(engine, "SELECT id FROM ledger_transactions WHERE kind = 'reclamation'")) == 1
    assert (await reconcile(context)).clean


async def test_a_refusal_is_recorded_listed_and_made_good_by_the_next_run(
    context: JobContext,
    clock: FixedClock,
    new_uow: UowFactory,
    engine: AsyncEngine,
    database_url: str,
    redis_url: str,
) -> None:
    seeded = await funded(new_uow)
    clock.current = MARCH
    await sandbox_of(context).fail_next(Fault.DECLINED, operation="reclaim")

    # The command runs on the real clock (December 2026): January 2025 is long reclaimable.
    run = await run_reclaim(database_url, redis_url, "--month", "2025-01", "--json")

    assert run.returncode == 1
    [failed] = json.loads(run.stdout)["failed"]
    assert (failed["allocation_id"], failed["code"]) == (seeded.allocation.id, "gateway_declined")
    [row] = await rows(engine, "SELECT status, attempts, last_error FROM fund_reclamations")
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert await reclaim_transfers(context) == []

    retried = await run_reclaim(database_url, redis_url, "--month", "2025-01")
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "  reclaimed: 1, $1,000.00" in retried.stdout.splitlines()


async def test_the_operators_command_dry_run_and_refusals(
    context: JobContext, new_uow: UowFactory, database_url: str, redis_url: str
) -> None:
    seeded: Seeded = await funded(new_uow, 42_000)
    await funded(new_uow, 0)  # nothing funded, nothing to reclaim

    dry = await run_reclaim(database_url, redis_url, "--dry-run", "--json")
    too_recent = await run_reclaim(database_url, redis_url, "--month", "2026-11")
    not_a_month = await run_reclaim(database_url, redis_url, "--month", "November")

    assert dry.returncode == 0, dry.stderr
    [candidate] = json.loads(dry.stdout)["candidates"]
    assert (candidate["allocation_id"], candidate["unpaid_remainder_cents"]) == (seeded.allocation.id, 42_000)
    assert await reclaim_transfers(context) == []
    assert too_recent.returncode == 2
    assert "latest: 2026-10" in too_recent.stderr
    assert not_a_month.returncode == 2


def test_reclamation_is_a_system_schedule_on_the_2nd_in_business_time() -> None:
    definition = job_manager.definition("money.reclaim_unpaid_allocations")
    assert definition.cron == RECLAIM_CRON == "0 8 2 * *"
    assert definition.cron_timezone is None  # the scheduler reads system crons in BUSINESS_TIMEZONE
    declared = {(d.job_name, d.cron, d.timezone) for d in declared_schedules()}
    assert ("money.reclaim_unpaid_allocations", RECLAIM_CRON, None) in declared
    assert ("money.check_books", "15 2 * * *", None) in declared
    # 08:00 on the 2nd in Denver is 15:00 UTC in winter, 14:00 in summer.
    assert next_tick(RECLAIM_CRON, "America/Denver", NOW) == datetime(2025, 1, 2, 15, 0, tzinfo=UTC)
    assert next_tick(RECLAIM_CRON, "America/Denver", datetime(2025, 6, 5, tzinfo=UTC)) == datetime(
        2025, 7, 2, 14, 0, tzinfo=UTC
    )
