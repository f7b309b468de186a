"""Benchmark: the family's hot paths — its month (``GET /child/{id}/allocation/{m}/{y}``), ``/auth/me``,
its home (``GET /family/{child_id}``), the provider's home (``GET /provider``) and scheduling a care day
(``POST /care-days``) — signed in with a session token, each beside a bare Litestar + asyncpg + PyJWT app
sending the same statements (``bench/bare_programme.py``), interleaved in one run: requests/s, p50, p99,
server CPU per request, the ratio to the bare app, and the SQL statements each request costs, counted
by Postgres itself.

Run from the repository root (about 2 minutes with the defaults)::

    .venv/bin/python -m bench.programme

What one run does:

1. starts embedded Postgres (with ``pg_stat_statements`` preloaded: one restart) and Redis, migrates,
   and runs ``cap-portal run`` (granian, ``APP_ENV=production``, ``LOG_LEVEL=WARNING``) trusting a local
   signing key (``adapters/clerk/dev_keys.py``);
2. seeds through the real routes with the API key: families with one payment-enabled child each
   (``POST /admin/families``), onboarded (``POST /family/onboard``, which creates this and next month's
   allocations, next month's at the 140,000-cent cap). Providers, their links to the children and their
   rates go straight through the programme's repositories, because the write benchmark needs hundreds;
3. schedules 1, 10 and 25 care days in three families' next-month allocations with ``POST /care-days``
   (next month: no day is locked or past there, except any that fall in this week), counting the statements
   of each create, then counts the statements of ``GET`` on each month: the counts must be equal;
4. drives ``GET`` on the 25-day month with wrk, and ``POST /care-days`` with a wrk Lua script that gives
   every request a new (family, date): consecutive requests go to different families, and each family's
   allocation fills up one day at a time as a real month does (one provider, each open date once, within
   the budget: 140,000 cents buys 35 half days at 4,000), so no allocation ever holds more than a month's
   days. The care days are deleted between samples, so every sample measures successful creates; a
   sample that needs more than ``families × open dates`` creates gets 400s, which are reported.

Statements are counted with ``pg_stat_statements`` over the application's database: every statement the
server ran, BEGIN, COMMIT and ROLLBACK included (each one is a round trip), the sign-in's account lookup
included. Per request: an exact count over single requests, and the average over a whole wrk sample.
Results and caveats: docs/benchmarks.md ("Programme"). Raw JSON goes to ``bench/results/``.
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
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, mint_dev_token, public_pem
from adapters.clock import SystemClock
from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.migrations import upgrade
from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from bench.harness import (
    RESULTS,
    StatementStats,
    call,
    call_ok,
    cap_portal_run,
    free_port,
    group_cpu_seconds,
    preload_statement_stats,
    server_env,
    server_process,
    sql,
    wrk,
)
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.providers import Provider, ProviderType
from domain.programme.rates import PaymentRate
from domain.programme.records import UNSAVED_ID, new_reference_id
from domain.programme.statuses import ApplicationStatus

API_KEY = "bench-api-key-0123456789"
ALLOCATION_CENTS = 140_000  # MAX_ALLOCATION_CENTS's default: next month's allocation at the cap
RATES = (4_000, 8_000)  # half and full day: 35 half days fit in an allocation, more than a month's dates
DAY_COUNTS = (1, 10, 25)


@dataclass
class Family:
    tag: str
    family_id: str
    child_id: str
    token: str
    allocation_id: int
    providers: list[str] = field(default_factory=list)


@dataclass
class Case:
    route: str
    care_days: int | str
    statements_per_request: int | None = None  # exact, single requests
    statements_per_request_under_load: float = 0.0  # wrk sample's statements / its requests
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_cpu_us_per_request: float = 0.0
    non_2xx: int = 0
    samples: list[dict[str, float]] = field(default_factory=list)
    statements_under_load: dict[str, float] = field(default_factory=dict)  # the last sample's, per request
    notes: list[str] = field(default_factory=list)


# --- seeding --------------------------------------------------------------------------------------


def open_dates(calendar: BusinessCalendar) -> list[date]:
    """Next month's days a family may schedule now: not before today, not in a locked week."""
    first = calendar.next_month()
    days = [first + timedelta(days=i) for i in range(31)]
    return [d for d in days if d.month == first.month and d >= calendar.today() and not calendar.is_locked(d)]


def onboard(base: str, key: Any, tag: str, month: date) -> Family:
    operator = {"X-API-Key": API_KEY}
    child = {
        "first_name": f"Kid {tag}",
        "last_name": "Bench",
        "dob": "2021-05-04",
        "status": "Approved",
        "payment_enabled": True,
        "monthly_allocation_cents": ALLOCATION_CENTS,
        "prorated_allocation_cents": ALLOCATION_CENTS,
    }
    guardian = {"first_name": "Ana", "last_name": tag, "email": f"ana.{tag}@bench.invalid"}
    body = {"external_id": f"bench-{tag}", "language": "en", "guardians": [guardian], "children": [child]}
    family = call_ok("POST", f"{base}/admin/families", body, headers=operator)
    user_id = f"user_bench{tag}"  # Clerk ids are letters and digits after user_
    link = {"clerk_user_id": user_id, "family_id": family["id"]}
    call_ok("POST", f"{base}/family/onboard", link, headers=operator)
    token = mint_dev_token(key, user_id=user_id, issuer=DEV_ISSUER, authorized_party=None, minutes=120)
    child_id = family["children"][0]["id"]
    month_view = call_ok(
        "GET", f"{base}/child/{child_id}/allocation/{month.month}/{month.year}", headers=_signed(token)
    )
    return Family(tag, family["id"], child_id, token, int(month_view["id"]))


def _signed(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _add_providers(
    database_url: str, families: list[Family], per_child: int, rates: tuple[int, int]
) -> None:
    """``per_child`` approved, payment-enabled providers for each family's child, linked, with rates.
    One provider per child keeps every provider within MAX_CHILDREN_PER_PROVIDER."""
    engine = build_engine(database_url)
    now = datetime.now(UTC)
    try:
        uow = SqlAlchemyProgrammeUnitOfWork(build_session_factory(engine))
        async with uow:
            for family in families:
                for i in range(per_child):
                    provider = Provider(
                        id=new_reference_id(),
                        name=f"Care {family.tag}-{i}",
                        type=ProviderType.FAMILY_FRIEND_NEIGHBOUR,
                        status=ApplicationStatus.APPROVED,
                        payment_enabled=True,
                    )
                    await uow.providers.add(provider)
                    await uow.links.link(provider.id, family.child_id)
                    rate = PaymentRate(UNSAVED_ID, provider.id, family.child_id, *rates, now, now)
                    await uow.rates.add(rate)
                    family.providers.append(provider.id)
            await uow.commit()
    finally:
        await engine.dispose()


def add_providers(database_url: str, families: list[Family], per_child: int, rates: tuple[int, int]) -> None:
    asyncio.run(_add_providers(database_url, families, per_child, rates))


def provider_account(
    database_url: str, key: Any, provider_id: str, user_id: str = "user_benchprovider"
) -> str:
    """A signed-in provider for ``GET /provider``: its account row, written directly (the bench has no
    invitation flow), and a session token for it."""
    sql(
        database_url,
        "INSERT INTO accounts (clerk_user_id, roles, provider_id, deactivated, created_at, updated_at)"
        " VALUES ($1, ARRAY['provider'], $2, false, now(), now())",
        user_id,
        provider_id,
    )
    return mint_dev_token(key, user_id=user_id, issuer=DEV_ISSUER, authorized_party=None, minutes=120)


def schedule(base: str, family: Family, provider_id: str, day: date) -> None:
    body = {"allocation_id": family.allocation_id, "provider_id": provider_id, "date": day.isoformat()}
    call_ok("POST", f"{base}/care-days", {**body, "type": "Half Day"}, headers=_signed(family.token))


# --- counting statements --------------------------------------------------------------------------


def statements_of(
    stats: StatementStats, method: str, url: str, body: object | None, token: str
) -> dict[str, int]:
    """The statements one request ran, by (normalised) text."""
    stats.reset()
    status, answer = call(method, url, body, headers=_signed(token))
    if not 200 <= status < 300:
        raise RuntimeError(f"{method} {url} answered {status}: {answer}")
    return stats.calls()


def count_month_views(
    base: str, stats: StatementStats, families: dict[int, Family], month: date
) -> dict[int, dict[str, int]]:
    counted = {}
    for days, family in families.items():
        url = f"{base}/child/{family.child_id}/allocation/{month.month}/{month.year}"
        counted[days] = statements_of(stats, "GET", url, None, family.token)
    return counted


def seed_days_counting_creates(
    base: str, stats: StatementStats, family: Family, days: int, dates: list[date]
) -> dict[int, dict[str, int]]:
    """Schedules ``days`` care days through the route; the statements of every create, by its number."""
    counted = {}
    for n in range(days):
        provider = family.providers[n // len(dates)]
        body = {
            "allocation_id": family.allocation_id,
            "provider_id": provider,
            "date": dates[n % len(dates)].isoformat(),
            "type": "Half Day",
        }
        counted[n + 1] = statements_of(stats, "POST", f"{base}/care-days", body, family.token)
    return counted


# --- wrk ------------------------------------------------------------------------------------------

_LUA = """-- Generated by bench/programme.py: each request schedules a new (family, provider, date).
local families = {families}
local dates = {dates}
local threads_started = 0
local counter = 0

function setup(thread)
  thread:set("index", threads_started)
  threads_started = threads_started + 1
end

function request()
  local k = counter * {threads} + index
  counter = counter + 1
  local f = families[(k % #families) + 1]
  local slot = math.floor(k / #families)
  local provider = f.providers[(math.floor(slot / #dates) % #f.providers) + 1]
  local date = dates[(slot % #dates) + 1]
  local body = string.format(
    '{{"allocation_id": %d, "provider_id": "%s", "date": "%s", "type": "Half Day"}}',
    f.allocation, provider, date)
  return wrk.format("POST", "/care-days",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. f.token}}, body)
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII is a valid Lua string


def write_lua(path: Path, families: list[Family], dates: list[date], threads: int) -> None:
    entries = []
    for f in families:
        providers = ", ".join(_lua_string(p) for p in f.providers)
        entries.append(
            f"{{allocation = {f.allocation_id}, token = {_lua_string(f.token)}, providers = {{{providers}}}}}"
        )
    path.write_text(
        _LUA.format(
            families="{\n  " + ",\n  ".join(entries) + "\n}",
            dates="{" + ", ".join(_lua_string(d.isoformat()) for d in dates) + "}",
            threads=threads,
        )
    )


def sample(
    case: Case,
    url: str,
    group: int,
    stats: StatementStats,
    args: argparse.Namespace,
    *,
    headers: list[str] | None = None,
    script: Path | None = None,
) -> dict[str, float]:
    stats.reset()
    cpu = group_cpu_seconds(group)
    figures = wrk(
        url,
        threads=args.threads,
        connections=args.connections,
        duration=args.duration,
        headers=headers or [],
        script=script,
    )
    figures["server_cpu_us_per_request"] = (
        (group_cpu_seconds(group) - cpu) / max(figures["requests"], 1) * 1e6
    )
    calls = stats.calls()
    figures["statements_per_request"] = sum(calls.values()) / max(figures["requests"], 1)
    # What a sample ran beyond the exact per-request statements shows up here (new connections, say).
    case.statements_under_load = {
        brief(text): round(n / max(figures["requests"], 1), 3)
        for text, n in sorted(calls.items(), key=lambda item: -item[1])
    }
    figures["load_1min"] = round(os.getloadavg()[0], 2)
    case.samples.append(figures)
    for key in ("requests_per_second", "p50_ms", "p99_ms", "server_cpu_us_per_request"):
        setattr(case, key, statistics.median(s[key] for s in case.samples))
    case.statements_per_request_under_load = statistics.median(
        s["statements_per_request"] for s in case.samples
    )
    case.non_2xx = int(sum(s.get("non_2xx", 0) for s in case.samples))
    print(
        f"  {case.route:<44} {figures['requests_per_second']:>7.0f} req/s  p50 {figures['p50_ms']:7.2f} ms"
        f"  p99 {figures['p99_ms']:7.2f} ms  cpu {figures['server_cpu_us_per_request']:5.0f} µs/req"
        f"  {figures['statements_per_request']:.2f} stmts/req  load {figures['load_1min']:.2f}"
        f"  {int(figures.get('non_2xx', 0))} non-2xx",
        flush=True,
    )
    return figures


# --- the run --------------------------------------------------------------------------------------


def brief(statement: str) -> str:
    """A statement short enough to read: a SELECT's column list is left out."""
    text = " ".join(statement.split())
    if text.startswith("SELECT ") and " FROM " in text:
        text = "SELECT … FROM " + text.split(" FROM ", 1)[1]
    return text[:160]


def _shorten(statements: dict[str, int]) -> list[str]:
    return [
        f"{calls} × {brief(text)}" for text, calls in sorted(statements.items(), key=lambda s: brief(s[0]))
    ]


def run(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    calendar = BusinessCalendar(SystemClock(), ProgrammeRules().business_timezone)
    month, dates = calendar.next_month(), open_dates(calendar)
    print(f"next month {month:%Y-%m}: {len(dates)} open dates ({dates[0]} to {dates[-1]})", flush=True)
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
            # 1. The months that are read: 1, 10 and 25 care days, each create counted.
            readers = {days: onboard(base, key, f"g{days}", month) for days in DAY_COUNTS}
            add_providers(postgres.url, list(readers.values()), per_child=2, rates=RATES)
            creates = {
                days: seed_days_counting_creates(base, stats, f, days, dates) for days, f in readers.items()
            }
            views = count_month_views(base, stats, readers, month)
            # 2. The families whose allocations the write benchmark spends.
            writers = [onboard(base, key, f"w{i}", month) for i in range(args.families)]
            add_providers(postgres.url, writers, per_child=1, rates=RATES)
            capacity = len(writers) * min(ALLOCATION_CENTS // RATES[0], len(dates))
            print(
                f"write capacity per sample: {capacity} creates over {len(writers)} allocations", flush=True
            )
            script = scratch / "care_days.lua"
            write_lua(script, writers, dates, args.threads)
            writer_allocations = [f.allocation_id for f in writers]

            def reset_writes() -> None:
                sql(
                    postgres.url,
                    "DELETE FROM care_days WHERE allocation_id = ANY($1::bigint[])",
                    writer_allocations,
                )

            def created() -> int:
                rows = sql(
                    postgres.url,
                    "SELECT count(*) AS n FROM care_days WHERE allocation_id = ANY($1::bigint[])",
                    writer_allocations,
                )
                return int(rows[0]["n"])

            reader = readers[25]
            provider_token = provider_account(postgres.url, key, reader.providers[0])
            month_path = f"/child/{reader.child_id}/allocation/{month.month}/{month.year}"
            # (our case, the bare app's, path, token): each signed-in read beside its bare equivalent.
            reads = [
                (f"GET /child/{{id}}/allocation/{month.month}/{month.year}", 25, month_path, reader.token),
                ("GET /auth/me", "-", "/auth/me", reader.token),
                ("GET /family/{child_id}", "-", f"/family/{reader.child_id}", reader.token),
                ("GET /provider", "-", "/provider", provider_token),
            ]
            read_cases = [(Case(r, d), Case(f"bare: {r}", d), path, token) for r, d, path, token in reads]
            read_cases[0][0].statements_per_request = read_cases[0][1].statements_per_request = sum(
                views[25].values()
            )
            for ours, _, path, token in read_cases[1:]:
                ours.statements_per_request = sum(
                    statements_of(stats, "GET", base + path, None, token).values()
                )
            write = Case("POST /care-days", f"new day in {len(writers)} allocations")
            bare_write = Case("bare: POST /care-days", write.care_days)
            write.statements_per_request = sum(creates[25][25].values())
            bare_port = free_port()
            bare_command = [sys.executable, "-m", "bench.bare_programme", str(bare_port), str(args.workers)]
            bare_server = server_process([*bare_command, args.server], env, scratch / "bare.log", bare_port)
            bare_base, bare_group = stack.enter_context(bare_server)
            # Warm-ups at full concurrency, so the pools have grown before anything is counted.
            load = {"threads": args.threads, "connections": args.connections, "duration": args.warmup}
            for _, _, path, token in read_cases:
                wrk(base + path, headers=[f"Authorization: Bearer {token}"], **load)
                wrk(bare_base + path, headers=[f"Authorization: Bearer {token}"], **load)
            wrk(base + "/care-days", script=script, **load)
            reset_writes()
            wrk(bare_base + "/care-days", script=script, **load)
            reset_writes()
            # The bare app must answer what ours answers, or the comparison means nothing.
            for ours, _, path, token in read_cases:
                answers = [call_ok("GET", b + path, headers=_signed(token)) for b in (base, bare_base)]
                if answers[0] != answers[1]:
                    raise RuntimeError(f"{ours.route}: the bare app answers differently: {answers}")
            # Counted once warm: a fresh asyncpg connection first introspects types (extra statements).
            for _, bare, path, token in read_cases:
                bare.statements_per_request = sum(
                    statements_of(stats, "GET", bare_base + path, None, token).values()
                )
            for _ in range(args.rounds):
                for ours, bare, path, token in read_cases:
                    headers = [f"Authorization: Bearer {token}"]
                    sample(ours, base + path, group, stats, args, headers=headers)
                    sample(bare, bare_base + path, bare_group, stats, args, headers=headers)
                for case, where, server_group in ((write, base, group), (bare_write, bare_base, bare_group)):
                    reset_writes()
                    figures = sample(case, where + "/care-days", server_group, stats, args, script=script)
                    rows = created()
                    if figures["requests"] > capacity:
                        case.notes.append(
                            f"a sample made {int(figures['requests'])} requests > capacity {capacity}"
                        )
                    case.notes.append(
                        f"{rows} care days created for {int(figures['requests'])} counted requests"
                    )
                    print(f"    {rows} care days created", flush=True)
            bare_write.statements_per_request = round(bare_write.statements_per_request_under_load)
            reset_writes()
    return {
        "month": month.isoformat(),
        "open_dates": len(dates),
        "statements": {
            "GET month, by care days": {d: sum(v.values()) for d, v in views.items()},
            "POST /care-days, by the day's number in its allocation": {
                n: sum(creates[25][n].values()) for n in DAY_COUNTS
            },
            "GET month (25 days), each statement": _shorten(views[25]),
            "POST /care-days (25th day), each statement": _shorten(creates[25][25]),
        },
        "cases": [asdict(c) for ours, bare, _, _ in read_cases for c in (ours, bare)]
        + [asdict(write), asdict(bare_write)],
        "ratios": {
            **{f"{ours.route} vs bare": ratio(ours, bare) for ours, bare, _, _ in read_cases},
            "POST /care-days vs bare": ratio(write, bare_write),
        },
    }


def ratio(ours: Case, bare: Case) -> float:
    return ours.requests_per_second / bare.requests_per_second if bare.requests_per_second else 0.0


def report(result: dict[str, Any]) -> str:
    counts = result["statements"]
    by_day = counts["POST /care-days, by the day's number in its allocation"]
    lines = [
        "Statements per request (exact, single requests; BEGIN/COMMIT/ROLLBACK and the sign-in lookup",
        "included):",
        f"  GET month with 1 / 10 / 25 care days: {counts['GET month, by care days']}",
        f"  POST /care-days creating day 1 / 10 / 25: {by_day}",
        "  GET month (25 days):",
        *(f"    {line}" for line in counts["GET month (25 days), each statement"]),
        "  POST /care-days:",
        *(f"    {line}" for line in counts["POST /care-days (25th day), each statement"]),
        "",
        "| route | care days | statements/request (exact) | under load (avg) | req/s | p50 ms | p99 ms "
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
    lines += ["", *(f"{name}: {ratio:.0%}" for name, ratio in result["ratios"].items())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="5s", help="wrk duration of each sample")
    parser.add_argument("--warmup", default="2s")
    parser.add_argument("--rounds", type=int, default=3, help="samples per route (median reported)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--families", type=int, default=100, help="allocations the write benchmark spreads over"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--server", default="granian")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    started = datetime.now(UTC)
    print(
        f"cap-portal programme benchmark, {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True
    )
    scratch = Path(tempfile.mkdtemp(prefix="cap-bench-programme-"))
    try:
        result = run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n" + report(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"programme-{started:%Y%m%dT%H%M%SZ}.json"
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()}
    document = {"started": started.isoformat(), "command": " ".join(sys.argv), "machine": machine}
    out.write_text(json.dumps({**document, "settings": vars(args), **result}, indent=2, default=str))
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
