"""Benchmark: the cost of signing in — ``GET /auth/me`` with a valid token beside ``GET /``.

Starts embedded Postgres and Redis, migrates, runs ``cap-portal run`` (granian, 1 worker) trusting
a local signing key, creates the account, then drives both routes with wrk and prints requests/s
and p99 latency for each. Run from the checkout:

    .venv/bin/python bench/auth.py [--duration 15] [--connections 32] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, mint_dev_token, public_pem
from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.postgres.migrations import upgrade

API_KEY = "bench-api-key-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def _post(url: str, body: object) -> None:
    headers = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - our own local server
        pass


def _wrk(url: str, args: argparse.Namespace, header: str | None = None) -> tuple[float, str]:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", url]
    if header:
        command[1:1] = ["-H", header]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (rate and p99) or "Non-2xx" in output:
        raise SystemExit(f"unexpected wrk output:\n{output}")
    return float(rate.group(1)), p99.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        with EmbeddedPostgres(data / "pg") as postgres, EmbeddedRedis(data / "redis") as redis:
            upgrade(postgres.url)
            key = dev_signing_key(data)
            port = _free_port()
            env = {
                **os.environ,
                "APP_ENV": "testing",
                "DATABASE_URL": postgres.url,
                "REDIS_URL": redis.url,
                "API_KEY": API_KEY,
                "CLERK_JWT_KEY": public_pem(key),
                "CLERK_ISSUER": DEV_ISSUER,
                "LOG_LEVEL": "WARNING",
                "CAP_DATA_DIR": str(data),
            }
            server = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli", "run", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                _wait(f"{base}/health")
                _post(
                    f"{base}/admin/accounts",
                    {"clerk_user_id": "user_bench", "email": "b@x.org", "roles": ["family"]},
                )
                token = mint_dev_token(
                    key, user_id="user_bench", issuer=DEV_ISSUER, authorized_party=None, minutes=30
                )
                _wrk(f"{base}/", argparse.Namespace(threads=1, connections=4, duration=2))  # warm-up
                for name, url, header in [
                    ("GET /", f"{base}/", None),
                    ("GET /auth/me (valid token)", f"{base}/auth/me", f"Authorization: Bearer {token}"),
                ]:
                    rate, p99 = _wrk(url, args, header)
                    print(f"{name:<30} {rate:>10.0f} req/s   p99 {p99}")
            finally:
                server.terminate()
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
