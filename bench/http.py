"""HTTP benchmark: ``cap-portal run`` beside a bare Litestar app, on the same server settings, with wrk.

Run from the repository root (``-m`` keeps this module from shadowing the standard ``http``)::

    .venv/bin/python -m bench.http

What one run does:

1. starts embedded Postgres and Redis in a temporary directory and applies the migrations;
2. for each server (uvicorn, granian) and worker count: starts the bare app
   (``bench/bare_app.py``), measures ``GET /``, ``GET /health`` and ``GET /jobs/queue-info`` (with
   ``QUEUED_JOBS`` jobs waiting, as in the issue's measurement), stops it; then starts
   ``python -m entrypoints.cli run`` with ``LOG_LEVEL=WARNING`` and again with ``LOG_LEVEL=INFO``
   (one JSON access line per request, as in production) and measures the same two paths;
3. stops everything it started, prints a Markdown table and writes JSON to ``bench/results/``.

Every sample is ``wrk -t THREADS -c CONNECTIONS -d DURATION --latency`` after a short warm-up,
taken round-robin across the apps (``--rounds`` samples each, the median reported), together with
the server's own CPU time per request; everything binds to 127.0.0.1. A case whose responses are
not all 2xx is flagged. Results and caveats: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import (
    HOST,
    RESULTS,
    ROOT,
    free_port,
    group_cpu_seconds,
    server_env,
    server_process,
    wrk,
)

API_KEY = "bench-key-0123456789abcdef"
QUEUED_JOBS = 7
ORIGINAL_FLASK_HEALTH = 2900.0  # req/s, the original Flask app's /health (gunicorn, 2 workers)


@dataclass
class Case:
    app: str  # "bare" or "cap-portal"
    server: str
    workers: int
    log_level: str
    path: str
    connections: int
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_cpu_us_per_request: float = 0.0
    non_2xx: int = 0
    socket_errors: int = 0
    requests: int = 0
    notes: list[str] = field(default_factory=list)
    samples: list[dict[str, float]] = field(default_factory=list)


def measure(base: str, group: int, case: Case, *, threads: int, duration: str, warmup: str) -> None:
    """One sample (after a warm-up) into ``case``; the case's figures are the median of its samples.

    Besides wrk's figures, the server's own CPU time per request: neighbours on a shared machine
    move req/s a lot, but the CPU our process spends on one request hardly.
    """
    url = base + case.path
    headers = [f"X-API-Key: {API_KEY}"]  # the job API needs it; the other paths ignore it
    wrk(url, threads=threads, connections=case.connections, duration=warmup, headers=headers)
    cpu_before = group_cpu_seconds(group)
    sample = wrk(url, threads=threads, connections=case.connections, duration=duration, headers=headers)
    cpu = group_cpu_seconds(group) - cpu_before
    sample["server_cpu_us_per_request"] = cpu / max(sample.get("requests", 1), 1) * 1e6
    sample["load_1min"] = round(os.getloadavg()[0], 2)
    case.samples.append(sample)
    for key in ("requests_per_second", "p50_ms", "p99_ms", "server_cpu_us_per_request"):
        setattr(case, key, statistics.median(s[key] for s in case.samples))
    case.requests = int(sum(s.get("requests", 0) for s in case.samples))
    case.non_2xx = int(sum(s.get("non_2xx", 0) for s in case.samples))
    case.socket_errors = int(sum(s.get("socket_errors", 0) for s in case.samples))
    case.notes = [f"{case.non_2xx} non-2xx, {case.socket_errors} socket errors"] if case.non_2xx else []
    if case.socket_errors and not case.non_2xx:
        case.notes = [f"{case.socket_errors} socket errors"]
    print(
        f"  {case.app:<10} {case.server:<8} w={case.workers} log={case.log_level:<7} {case.path:<8}"
        f" c={case.connections:<4} {sample['requests_per_second']:>9.0f} req/s"
        f"  p50 {sample['p50_ms']:7.2f} ms  p99 {sample['p99_ms']:7.2f} ms"
        f"  cpu {sample['server_cpu_us_per_request']:5.0f} us/req"
        f"  load {sample['load_1min']:.2f}  {' '.join(case.notes)}",
        flush=True,
    )


def queue_jobs(database_url: str, redis_url: str, count: int) -> None:
    """``count`` jobs waiting in the default queue, each with its record, as an enqueue leaves them."""
    import asyncio
    from uuid import uuid4

    import redis

    from adapters.jobs.messages import job_message
    from adapters.jobs.new_jobs import NewJob, NewJobWriter
    from adapters.jobs.queue_reader import queue_keys
    from adapters.postgres.raw_pool import RawPool

    now = datetime.now(UTC)
    args: list[object] = [0, False]
    jobs = [
        NewJob(uuid4(), "example_job", "default", args, {}, "queued", None, now, now) for _ in range(count)
    ]

    async def write_records() -> None:
        pool = RawPool(database_url)
        try:
            await asyncio.gather(*(NewJobWriter(pool).insert(job) for job in jobs))
        finally:
            await pool.close()

    asyncio.run(write_records())
    queue_key, messages_key, _, _ = queue_keys("default")
    client = redis.Redis.from_url(redis_url)
    for job in jobs:
        message = job_message(str(job.id), job.name, "default", job.args, {})
        client.hset(messages_key, str(job.id), message.encode())
        client.rpush(queue_key, str(job.id))
    client.close()


def run(args: argparse.Namespace) -> list[Case]:
    """Per server and worker count, start every app variant at once (idle ones cost nothing), then
    take the samples round-robin, so that a noisy neighbour on the machine hits all variants alike."""
    from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, public_pem
    from adapters.embedded.postgres import EmbeddedPostgres
    from adapters.embedded.redis import EmbeddedRedis
    from adapters.postgres.migrations import upgrade

    results: list[Case] = []
    scratch = Path(tempfile.mkdtemp(prefix="cap-bench-"))
    logs = scratch / "logs"
    logs.mkdir()
    try:
        with EmbeddedPostgres(scratch / "postgres") as postgres, EmbeddedRedis(scratch / "redis") as redis:
            upgrade(postgres.url)
            queue_jobs(postgres.url, redis.url, QUEUED_JOBS)
            # Production refuses to start without a way to verify Clerk tokens; no request here
            # carries one, so a throwaway key is enough.
            base_env = server_env(
                postgres.url,
                redis.url,
                api_key=API_KEY,
                jwt_key_pem=public_pem(dev_signing_key(scratch)),
                issuer=DEV_ISSUER,
            )
            for server in args.servers:
                for workers in args.workers:
                    bare = [sys.executable, "-m", "bench.bare_app", "{port}", str(workers), server]
                    variants: list[tuple[str, str, list[str]]] = [("bare", "-", bare)]
                    for level in args.log_levels:
                        command = [sys.executable, "-m", "entrypoints.cli", "run", "--host", HOST]
                        command += ["--port", "{port}", "--workers", str(workers), "--server", server]
                        variants.append(("cap-portal", level, command))
                    variants = [v for v in variants if v[0] in args.apps]
                    with contextlib.ExitStack() as running:
                        bases: list[tuple[str, str, tuple[str, int], Path]] = []
                        for app, level, template in variants:
                            port = free_port()
                            command = [part.replace("{port}", str(port)) for part in template]
                            env = {**base_env, "LOG_LEVEL": level if level != "-" else "WARNING"}
                            log = logs / f"{app}-{server}-{workers}-{level}.log"
                            bases.append(
                                (
                                    app,
                                    level,
                                    running.enter_context(server_process(command, env, log, port)),
                                    log,
                                )
                            )
                        for path in args.paths:
                            for connections in args.connections:
                                cases = [
                                    Case(app, server, workers, level, path, connections)
                                    for app, level, _, _ in bases
                                ]
                                for _ in range(args.rounds):
                                    for case, (_, _, (base, group), _) in zip(cases, bases, strict=True):
                                        measure(
                                            base,
                                            group,
                                            case,
                                            threads=args.threads,
                                            duration=args.duration,
                                            warmup=args.warmup,
                                        )
                                results.extend(cases)
                        for app, level, _, log in bases:
                            if app == "cap-portal" and level == "INFO":
                                lines = sum(1 for _ in log.open("rb"))
                                print(
                                    f"    ({lines} access/log lines written by the INFO server)", flush=True
                                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


# --- the report -----------------------------------------------------------------------------------


def table(results: list[Case]) -> str:
    """Markdown: one row per case, with the bare app's figure for the same setting beside ours."""
    bare = {
        (c.server, c.workers, c.path, c.connections): c.requests_per_second
        for c in results
        if c.app == "bare"
    }
    rows = [
        "| server | workers | app | LOG_LEVEL | path | conns | req/s | p50 ms | p99 ms | server CPU µs/req "
        "| vs bare | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in results:
        reference = bare.get((c.server, c.workers, c.path, c.connections))
        ratio = f"{c.requests_per_second / reference:.0%}" if reference and c.app != "bare" else ""
        notes = list(c.notes)
        if c.app == "cap-portal" and c.path == "/health":
            notes.append(f"{c.requests_per_second / ORIGINAL_FLASK_HEALTH:.1f}x Flask")
        rows.append(
            f"| {c.server} | {c.workers} | {c.app} | {c.log_level} | `{c.path}` | {c.connections} "
            f"| {c.requests_per_second:,.0f} | {c.p50_ms:.2f} | {c.p99_ms:.2f} "
            f"| {c.server_cpu_us_per_request:.0f} | {ratio} "
            f"| {'; '.join(notes)} |"
        )
    return "\n".join(rows)


def _csv(kind: type) -> object:
    return lambda text: [kind(part) for part in text.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--apps", type=_csv(str), default=["bare", "cap-portal"])
    parser.add_argument("--servers", type=_csv(str), default=["uvicorn", "granian"])
    parser.add_argument("--workers", type=_csv(int), default=[1, 2])
    parser.add_argument("--log-levels", type=_csv(str), default=["WARNING", "INFO"])
    parser.add_argument("--paths", type=_csv(str), default=["/", "/health", "/jobs/queue-info"])
    parser.add_argument("--connections", type=_csv(int), default=[64])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="Samples per case (median reported).")
    parser.add_argument("--duration", default="5s")
    parser.add_argument("--warmup", default="1s")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    started = datetime.now(UTC)
    print(f"cap-portal HTTP benchmark, {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
    results = run(args)
    markdown = table(results)
    print("\n" + markdown)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"http-{started:%Y%m%dT%H%M%SZ}.json"
    out.write_text(
        json.dumps(
            {
                "started": started.isoformat(),
                "command": " ".join(sys.argv),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load": os.getloadavg(),
                },
                "settings": {k: v for k, v in vars(args).items()},
                "results": [asdict(c) for c in results],
            },
            indent=2,
        )
    )
    print(f"\nresults: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
