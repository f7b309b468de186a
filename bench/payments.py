"""Benchmark: the payment history ``GET /family/payments`` of a family with 100 payments, beside a bare
Litestar + asyncpg + PyJWT app sending the same statements (``bench/bare_payments.py``), interleaved in
one run: requests/s, p50, p99, server CPU per request, the ratio to the bare app, and the statements per
request counted by Postgres itself (``pg_stat_statements``, BEGIN/COMMIT and the sign-in included).

Run from the repository root (about a minute with the defaults)::

    .venv/bin/python -m bench.payments

What one run does: embedded Postgres (``pg_stat_statements`` preloaded) and Redis, migrated;
``cap-portal run`` (granian, ``APP_ENV=production``) trusting a local signing key, as
``bench.programme``; one family onboarded through the real routes with one linked provider; then 100
paid payment intents written straight into the tables (4 weekly care-day payments of 25 care days in
all, 96 lump sums), each with its attempt, its payment and its claims — what 100 submits and lump sums
leave behind, without paying the gateway for it (the history never calls the gateway). Both apps must
answer the same JSON before anything is timed.

The submit itself is counted (60 statements, tests/e2e/test_payment_query_counts.py) but not timed here:
see docs/benchmarks.md ("Paying providers") for why.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, public_pem
from adapters.clock import SystemClock
from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.postgres.migrations import upgrade
from bench.harness import (
    RESULTS,
    StatementStats,
    asyncpg_dsn,
    call_ok,
    cap_portal_run,
    free_port,
    preload_statement_stats,
    server_env,
    server_process,
    wrk,
)
from bench.programme import (
    API_KEY,
    RATES,
    Case,
    _shorten,
    _signed,
    add_providers,
    onboard,
    ratio,
    sample,
    statements_of,
)
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules

PAYMENTS = 100
CARE_DAY_PAYMENTS = 4  # weekly submits
CARE_DAYS = 25  # in all, over the care-day payments
LUMP_SUM_CENTS = 1_000


async def _seed_payments(
    database_url: str, family_id: str, child_id: str, provider_id: str, allocation_id: int, month: date
) -> None:
    """100 paid intents with their attempts, payments and claims, one transaction."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    start = datetime.now(UTC) - timedelta(days=30)
    family, child, provider = uuid.UUID(family_id), uuid.UUID(child_id), uuid.UUID(provider_id)
    try:
        async with connection.transaction():
            day_ids = [
                await connection.fetchval(
                    "INSERT INTO care_days (allocation_id, provider_id, date, created_at, updated_at, type,"
                    " amount_cents, amount_missing_cents, payment_distribution_requested, last_submitted_at)"
                    " VALUES ($1, $2, $3, $4, $4, 'Half Day', $5, NULL, true, $4) RETURNING id",
                    allocation_id,
                    provider,
                    month + timedelta(days=n),
                    start,
                    RATES[0],
                )
                for n in range(CARE_DAYS)
            ]
            for n in range(PAYMENTS):
                at = start + timedelta(hours=n)
                intent = uuid.uuid4()
                care = n < CARE_DAY_PAYMENTS
                mine = day_ids[n::CARE_DAY_PAYMENTS] if care else []
                amount = RATES[0] * len(mine) if care else LUMP_SUM_CENTS
                await connection.execute(
                    "INSERT INTO payment_intents (id, kind, family_id, child_id, provider_id, allocation_id,"
                    " amount_cents, status, attempts, family_to_provider_transfer_id, payout_transfer_id,"
                    " payment_method, paid_at, created_at, updated_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, 'paid', 1, $8, $9, 'card', $10, $10, $10)",
                    intent, "care_days" if care else "lump_sum", family, child, provider, allocation_id,
                    amount, f"bench-f2p-{n}", f"bench-payout-{n}", at,
                )  # fmt: skip
                attempt = await connection.fetchval(
                    "INSERT INTO payment_attempts (intent_id, number, outcome, payment_method, started_at,"
                    " ended_at) VALUES ($1, 1, 'succeeded', 'card', $2, $2) RETURNING id",
                    intent, at,
                )  # fmt: skip
                payment = uuid.uuid4()
                await connection.execute(
                    "INSERT INTO payments (id, intent_id, attempt_id, family_id, child_id, provider_id,"
                    " allocation_id, amount_cents, payment_method, created_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'card', $9)",
                    payment, intent, attempt, family, child, provider, allocation_id, amount, at,
                )  # fmt: skip
                if care:
                    await connection.executemany(
                        "INSERT INTO payment_intent_items (intent_id, care_day_id, amount_cents)"
                        " VALUES ($1, $2, $3)",
                        [(intent, day, RATES[0]) for day in mine],
                    )
                    await connection.execute(
                        "UPDATE care_days SET payment_id = $1 WHERE id = ANY($2::bigint[])", payment, mine
                    )
                else:
                    lump_sum = await connection.fetchval(
                        "INSERT INTO lump_sums (allocation_id, provider_id, amount_cents, days, half_days,"
                        " created_at, updated_at) VALUES ($1, $2, $3, 1, 0, $4, $4) RETURNING id",
                        allocation_id, provider, amount, at,
                    )  # fmt: skip
                    await connection.execute(
                        "INSERT INTO payment_intent_items (intent_id, lump_sum_id, amount_cents)"
                        " VALUES ($1, $2, $3)",
                        intent, lump_sum, amount,
                    )  # fmt: skip
    finally:
        await connection.close()


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    calendar = BusinessCalendar(SystemClock(), ProgrammeRules().business_timezone)
    month = calendar.next_month()
    with EmbeddedPostgres(scratch / "postgres") as postgres, EmbeddedRedis(scratch / "redis") as redis:
        preload_statement_stats(postgres)
        upgrade(postgres.url)
        stats = StatementStats(postgres.url)
        key = dev_signing_key(scratch)
        env = server_env(
            postgres.url, redis.url, api_key=API_KEY, jwt_key_pem=public_pem(key), issuer=DEV_ISSUER
        )
        port = free_port()
        command = cap_portal_run(port, workers=args.workers, server=args.server)
        with (
            contextlib.ExitStack() as stack,
            server_process(command, env, scratch / "server.log", port) as (base, group),
        ):
            family = onboard(base, key, "pay", month)
            add_providers(postgres.url, [family], per_child=1, rates=RATES)
            asyncio.run(
                _seed_payments(
                    postgres.url,
                    family.family_id,
                    family.child_id,
                    family.providers[0],
                    family.allocation_id,
                    month,
                )
            )
            bare_port = free_port()
            bare_command = [sys.executable, "-m", "bench.bare_payments", str(bare_port), str(args.workers)]
            bare_base, bare_group = stack.enter_context(
                server_process([*bare_command, args.server], env, scratch / "bare.log", bare_port)
            )
            path, headers = "/family/payments", [f"Authorization: Bearer {family.token}"]
            load = {"threads": args.threads, "connections": args.connections, "duration": args.warmup}
            wrk(base + path, headers=headers, **load)
            wrk(bare_base + path, headers=headers, **load)
            answers = [call_ok("GET", b + path, headers=_signed(family.token)) for b in (base, bare_base)]
            if answers[0] != answers[1]:
                raise RuntimeError("the bare app answers differently")
            if answers[0]["total_count"] != PAYMENTS:
                raise RuntimeError(f"expected {PAYMENTS} payments, got {answers[0]['total_count']}")
            ours = Case(f"GET {path}", f"{PAYMENTS} payments")
            bare = Case(f"bare: GET {path}", ours.care_days)
            counted = {
                case.route: statements_of(stats, "GET", where + path, None, family.token)
                for case, where in ((ours, base), (bare, bare_base))
            }
            ours.statements_per_request = sum(counted[ours.route].values())
            bare.statements_per_request = sum(counted[bare.route].values())
            for _ in range(args.rounds):
                sample(ours, base + path, group, stats, args, headers=headers)
                sample(bare, bare_base + path, bare_group, stats, args, headers=headers)
            body_bytes = len(json.dumps(answers[0]))
    return {
        "month": month.isoformat(),
        "payments": PAYMENTS,
        "care_days": CARE_DAYS,
        "response_bytes": body_bytes,
        "statements": {case: _shorten(found) for case, found in counted.items()},
        "cases": [asdict(ours), asdict(bare)],
        "ratios": {f"{ours.route} vs bare": ratio(ours, bare)},
    }


def report(result: dict[str, Any]) -> str:
    lines = [
        f"{result['payments']} payments ({result['care_days']} care days), {result['response_bytes']:,} bytes"
    ]
    for case, found in result["statements"].items():
        lines += [f"  {case}:", *(f"    {line}" for line in found)]
    lines += [
        "",
        "| route | payments | statements/request (exact) | under load (avg) | req/s | p50 ms | p99 ms "
        "| server CPU µs/req | non-2xx |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in result["cases"]:
        lines.append(
            f"| `{c['route']}` | {c['care_days']} | {c['statements_per_request']} "
            f"| {c['statements_per_request_under_load']:.2f} | {c['requests_per_second']:,.0f} "
            f"| {c['p50_ms']:.2f} | {c['p99_ms']:.2f} | {c['server_cpu_us_per_request']:.0f} "
            f"| {c['non_2xx']} |"
        )
    lines += ["", *(f"{name}: {value:.0%}" for name, value in result["ratios"].items())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="5s", help="wrk duration of each sample")
    parser.add_argument("--warmup", default="2s")
    parser.add_argument("--rounds", type=int, default=3, help="samples per app (median reported)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server", default="granian")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    started = datetime.now(UTC)
    print(f"cap-portal payments benchmark, {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="cap-bench-payments-"))
    try:
        result = run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n" + report(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"payments-{started:%Y%m%dT%H%M%SZ}.json"
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()}
    document = {"started": started.isoformat(), "command": " ".join(sys.argv), "machine": machine}
    out.write_text(json.dumps({**document, "settings": vars(args), **result}, indent=2, default=str))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
