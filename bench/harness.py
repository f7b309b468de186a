"""What the benchmarks share: embedded servers, ``cap-portal run`` in its own process group, JSON calls
to it, wrk and its output, the server's CPU time, and SQL statement counts from pg_stat_statements.

Everything binds to 127.0.0.1 and everything started here is stopped here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"

# --- wrk ------------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, p50, p99, request count and error counts from ``wrk --latency`` output."""
    found: dict[str, float] = {}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        found["requests_per_second"] = float(m[1])
    if m := re.search(r"^\s+50%\s+(\S+)", output, re.M):
        found["p50_ms"] = _ms(m[1])
    if m := re.search(r"^\s+99%\s+(\S+)", output, re.M):
        found["p99_ms"] = _ms(m[1])
    if m := re.search(r"(\d+) requests in", output):
        found["requests"] = int(m[1])
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        found["non_2xx"] = int(m[1])
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        found["socket_errors"] = sum(int(g) for g in m.groups())
    if "requests_per_second" not in found:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return found


def wrk(
    url: str,
    *,
    threads: int,
    connections: int,
    duration: str,
    headers: Sequence[str] = (),
    script: Path | None = None,
) -> dict[str, float]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    result = subprocess.run([*command, url], capture_output=True, text=True, timeout=600, check=True)
    return parse_wrk(result.stdout)


# --- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 - our own loopback URL
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer {url} within {timeout}s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def server_process(
    command: list[str], env: dict[str, str], log: Path, port: int
) -> Iterator[tuple[str, int]]:
    """Start a server in its own process group, yield its base URL and group id, then stop the group."""
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        base = f"http://{HOST}:{port}"
        try:
            wait_until_serving(base + "/health", process, log)
            yield base, process.pid
        finally:
            _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # Workers of a server that died abruptly may outlive it; the group is ours alone.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def cap_portal_run(port: int, *, workers: int = 1, server: str = "granian") -> list[str]:
    """The command line of the web server as production runs it."""
    command = [sys.executable, "-m", "entrypoints.cli", "run", "--host", HOST, "--port", str(port)]
    return [*command, "--workers", str(workers), "--server", server]


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(group: int) -> float:
    """User + system CPU time of every live process in a process group (the server and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) == group:  # pgrp
                total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _CLOCK_TICKS


# --- the servers ----------------------------------------------------------------------------------


def server_env(
    database_url: str, redis_url: str, *, api_key: str, jwt_key_pem: str, issuer: str
) -> dict[str, str]:
    """``cap-portal run``'s environment: production settings, trusting the given signing key."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "API_KEY": api_key,
        "APP_ENV": "production",
        "APP_VERSION": "bench",
        "LOG_LEVEL": "WARNING",
        "CLERK_JWT_KEY": jwt_key_pem,
        "CLERK_ISSUER": issuer,
        # Production refuses the sandbox gateway; the measured routes never call the gateway, so an
        # unreachable Chek (a closed port) is the honest production setting for a benchmark.
        "PAYMENT_GATEWAY": "chek",
        "CHEK_BASE_URL": "http://127.0.0.1:9",
        "CHEK_ACCOUNT_ID": "bench",
        "CHEK_PROGRAM_ID": "bench",
        "CHEK_API_KEY": "bench",
        "CHEK_WRITE_KEY": "bench",
    }


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def sql(database_url: str, statement: str, *args: Any) -> list[asyncpg.Record]:
    """Run one statement on its own connection (for seeding and resets, not the measured path)."""

    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            return list(await connection.fetch(statement, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def preload_statement_stats(postgres: Any) -> None:
    """Turn on pg_stat_statements in an embedded server (it must be preloaded: one restart)."""
    sql(postgres.url, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    sql(postgres.url, "ALTER SYSTEM SET pg_stat_statements.track_utility = on")
    postgres.stop()
    postgres.start()
    sql(postgres.url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


class StatementStats:
    """SQL statements the server ran for the application's database, from pg_stat_statements.

    BEGIN, COMMIT and ROLLBACK are counted too: each is a round trip like any query. Our own
    resets and reads are left out.
    """

    def __init__(self, database_url: str) -> None:
        self._url = database_url

    def reset(self) -> None:
        sql(self._url, "SELECT pg_stat_statements_reset()")

    def calls(self) -> dict[str, int]:
        rows = sql(
            self._url,
            "SELECT query, sum(calls)::bigint AS calls FROM pg_stat_statements"
            " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND query NOT ILIKE '%pg_stat_statements%' GROUP BY query",
        )
        return {row["query"]: int(row["calls"]) for row in rows}

    def total(self) -> int:
        return sum(self.calls().values())


# --- JSON calls -----------------------------------------------------------------------------------


def call(
    method: str, url: str, body: object | None = None, *, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One JSON request; the status and the decoded body (None when empty)."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, headers=sent, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    return status, json.loads(payload) if payload else None


def call_ok(
    method: str, url: str, body: object | None = None, *, headers: dict[str, str] | None = None
) -> Any:
    status, answer = call(method, url, body, headers=headers)
    if not 200 <= status < 300:
        raise RuntimeError(f"{method} {url} answered {status}: {answer}")
    return answer
