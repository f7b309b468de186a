"""Benchmark: submit = pay, ``POST /child/{c}/provider/{p}/allocation/{m}/{y}/submit`` of a month's 25 care
days, beside a bare Litestar + asyncpg + PyJWT app sending the same statements (``bench/bare_submit.py``),
interleaved in one run: submits/s, p50, p99, server CPU per submit, the ratio to the bare app, and the
statements per submit counted by Postgres itself (``pg_stat_statements``, BEGIN/COMMIT and the sign-in
included).

Run from the repository root (a few minutes with the defaults)::

    .venv/bin/python -m bench.submit

Why not wrk: a submit spends what it pays (a family's month: 25 scheduled days, its funded wallet), so
every request needs a household of its own, prepared beforehand, and a sample is a fixed number of
submits (``--submits``) rather than a duration; a duration would run out of households or leave them
unspent. The driver here sends each sample's submits ``--concurrency`` at a time on keep-alive
connections (httpx) and times the whole sample; the driver's own cost is the same for both apps.

What one run does: embedded Postgres (``pg_stat_statements`` preloaded) and Redis, migrated;
``cap-portal run`` (granian) with ``APP_ENV=testing`` and the sandbox gateway — production refuses the
sandbox, and the sandbox's books in our database are what both apps pay through (Chek is not reachable
here); the households onboarded through the real routes, each with its own linked provider paid by card
(``set_up_payment``), its wallet opened and next month funded (``fund_allocation``), and 25 half days
scheduled next month (written straight into ``care_days``: the route is measured by ``bench.programme``).
Both apps must answer the same JSON (ids aside) and cost the same statements before anything is timed;
afterwards ``cap-portal ledger check`` must find the books whole (ours and the bare app's payments alike).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, public_pem
from adapters.clock import SystemClock
from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.migrations import upgrade
from adapters.postgres.money.sandbox_gateway import SandboxGateway
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from bench.harness import (
    RESULTS,
    ROOT,
    StatementStats,
    asyncpg_dsn,
    call_ok,
    cap_portal_run,
    free_port,
    group_cpu_seconds,
    preload_statement_stats,
    server_env,
    server_process,
    sql,
)
from bench.programme import (
    API_KEY,
    RATES,
    Family,
    _shorten,
    _signed,
    add_providers,
    onboard,
    provider_account,
)
from domain.money.use_cases.funding import fund_allocation
from domain.money.use_cases.wallets import open_family_wallet
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules

CARE_DAYS = 25


@dataclass
class Case:
    route: str
    statements_per_submit: int | None = None  # exact, single submits
    statements_per_submit_under_load: float = 0.0
    submits_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_cpu_us_per_submit: float = 0.0
    failed: int = 0
    samples: list[dict[str, float]] = field(default_factory=list)


# --- seeding --------------------------------------------------------------------------------------


def _cards(base: str, database_url: str, key: Any, families: list[Family]) -> None:
    """Each household's provider signs in and asks to be paid by card (the real route)."""
    # The gateway opens a wallet only for a provider with an email address.
    sql(database_url, "UPDATE providers SET email = 'care.' || id || '@bench.invalid' WHERE email IS NULL")
    for n, family in enumerate(families):
        token = provider_account(database_url, key, family.providers[0], f"user_benchcare{n}")
        body = {"payment_method": "card"}
        call_ok("POST", base + "/provider/initialize-my-payment", body, headers=_signed(token))


async def _make_payable(database_url: str, families: list[Family], month: date) -> None:
    """Each household's wallet opened and next month funded, 25 half days scheduled."""
    engine = build_engine(database_url)
    sessions = build_session_factory(engine)
    uow, gateway, clock = SqlAlchemyMoneyUnitOfWork(sessions), SandboxGateway(sessions), SystemClock()
    try:
        for family in families:
            await open_family_wallet(uow, gateway, family.family_id)
            await fund_allocation(uow, gateway, clock, family.allocation_id)
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    now = datetime.now(UTC)
    try:
        await connection.executemany(
            "INSERT INTO care_days (allocation_id, provider_id, date, created_at, updated_at, type,"
            " amount_cents, payment_distribution_requested) VALUES ($1, $2::uuid, $3, $4, $4, 'Half Day', $5,"
            " false)",
            [
                (f.allocation_id, f.providers[0], month + timedelta(days=n), now, RATES[0])
                for f in families
                for n in range(CARE_DAYS)
            ],
        )
    finally:
        await connection.close()


def _path(family: Family, month: date) -> str:
    child, provider = family.child_id, family.providers[0]
    return f"/child/{child}/provider/{provider}/allocation/{month.month}/{month.year}/submit"


# --- driving --------------------------------------------------------------------------------------


async def _drive(
    base: str, families: list[Family], month: date, concurrency: int
) -> tuple[float, list[float], int]:
    """Every household's submit, ``concurrency`` at a time: the sample's seconds, latencies, failures."""
    queue: asyncio.Queue[Family] = asyncio.Queue()
    for family in families:
        queue.put_nowait(family)
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one_at_a_time() -> None:
            nonlocal failures
            while not queue.empty():
                family = queue.get_nowait()
                started = time.perf_counter()
                answer = await client.post(
                    _path(family, month), headers={"Authorization": f"Bearer {family.token}"}
                )
                latencies.append(time.perf_counter() - started)
                failures += answer.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(one_at_a_time() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, failures


def sample(
    case: Case,
    base: str,
    group: int,
    stats: StatementStats,
    families: list[Family],
    month: date,
    args: argparse.Namespace,
) -> None:
    stats.reset()
    cpu = group_cpu_seconds(group)
    elapsed, latencies, failures = asyncio.run(_drive(base, families, month, args.concurrency))
    count = len(families)
    quantiles = statistics.quantiles(latencies, n=100)
    figures = {
        "submits": count,
        "seconds": round(elapsed, 3),
        "submits_per_second": count / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": quantiles[98] * 1000,
        "server_cpu_us_per_submit": (group_cpu_seconds(group) - cpu) / count * 1e6,
        "statements_per_submit": stats.total() / count,
        "failed": failures,
        "load_1min": round(os.getloadavg()[0], 2),
    }
    case.samples.append(figures)
    print(f"  {case.route}: {figures['submits_per_second']:.1f} submits/s, {failures} failed", flush=True)


def summarise(case: Case) -> None:
    def median(key: str) -> float:
        return statistics.median(s[key] for s in case.samples)

    case.submits_per_second = median("submits_per_second")
    case.p50_ms, case.p99_ms = median("p50_ms"), median("p99_ms")
    case.server_cpu_us_per_submit = median("server_cpu_us_per_submit")
    case.statements_per_submit_under_load = median("statements_per_submit")
    case.failed = int(sum(s["failed"] for s in case.samples))


def _shape(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with its ids and times left out: what both apps must agree on."""
    own = (
        "id",
        "payment_id",
        "care_month_allocation_id",
        "provider_supabase_id",
        "last_submitted_at",
        "updated_at",
    )
    days = [{k: v for k, v in day.items() if k not in own} for day in answer["care_days"]]
    kept = {k: v for k, v in answer.items() if k not in ("intent_id", "payment_id", "care_days")}
    return {**kept, "care_days": days, "paid": answer["payment_id"] is not None}


def _one_submit(
    base: str, family: Family, month: date, stats: StatementStats
) -> tuple[dict[str, Any], dict[str, int]]:
    stats.reset()
    answer = httpx.post(
        base + _path(family, month), headers={"Authorization": f"Bearer {family.token}"}, timeout=60
    )
    if answer.status_code != 200:
        raise RuntimeError(f"{base} answered {answer.status_code}: {answer.text}")
    return answer.json(), stats.calls()


def _ledger_check(database_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "development", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "ledger", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"ledger check failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    calendar = BusinessCalendar(SystemClock(), ProgrammeRules().business_timezone)
    month = calendar.next_month()
    per_side = args.rounds * args.submits + args.warmup + 1
    with EmbeddedPostgres(scratch / "postgres") as postgres, EmbeddedRedis(scratch / "redis") as redis:
        preload_statement_stats(postgres)
        upgrade(postgres.url)
        stats = StatementStats(postgres.url)
        key = dev_signing_key(scratch)
        env = server_env(
            postgres.url, redis.url, api_key=API_KEY, jwt_key_pem=public_pem(key), issuer=DEV_ISSUER
        )
        env = {k: v for k, v in env.items() if not k.startswith("CHEK_")}
        env |= {"APP_ENV": "testing", "PAYMENT_GATEWAY": "sandbox"}
        port = free_port()
        command = cap_portal_run(port, workers=args.workers, server=args.server)
        with (
            contextlib.ExitStack() as stack,
            server_process(command, env, scratch / "server.log", port) as (base, group),
        ):
            print(f"preparing {2 * per_side} households", flush=True)
            households = [onboard(base, key, f"s{n}", month) for n in range(2 * per_side)]
            add_providers(postgres.url, households, per_child=1, rates=RATES)
            _cards(base, postgres.url, key, households)
            asyncio.run(_make_payable(postgres.url, households, month))
            ours_left, bare_left = households[:per_side], households[per_side:]
            bare_port = free_port()
            bare_command = [sys.executable, "-m", "bench.bare_submit", str(bare_port), str(args.workers)]
            bare_base, bare_group = stack.enter_context(
                server_process([*bare_command, args.server], env, scratch / "bare.log", bare_port)
            )
            ours, bare = Case("POST …/submit"), Case("bare: POST …/submit")
            answer, counted_ours = _one_submit(base, ours_left.pop(), month, stats)
            bare_answer, counted_bare = _one_submit(bare_base, bare_left.pop(), month, stats)
            if _shape(answer) != _shape(bare_answer):
                raise RuntimeError(
                    f"the bare app answers differently:\n{_shape(answer)}\n{_shape(bare_answer)}"
                )
            if len(answer["care_days"]) != CARE_DAYS:
                raise RuntimeError(f"expected {CARE_DAYS} care days paid, got {len(answer['care_days'])}")
            ours.statements_per_submit = sum(counted_ours.values())
            bare.statements_per_submit = sum(counted_bare.values())
            warm = args.warmup
            asyncio.run(_drive(base, ours_left[:warm], month, args.concurrency))
            asyncio.run(_drive(bare_base, bare_left[:warm], month, args.concurrency))
            ours_left, bare_left = ours_left[warm:], bare_left[warm:]
            for n in range(args.rounds):
                chunk = slice(n * args.submits, (n + 1) * args.submits)
                sample(ours, base, group, stats, ours_left[chunk], month, args)
                sample(bare, bare_base, bare_group, stats, bare_left[chunk], month, args)
            for case in (ours, bare):
                summarise(case)
        books = _ledger_check(postgres.url)
    return {
        "month": month.isoformat(),
        "care_days": CARE_DAYS,
        "statements": {
            ours.route: _shorten(counted_ours),
            bare.route: _shorten(counted_bare),
        },
        "cases": [asdict(ours), asdict(bare)],
        "ratios": {
            "submit vs bare": ours.submits_per_second / bare.submits_per_second
            if bare.submits_per_second
            else 0.0
        },
        "ledger_check": books,
    }


def report(result: dict[str, Any]) -> str:
    lines = [f"{result['care_days']} care days per submit; books after the run: {result['ledger_check']}", ""]
    lines += [
        "| route | statements/submit (exact) | under load (median) | submits/s | p50 ms | p99 ms "
        "| server CPU µs/submit | failed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in result["cases"]:
        lines.append(
            f"| `{c['route']}` | {c['statements_per_submit']} | {c['statements_per_submit_under_load']:.2f} "
            f"| {c['submits_per_second']:,.1f} | {c['p50_ms']:.1f} | {c['p99_ms']:.1f} "
            f"| {c['server_cpu_us_per_submit']:,.0f} | {c['failed']} |"
        )
        lines.append(
            "  samples (submits/s): " + ", ".join(f"{s['submits_per_second']:.1f}" for s in c["samples"])
        )
    lines += ["", *(f"{name}: {value:.0%}" for name, value in result["ratios"].items())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--submits", type=int, default=60, help="submits per sample (one household each)")
    parser.add_argument("--warmup", type=int, default=10, help="submits per app before the samples")
    parser.add_argument(
        "--rounds", type=int, default=3, help="samples per app, interleaved (median reported)"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server", default="granian")
    args = parser.parse_args()
    started = datetime.now(UTC)
    print(f"cap-portal submit benchmark, {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="cap-bench-submit-"))
    try:
        result = run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n" + report(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"submit-{started:%Y%m%dT%H%M%SZ}.json"
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()}
    document = {"started": started.isoformat(), "command": " ".join(sys.argv), "machine": machine}
    out.write_text(json.dumps({**document, "settings": vars(args), **result}, indent=2, default=str))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
