"""`cap-portal ledger check` and the nightly job on real Postgres, with the sandbox and a fake Chek server:
clean books exit 0 with a summary; each kind of drift (the gateway's balance, the records beside the
ledger, a funding the ledger does not match, a transaction that bypassed the ledger's triggers, a gateway
that does not answer) exits 1 naming the record, and reaches Sentry as one captured message."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.chek.gateway import ChekGateway, ChekSettings
from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from domain.money.reconciliation import DriftRule
from entrypoints.cli import cli
from entrypoints.jobs import job_manager
from entrypoints.jobs.books import CHECK_BOOKS_CRON, check_books_job, reconcile
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.money import fund_allocation_job, open_family_wallet_job
from tests.fake_chek import ACCOUNT_ID, API_KEY, PROGRAM_ID, WRITE_KEY, FakeChek, running_fake_chek
from tests.fake_sentry import FakeSentry, running_fake_sentry
from tests.integration.money.test_allocation_funding import event
from tests.integration.programme.conftest import Seeded, UowFactory, seed


async def funded(new_uow: UowFactory, allocation_cents: int = 100_000) -> Seeded:
    """A funded allocation of a family with a wallet of its own (seeded families share one email, and
    the gateway knows wallets by email: see the test of a shared gateway user)."""
    seeded = await seed(new_uow(), allocation_cents=allocation_cents)
    async with new_uow() as uow:
        guardian = replace(seeded.family.guardians[0], email=f"{seeded.family.id}@example.org")
        await uow.families.save(replace(seeded.family, guardians=(guardian, *seeded.family.guardians[1:])))
        await uow.commit()
    assert (await open_family_wallet_job(seeded.family.id))["opened"]
    expected = "funded" if allocation_cents else "nothing_to_fund"
    assert (await fund_allocation_job(**event(seeded)))["status"] == expected
    return seeded


async def ledger_check(
    database_url: str, redis_url: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING", **env}

    def invoke() -> subprocess.CompletedProcess[str]:
        result = CliRunner().invoke(cli, ["ledger", "check", *args], env=environment, catch_exceptions=False)
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    return await asyncio.to_thread(invoke)


async def execute(engine: AsyncEngine, *statements: str) -> None:
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


async def test_clean_books_exit_0_with_a_summary(
    context: JobContext, new_uow: UowFactory, database_url: str, redis_url: str
) -> None:
    await funded(new_uow, 100_000)
    await funded(new_uow, 60_000)

    run = await ledger_check(database_url, redis_url)

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == [
        "Ledger check: clean",
        "  allocations: 2, $1,600.00 allocated, $1,600.00 funded",
        "  = paid $0.00 + reclaimed $0.00 + unpaid remainder $1,600.00",
        "  ledger transactions: 2",
        "  wallets compared with the gateway: 2",
    ]
    as_json = json.loads((await ledger_check(database_url, redis_url, "--json")).stdout)
    assert (as_json["clean"], as_json["allocations"], as_json["drift"]) == (True, 2, [])


async def test_a_gateway_balance_that_differs_from_the_ledger_exits_1_naming_the_wallet(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine, database_url: str, redis_url: str
) -> None:
    seeded = await funded(new_uow)
    await execute(
        engine,
        "UPDATE sandbox_wallets SET balance_cents = balance_cents + 1 WHERE user_id = "
        f"(SELECT gateway_user_id FROM family_payment_settings WHERE family_id = '{seeded.family.id}')",
    )

    run = await ledger_check(database_url, redis_url, "--json")

    assert run.returncode == 1
    [drift] = json.loads(run.stdout)["drift"]
    assert (drift["rule"], drift["record"]) == ("gateway_balance", f"family_wallet:{seeded.family.id}")
    assert (drift["details"]["ledger_cents"], drift["details"]["gateway_cents"]) == (100_000, 100_001)


async def test_records_that_disagree_with_the_ledger_are_drift(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    shown = await funded(new_uow)
    unfunded_on_paper = await funded(new_uow)
    await execute(
        engine,
        f"UPDATE month_allocations SET reclaimed_cents = 500 WHERE id = {shown.allocation.id}",
        "UPDATE allocation_fundings SET status = 'pending', gateway_transfer_id = NULL,"
        f" ledger_transaction_id = NULL WHERE allocation_id = {unfunded_on_paper.allocation.id}",
    )

    report = await reconcile(context)

    assert sorted((d.rule, d.record) for d in report.drift) == [
        (DriftRule.FUNDING_AMOUNT, f"allocation:{unfunded_on_paper.allocation.id}"),
        (DriftRule.RECLAIMED_RECORDS, f"allocation:{shown.allocation.id}"),
    ]


async def test_a_transaction_that_bypassed_the_ledger_triggers_is_found(
    context: JobContext, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await funded(new_uow)
    # As a hand-written fix with the triggers off would: one entry, no balance kept, nothing refused.
    await execute(
        engine,
        "SET LOCAL session_replication_role = replica",
        "INSERT INTO ledger_transactions (kind, record_type, record_id, idempotency_key)"
        " VALUES ('correction', 'correction', 'x', 'by-hand')",
        "INSERT INTO ledger_entries (transaction_id, account_id, amount_cents, balance_after_cents)"
        " SELECT t.id, a.id, 250, 0 FROM ledger_transactions t, ledger_accounts a"
        f" WHERE t.idempotency_key = 'by-hand' AND a.owner_id = '{seeded.family.id}'",
    )

    report = await reconcile(context)

    found = {(d.rule, d.record) for d in report.drift}
    transaction_id = await _scalar(
        engine, "SELECT id FROM ledger_transactions WHERE idempotency_key = 'by-hand'"
    )
    assert (DriftRule.LEDGER, f"transaction:{transaction_id}") in found
    assert (DriftRule.LEDGER, f"family_wallet:{seeded.family.id}") in found  # its balance is not its entries


async def test_two_families_on_one_gateway_user_are_reported(
    context: JobContext, new_uow: UowFactory
) -> None:
    first = await seed(new_uow())
    second = await seed(new_uow())  # the same guardian email: the gateway gives both one wallet
    for seeded in (first, second):
        assert (await open_family_wallet_job(seeded.family.id))["opened"]

    report = await reconcile(context)

    assert sorted((d.rule, d.record) for d in report.drift) == sorted(
        (DriftRule.GATEWAY_USER_SHARED, f"family_wallet:{s.family.id}") for s in (first, second)
    )


async def test_a_gateway_that_does_not_answer_proves_nothing(
    context: JobContext, new_uow: UowFactory, database_url: str, redis_url: str
) -> None:
    seeded = await funded(new_uow)
    sandbox = context.gateway
    assert isinstance(sandbox, SandboxGateway)
    await sandbox.fail_next(Fault.TIMEOUT, operation="wallet_state")

    run = await ledger_check(database_url, redis_url)

    assert run.returncode == 1
    assert f"  gateway_unchecked family_wallet:{seeded.family.id}" in run.stdout


async def test_the_nightly_job_is_a_system_schedule_and_reports_clean_books(
    context: JobContext, new_uow: UowFactory
) -> None:
    await funded(new_uow)
    definition = job_manager.definition("money.check_books")
    assert definition.cron == CHECK_BOOKS_CRON == "15 2 * * *"

    result = await check_books_job()

    assert (result["clean"], result["allocations"], result["wallets"]) == (True, 1, 1)


# --- Chek (a local fake server) -----------------------------------------------------------------------


@pytest.fixture
def fake_chek() -> Iterator[FakeChek]:
    with running_fake_chek() as fake:
        yield fake


@pytest.fixture
async def on_chek(context: JobContext, fake_chek: FakeChek) -> AsyncIterator[JobContext]:
    sandbox = context.payment_gateway
    chek = ChekGateway(
        ChekSettings(fake_chek.url, ACCOUNT_ID, PROGRAM_ID, API_KEY, WRITE_KEY, timeout_seconds=2)
    )
    context.payment_gateway = chek
    yield context
    await chek.close()
    context.payment_gateway = sandbox


async def test_on_chek_the_books_agree_until_a_wallet_differs_or_chek_is_down(
    on_chek: JobContext, fake_chek: FakeChek, new_uow: UowFactory
) -> None:
    seeded = await funded(new_uow, 75_000)
    assert (await reconcile(on_chek)).clean

    [user] = fake_chek.users.values()
    user["balance"] -= 1
    [drift] = (await reconcile(on_chek)).drift
    assert (drift.rule, drift.record, drift.details["gateway_cents"]) == (
        DriftRule.GATEWAY_BALANCE,
        f"family_wallet:{seeded.family.id}",
        74_999,
    )

    fake_chek.down = True
    [unchecked] = (await reconcile(on_chek)).drift
    assert unchecked.rule is DriftRule.GATEWAY_UNCHECKED


# --- Sentry (a local fake) ----------------------------------------------------------------------------


@pytest.fixture
def fake_sentry() -> Iterator[FakeSentry]:
    with running_fake_sentry() as server:
        yield server


async def operator_check(
    database_url: str, redis_url: str, tmp: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as an operator runs it: Sentry started there (its Litestar
    integration patches Litestar for the whole process) never touches this test process."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        **env,
    }
    command = [sys.executable, "-m", "entrypoints.cli", "ledger", "check"]
    return await asyncio.to_thread(
        subprocess.run, command, env=environment, cwd=tmp, capture_output=True, text=True, timeout=120
    )


async def test_drift_reaches_sentry_as_one_message_with_the_records_and_clean_books_send_nothing(
    context: JobContext,
    new_uow: UowFactory,
    engine: AsyncEngine,
    database_url: str,
    redis_url: str,
    fake_sentry: FakeSentry,
    tmp_path: Path,
) -> None:
    seeded = await funded(new_uow)
    clean = await operator_check(database_url, redis_url, tmp_path, SENTRY_DSN=fake_sentry.dsn)
    assert clean.returncode == 0
    assert fake_sentry.messages == []

    await execute(
        engine, f"UPDATE month_allocations SET reclaimed_cents = 1 WHERE id = {seeded.allocation.id}"
    )
    run = await operator_check(database_url, redis_url, tmp_path, SENTRY_DSN=fake_sentry.dsn)

    assert run.returncode == 1
    [event_sent] = fake_sentry.messages
    assert event_sent["level"] == "error"
    message = event_sent.get("message") or event_sent["logentry"]["message"]
    assert message.startswith("Ledger drift: 1 problem in 1 allocations")
    records = event_sent["contexts"]["drift"]["records"]
    assert records == [
        f"reclaimed_records allocation:{seeded.allocation.id} ledger_cents=0 reclamation_rows_cents=0"
        " allocation_shows_cents=1"
    ]


async def _scalar(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar()
