"""`cap-portal allocations create`, run as an operator would (a real process on real Postgres and
Redis): the month's allocations with a summary, failures listed with a non-zero exit, a dry run that
writes nothing, refused months, and each new allocation's event job written with it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.clock import SystemClock
from domain.programme.business_time import BusinessCalendar
from tests.integration.programme.conftest import UowFactory, a_child, a_family

# The command runs on the real clock: its window is this business month and the next.
NEXT_MONTH = BusinessCalendar(SystemClock(), "America/Denver").next_month().strftime("%Y-%m")


async def _allocations(
    database_url: str, redis_url: str, tmp: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "entrypoints.cli", "allocations", "create", *args]
    return await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=tmp, capture_output=True, text=True, timeout=120
    )


async def _children(new_uow: UowFactory) -> dict[str, str]:
    family = a_family()
    children = {
        "ana": a_child(family.id, first_name="Ana"),
        "ben": a_child(family.id, first_name="Ben"),
        "off": a_child(family.id, first_name="Off", payment_enabled=False),
        "big": a_child(family.id, first_name="Big", prorated_allocation_cents=500_000),
    }
    async with new_uow() as uow:
        await uow.families.add(family)
        for child in children.values():
            await uow.children.add(child)
        await uow.commit()
    return {name: child.id for name, child in children.items()}


async def _count(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text(sql))).scalar() or 0)


ALLOCATION_JOBS = "SELECT count(*) FROM jobs WHERE name = 'programme.allocation_created'"


async def test_the_month_is_created_once_failures_listed_and_the_exit_status_says_so(
    database_url: str, redis_url: str, tmp_path: Path, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    children = await _children(new_uow)

    run = await _allocations(database_url, redis_url, tmp_path, "--month", NEXT_MONTH)

    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        f"Allocations for {NEXT_MONTH}",
        "  created: 2",
        "  skipped: 0",
        "  failed: 1",
        f"    child {children['big']}: allocation_above_maximum: {run.stdout.split(': ')[-1].strip()}",
    ]
    assert f"Allocations for {NEXT_MONTH}" in run.stderr  # the progress bar's label
    assert await _count(engine, "SELECT count(*) FROM month_allocations") == 2
    assert await _count(engine, ALLOCATION_JOBS) == 2  # each event written with its allocation

    again = await _allocations(database_url, redis_url, tmp_path, "--month", NEXT_MONTH, "--json")

    assert again.returncode == 1
    summary = json.loads(again.stdout)
    assert (summary["month"], summary["created"], summary["skipped"]) == (NEXT_MONTH, 0, 2)
    assert summary["skipped_by_reason"] == {"allocation_exists": 2}
    assert [(f["child_id"], f["code"]) for f in summary["failed"]] == [
        (children["big"], "allocation_above_maximum")
    ]
    assert await _count(engine, "SELECT count(*) FROM month_allocations") == 2
    assert await _count(engine, ALLOCATION_JOBS) == 2


async def test_a_dry_run_reports_what_it_would_do_and_writes_nothing(
    database_url: str, redis_url: str, tmp_path: Path, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    await _children(new_uow)
    run = await _allocations(database_url, redis_url, tmp_path, "--month", NEXT_MONTH, "--dry-run", "--json")
    assert run.returncode == 1, run.stderr
    summary = json.loads(run.stdout)
    assert (summary["dry_run"], summary["created"], len(summary["failed"])) == (True, 2, 1)
    assert await _count(engine, "SELECT count(*) FROM month_allocations") == 0
    assert await _count(engine, "SELECT count(*) FROM jobs") == 0


async def test_a_clean_run_exits_0(
    database_url: str, redis_url: str, tmp_path: Path, engine: AsyncEngine
) -> None:
    run = await _allocations(database_url, redis_url, tmp_path, "--month", NEXT_MONTH)
    assert (run.returncode, run.stdout.splitlines()[1:]) == (
        0,
        ["  created: 0", "  skipped: 0", "  failed: 0"],
    )


async def test_a_month_outside_the_window_or_malformed_is_refused_in_one_line(
    database_url: str, redis_url: str, tmp_path: Path, engine: AsyncEngine
) -> None:
    refused = await _allocations(database_url, redis_url, tmp_path, "--month", "2020-01")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "cap-portal: Allocations are created only for the current or the next month (asked for 2020-01)."
    ]
    malformed = await _allocations(database_url, redis_url, tmp_path, "--month", "2025-1")
    assert malformed.returncode == 2
    assert "expected YYYY-MM" in malformed.stderr
    assert await _count(engine, "SELECT count(*) FROM month_allocations") == 0
