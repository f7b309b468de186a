"""`cap-portal payments …`, run as an operator would (a real process on real Postgres and Redis, the
sandbox gateway): wallets onboarded (a dry run asks the gateway nothing; a family the gateway cannot
take is listed, exit 1), unfunded allocations listed and funded once, a ledger shown, the sandbox's
controls making a funding fail — and refused on any other gateway."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.cli import cli
from tests.integration.programme.conftest import UowFactory, a_provider, seed


async def payments(
    database_url: str, redis_url: str, tmp: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """In this process through the real command group (an operator's process costs seconds of start-up
    per call; the first test also runs one, to show the lazy entry point reaches these commands)."""
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING", **env}
    runner = CliRunner()

    def invoke() -> subprocess.CompletedProcess[str]:
        result = runner.invoke(cli, ["payments", *args], env=environment, catch_exceptions=False)
        return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)

    return await asyncio.to_thread(invoke)


async def operator_process(
    database_url: str, redis_url: str, tmp: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "entrypoints.cli", "payments", *args]
    return await asyncio.to_thread(
        subprocess.run, command, env=environment, cwd=tmp, capture_output=True, text=True, timeout=120
    )


async def _scalar(engine: AsyncEngine, sql: str) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar()


async def test_wallets_are_onboarded_once_and_a_family_the_gateway_cannot_take_is_listed(
    database_url: str, redis_url: str, tmp_path: Path, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await seed(new_uow())
    async with new_uow() as uow:
        guardian = replace(seeded.family.guardians[0], email=None)
        await uow.families.save(replace(seeded.family, guardians=(guardian, *seeded.family.guardians[1:])))
        await uow.providers.add(a_provider(email="care@example.org", first_name="Rosa", last_name="Park"))
        await uow.commit()

    dry = await payments(database_url, redis_url, tmp_path, "onboard", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert len(json.loads(dry.stdout)["missing"]) == 3  # the family and both providers
    assert await _scalar(engine, "SELECT count(*) FROM sandbox_wallets WHERE email IS NOT NULL") == 0

    run = await operator_process(database_url, redis_url, tmp_path, "onboard")

    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[:3] == ["Wallets", "  opened: 1", "  failed: 2"]
    assert f"    family {seeded.family.id}: wallet_details_invalid:" in run.stdout
    assert f"    provider {seeded.provider.id}: wallet_details_invalid:" in run.stdout  # no email either
    assert "Wallets" in run.stderr  # the progress bar
    assert await _scalar(engine, "SELECT count(*) FROM sandbox_wallets WHERE email IS NOT NULL") == 1
    kept = await _scalar(engine, "SELECT last_error FROM family_payment_settings")
    assert "email" in kept

    again = await payments(database_url, redis_url, tmp_path, "onboard", "--no-families", "--json")
    assert again.returncode == 1
    assert json.loads(again.stdout)["opened"] == 0
    none = await payments(database_url, redis_url, tmp_path, "onboard", "--no-families", "--no-providers")
    assert none.returncode == 2


async def test_unfunded_allocations_are_listed_funded_once_and_the_ledger_shows_it(
    database_url: str, redis_url: str, tmp_path: Path, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await seed(new_uow(), allocation_cents=80_000)
    allocation = seeded.allocation.id

    listed = await payments(database_url, redis_url, tmp_path, "unfunded")
    assert listed.returncode == 1
    assert listed.stdout.splitlines() == [
        "Unfunded allocations: 1",
        f"  allocation {allocation} family {seeded.family.id} $800.00 (not tried yet)",
    ]

    without_wallet = await payments(database_url, redis_url, tmp_path, "fund", "--json")
    assert without_wallet.returncode == 1
    [failed] = json.loads(without_wallet.stdout)["failed"]
    assert (failed["allocation_id"], failed["code"]) == (allocation, "family_wallet_missing")
    listed = await payments(database_url, redis_url, tmp_path, "unfunded", "--json")
    [row] = json.loads(listed.stdout)
    assert (row["attempts"], row["status"]) == (1, "pending")
    assert "no wallet" in row["last_error"]

    assert (await payments(database_url, redis_url, tmp_path, "onboard", "--no-providers")).returncode == 0
    dry = await payments(database_url, redis_url, tmp_path, "fund", "--dry-run")
    assert dry.returncode == 0
    assert dry.stdout.startswith("Dry run: no money moved.\nUnfunded allocations: 1")
    assert await _scalar(engine, "SELECT count(*) FROM sandbox_transfers") == 0

    funded = await payments(database_url, redis_url, tmp_path, "fund", "--allocation", str(allocation))
    assert funded.returncode == 0, funded.stderr
    transfer = await _scalar(engine, "SELECT transfer_id FROM sandbox_transfers")
    assert funded.stdout.splitlines()[:3] == [
        "Funding",
        "  funded: 1",
        f"    allocation {allocation}: funded $800.00 (transfer {transfer})",
    ]
    again = await payments(
        database_url, redis_url, tmp_path, "fund", "--allocation", str(allocation), "--json"
    )
    assert json.loads(again.stdout)["already_settled"] == [allocation]
    assert await _scalar(engine, "SELECT count(*) FROM sandbox_transfers") == 1
    assert (await payments(database_url, redis_url, tmp_path, "unfunded")).returncode == 0

    ledger = await payments(database_url, redis_url, tmp_path, "ledger", "--family", seeded.family.id)
    assert ledger.returncode == 0, ledger.stderr
    [heading, line] = ledger.stdout.splitlines()
    assert heading == f"family_wallet:{seeded.family.id}: balance $800.00"
    assert f"allocation_funding allocation:{allocation} +$800.00 → $800.00" in line
    provider = await payments(
        database_url, redis_url, tmp_path, "ledger", "--provider", seeded.provider.id, "--json"
    )
    assert json.loads(provider.stdout) == {
        f"provider_wallet:{seeded.provider.id}": {"balance_cents": 0, "lines": []},
        f"provider_payout:{seeded.provider.id}": {"balance_cents": 0, "lines": []},
    }
    both = await payments(database_url, redis_url, tmp_path, "ledger", "--family", "a", "--provider", "b")
    assert both.returncode == 2
    bad = await payments(database_url, redis_url, tmp_path, "ledger", "--family", "not-an-id")
    assert (bad.returncode, bad.stderr.strip()) == (
        2,
        "cap-portal: 'not-an-id' is not a family or provider id",
    )


async def test_the_sandbox_controls_make_the_next_funding_fail_and_only_on_the_sandbox(
    database_url: str, redis_url: str, tmp_path: Path, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await seed(new_uow())
    assert (await payments(database_url, redis_url, tmp_path, "onboard", "--no-providers")).returncode == 0

    failing = await payments(
        database_url, redis_url, tmp_path, "sandbox", "fail", "timeout", "--operation", "fund_family_wallet"
    )
    assert failing.returncode == 0, failing.stderr
    assert failing.stdout.strip() == "The sandbox's next call to fund_family_wallet will fail: timeout."
    shown = json.loads(
        (await payments(database_url, redis_url, tmp_path, "sandbox", "show", "--json")).stdout
    )
    assert shown["faults"] == [{"fault": "timeout", "operation": "fund_family_wallet", "remaining": 1}]

    run = await payments(database_url, redis_url, tmp_path, "fund")
    assert run.returncode == 1
    assert (
        f"allocation {seeded.allocation.id}: gateway_unavailable: Sandbox: fund_family_wallet timed out"
        in run.stdout
    )
    assert (await payments(database_url, redis_url, tmp_path, "fund")).returncode == 0  # the fault is spent
    assert await _scalar(engine, "SELECT count(*) FROM sandbox_transfers") == 1

    await payments(database_url, redis_url, tmp_path, "sandbox", "fail", "declined", "--times", "3")
    cleared = await payments(database_url, redis_url, tmp_path, "sandbox", "clear")
    assert cleared.stdout.strip() == "Cleared 1 pending sandbox fault."
    wrong = await payments(database_url, redis_url, tmp_path, "sandbox", "fail", "exploded")
    assert wrong.returncode == 2

    chek = {
        "PAYMENT_GATEWAY": "chek",
        "CHEK_BASE_URL": "http://127.0.0.1:9",
        "CHEK_ACCOUNT_ID": "acct",
        "CHEK_PROGRAM_ID": "prog",
        "CHEK_API_KEY": "key",
        "CHEK_WRITE_KEY": "write",
    }
    refused = await payments(database_url, redis_url, tmp_path, "sandbox", "clear", **chek)
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        == "cap-portal: the sandbox controls need PAYMENT_GATEWAY=sandbox (this is chek)"
    )
