"""Benchmark: `cap-portal ledger check` over 10,000 allocations (target: under 30 s on this machine).

Run from the repository root, against a Postgres server (a fresh database is made and dropped)::

    .venv/bin/python -m bench.reconciliation --server-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

What one run does: migrates a new database; seeds, set-based, ``--families`` families with a sandbox
wallet each and two funded allocations per family (two months), every funding recorded in the ledger
(through its triggers) and in the sandbox's books, and a reclamation of half of the older month's
allocations (row, ledger transaction, the allocation's ``reclaimed_cents``, the sandbox's move); then runs
the same check the command runs (``entrypoints.jobs.books.reconcile``: the books' snapshot, the rules,
the sandbox's balances), ``--rounds`` times, and reports the wall time of each round and the drift found
(which must be none). Raw JSON goes to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.postgres.migrations import upgrade
from adapters.postgres.money.sandbox_gateway import SandboxGateway
from entrypoints.jobs.books import reconcile
from entrypoints.jobs.context import build_job_context
from entrypoints.settings import Settings

RESULTS = Path(__file__).parent / "results"

SEED = [
    "INSERT INTO families (id, language, created_at, updated_at)"
    " SELECT md5('family' || n)::uuid, 'en', now(), now() FROM generate_series(1, :families) n",
    "INSERT INTO children (id, family_id, first_name, last_name, status, payment_enabled,"
    " created_at, updated_at)"
    " SELECT md5('child' || n)::uuid, md5('family' || n)::uuid, 'Ana', 'Diaz', 'Approved', true, now(), now()"
    " FROM generate_series(1, :families) n",
    "INSERT INTO month_allocations (child_id, month, allocation_cents, created_at, updated_at)"
    " SELECT md5('child' || n)::uuid, m, 50000 + (n % 900) * 100, now(), now()"
    " FROM generate_series(1, :families) n, (VALUES (date '2025-01-01'), (date '2025-02-01')) months(m)",
    "INSERT INTO sandbox_wallets (user_id, email, first_name, last_name)"
    " SELECT 'sbx_' || n, n || '@example.org', 'Ana', 'Diaz' FROM generate_series(1, :families) n",
    "INSERT INTO family_payment_settings (family_id, gateway_user_id)"
    " SELECT md5('family' || n)::uuid, 'sbx_' || n FROM generate_series(1, :families) n",
    "INSERT INTO ledger_accounts (kind, owner_id) VALUES ('programme', NULL), ('reclaimed', NULL)",
    "INSERT INTO ledger_accounts (kind, owner_id)"
    " SELECT 'family_wallet', md5('family' || n)::uuid FROM generate_series(1, :families) n",
    "INSERT INTO ledger_transactions (kind, record_type, record_id, idempotency_key)"
    " SELECT 'allocation_funding', 'allocation', a.id::text, 'allocation:' || a.id || '\\:funding'"
    " FROM month_allocations a",
    "INSERT INTO ledger_entries (transaction_id, account_id, amount_cents, balance_after_cents)"
    " SELECT t.id, acc.id, sign * a.allocation_cents, 0"
    " FROM month_allocations a JOIN children c ON c.id = a.child_id"
    " JOIN ledger_transactions t ON t.record_id = a.id::text AND t.kind = 'allocation_funding',"
    " LATERAL (VALUES (-1, NULL::uuid, 'programme'), (1, c.family_id, 'family_wallet'))"
    " side(sign, owner, kind)"
    " JOIN ledger_accounts acc ON acc.kind = side.kind AND acc.owner_id IS NOT DISTINCT FROM side.owner"
    " ORDER BY t.id",
    "INSERT INTO allocation_fundings (allocation_id, family_id, amount_cents, status, attempts,"
    " gateway_transfer_id, ledger_transaction_id, funded_at)"
    " SELECT a.id, c.family_id, a.allocation_cents, 'funded', 1, 'sbx_tr_' || a.id, t.id, now()"
    " FROM month_allocations a JOIN children c ON c.id = a.child_id"
    " JOIN ledger_transactions t ON t.record_id = a.id::text AND t.kind = 'allocation_funding'",
    # Half of January's allocations had 20,000 cents reclaimed.
    "INSERT INTO fund_reclamations (allocation_id, family_id, amount_cents, idempotency_key, status,"
    " attempts, gateway_transfer_id, ledger_transaction_id, reclaimed_at)"
    " SELECT a.id, c.family_id, 20000, 'allocation:' || a.id || '\\:reclamation', 'pending', 0,"
    " NULL, NULL, NULL"
    " FROM month_allocations a JOIN children c ON c.id = a.child_id"
    " WHERE a.month = date '2025-01-01' AND a.id % 4 = 1",
    "INSERT INTO ledger_transactions (kind, record_type, record_id, idempotency_key)"
    " SELECT 'reclamation', 'reclamation', r.id::text, r.idempotency_key FROM fund_reclamations r",
    "INSERT INTO ledger_entries (transaction_id, account_id, amount_cents, balance_after_cents)"
    " SELECT t.id, acc.id, side.sign * r.amount_cents, 0"
    " FROM fund_reclamations r JOIN ledger_transactions t ON t.idempotency_key = r.idempotency_key,"
    " LATERAL (VALUES (-1, r.family_id, 'family_wallet'), (1, NULL::uuid, 'reclaimed'))"
    " side(sign, owner, kind)"
    " JOIN ledger_accounts acc ON acc.kind = side.kind AND acc.owner_id IS NOT DISTINCT FROM side.owner"
    " ORDER BY t.id",
    "UPDATE fund_reclamations r SET status = 'reclaimed', attempts = 1,"
    " gateway_transfer_id = 'sbx_rc_' || r.id,"
    " ledger_transaction_id = t.id, reclaimed_at = now()"
    " FROM ledger_transactions t WHERE t.idempotency_key = r.idempotency_key",
    "UPDATE month_allocations a SET reclaimed_cents = r.amount_cents"
    " FROM fund_reclamations r WHERE r.allocation_id = a.id",
    "UPDATE sandbox_wallets w SET balance_cents = acc.balance_cents"
    " FROM ledger_accounts acc WHERE acc.kind = 'family_wallet'"
    " AND acc.owner_id = md5('family' || substr(w.user_id, 5))::uuid",
]


async def seed(database_url: str, families: int) -> float:
    engine = create_async_engine(database_url)
    started = time.perf_counter()
    async with engine.begin() as connection:
        for statement in SEED:
            if ":families" in statement:
                await connection.execute(text(statement), {"families": families})
            else:
                await connection.execute(text(statement))
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return time.perf_counter() - started


async def check(database_url: str, rounds: int) -> list[dict[str, object]]:
    settings = Settings(database_url=database_url, payment_gateway="sandbox")
    context = build_job_context(settings, jobs=None)  # type: ignore[arg-type]  # the check asks for no job
    context.payment_gateway = SandboxGateway(context.session_factory)
    runs = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            report = await reconcile(context)
            runs.append(
                {
                    "seconds": round(time.perf_counter() - started, 3),
                    "allocations": report.totals.allocations,
                    "transactions": report.transactions_checked,
                    "wallets": report.wallets_checked,
                    "drift": len(report.drift),
                }
            )
    finally:
        await context.close()
    return runs


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--families", type=int, default=5_000, help="two allocations each")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = make_url(args.server_url)
    name = f"bench_reconciliation_{os.getpid()}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f"CREATE DATABASE {name}"))
    database_url = server.set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, database_url)
        seeded_in = await seed(database_url, args.families)
        runs = await check(database_url, args.rounds)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await admin.dispose()
    seconds = [float(str(run["seconds"])) for run in runs]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "families": args.families,
        "seed_seconds": round(seeded_in, 1),
        "runs": runs,
        "median_seconds": statistics.median(seconds),
        "max_seconds": max(seconds),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"reconciliation-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(
        json.dumps(result, indent=2)
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
