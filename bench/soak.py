"""Soak: the web worker's memory under a mixed signed-in load for several minutes.

    .venv/bin/python -m bench.soak [--minutes 5] [--connections 16]

Starts embedded Postgres and Redis, migrates, runs ``cap-portal run`` (granian, 1 worker,
``APP_ENV=production``, ``LOG_LEVEL=INFO``: the access line is written for every request), seeds a
family (onboarded, a linked provider with rates, ten scheduled care days) through the real routes, then
drives wrk with a Lua script that cycles through the family's calls: the month view, ``/family``,
``/auth/me``, ``/`` , ``/health`` and a ``PUT /care-days/{id}`` that flips a day between half and full
(a write that never accumulates rows). The resident set size (VmRSS) of every server process is sampled
every ``--every`` seconds; the report gives the first sample after a one-minute warm-up, the last, the
maximum and the drift between them, and the status codes wrk saw. Results go to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, public_pem
from adapters.clock import SystemClock
from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.postgres.migrations import upgrade
from bench.harness import RESULTS, call_ok, cap_portal_run, free_port, server_env, server_process, wrk
from bench.programme import API_KEY, RATES, _signed, add_providers, onboard, open_dates
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules

_LUA = """
local calls = {calls}
local token = {token}
local n = 0
request = function()
  n = n + 1
  local c = calls[(n % #calls) + 1]
  local headers = {{["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}}
  if c.body then
    local kind = (n % 2 == 0) and "Full Day" or "Half Day"
    return wrk.format(c.method, c.path, headers, string.format(c.body, kind))
  end
  return wrk.format(c.method, c.path, headers)
end
statuses = {{}}
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end
"""


def _rss_kib(group: int) -> dict[int, int]:
    """VmRSS of every live process in the server's process group."""
    sizes: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) != group:
                continue
            status = (stat.parent / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes[int(stat.parent.name)] = int(line.split()[1])
    return sizes


def _sampler(group: int, every: float, samples: list[dict[str, object]], done: threading.Event) -> None:
    started = time.monotonic()
    while not done.wait(every):
        samples.append({"seconds": round(time.monotonic() - started), "rss_kib": _rss_kib(group)})


def run(args: argparse.Namespace, scratch: Path) -> dict[str, object]:
    calendar = BusinessCalendar(SystemClock(), ProgrammeRules().business_timezone)
    month, dates = calendar.next_month(), open_dates(calendar)
    with EmbeddedPostgres(scratch / "postgres") as postgres, EmbeddedRedis(scratch / "redis") as redis:
        upgrade(postgres.url)
        key = dev_signing_key(scratch)
        env = server_env(
            postgres.url, redis.url, api_key=API_KEY, jwt_key_pem=public_pem(key), issuer=DEV_ISSUER
        )
        env["LOG_LEVEL"] = "INFO"
        port = free_port()
        with server_process(cap_portal_run(port), env, scratch / "server.log", port) as (base, group):
            family = onboard(base, key, "soak", month)
            add_providers(postgres.url, [family], per_child=1, rates=RATES)
            days = []
            for day in dates[:10]:
                body = {"allocation_id": family.allocation_id, "provider_id": family.providers[0]}
                body |= {"date": day.isoformat(), "type": "Half Day"}
                days.append(call_ok("POST", f"{base}/care-days", body, headers=_signed(family.token))["id"])
            calls = [
                {"method": "GET", "path": f"/child/{family.child_id}/allocation/{month.month}/{month.year}"},
                {"method": "GET", "path": "/family"},
                {"method": "GET", "path": "/auth/me"},
                {"method": "GET", "path": "/"},
                {"method": "GET", "path": "/health"},
                {"method": "PUT", "path": f"/care-days/{days[0]}", "body": '{"type": "%s"}'},
            ]
            lua_calls = (
                "{"
                + ", ".join(
                    "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in c.items()) + "}" for c in calls
                )
                + "}"
            )
            script = scratch / "soak.lua"
            script.write_text(_LUA.format(calls=lua_calls, token=json.dumps(family.token)))
            samples: list[dict[str, object]] = [{"seconds": 0, "rss_kib": _rss_kib(group)}]
            done = threading.Event()
            sampler = threading.Thread(target=_sampler, args=(group, args.every, samples, done), daemon=True)
            sampler.start()
            try:
                figures = wrk(
                    base + "/",
                    threads=2,
                    connections=args.connections,
                    duration=f"{int(args.minutes * 60)}s",
                    script=script,
                )
            finally:
                done.set()
                sampler.join()
            log_lines = sum(1 for _ in (scratch / "server.log").open("rb"))
    return {"month": month.isoformat(), "wrk": figures, "samples": samples, "server_log_lines": log_lines}


def report(result: dict[str, object]) -> str:
    samples = result["samples"]
    assert isinstance(samples, list)
    warm = [s for s in samples if s["seconds"] >= 60] or samples
    lines = [f"wrk: {result['wrk']}", f"server log lines: {result['server_log_lines']}", ""]
    pids = sorted({pid for s in samples for pid in s["rss_kib"]})
    lines.append(
        "| process | RSS at 0 s | after warm-up (60 s) | at the end | maximum | drift after warm-up |"
    )
    lines.append("|---|---|---|---|---|---|")
    for pid in pids:
        series = [s["rss_kib"].get(pid) for s in warm if pid in s["rss_kib"]]
        if not series:
            continue
        first = samples[0]["rss_kib"].get(pid, 0)
        lines.append(
            f"| {pid} | {first / 1024:.0f} MiB | {series[0] / 1024:.0f} MiB | {series[-1] / 1024:.0f} MiB "
            f"| {max(series) / 1024:.0f} MiB | {(series[-1] - series[0]) / 1024:+.1f} MiB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--every", type=float, default=15, help="seconds between RSS samples")
    args = parser.parse_args()
    started = datetime.now(UTC)
    print(f"soak for {args.minutes} min, {os.cpu_count()} CPUs, load {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cap-soak-") as scratch:
        result = run(args, Path(scratch))
    print(report(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"soak-{started:%Y%m%dT%H%M%SZ}.json"
    out.write_text(
        json.dumps({"started": started.isoformat(), "settings": vars(args), **result}, default=str)
    )
    print(f"results: {out}  (ended {started + timedelta(minutes=args.minutes):%H:%M} UTC or later)")


if __name__ == "__main__":
    main()
