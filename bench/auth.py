"""Benchmark: the cost of signing in — ``GET /auth/me`` with a valid token beside ``GET /``.

Starts embedded Postgres and Redis, migrates, runs ``cap-portal run`` (granian, 1 worker) trusting
a local signing key, creates the account, then drives both routes with wrk and prints requests/s,
p50 and p99 latency and the server's CPU time per request. Run from the checkout:

    .venv/bin/python -m bench.auth [--duration 15] [--connections 32] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, mint_dev_token, public_pem
from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis
from adapters.postgres.migrations import upgrade
from bench.harness import (
    call_ok,
    cap_portal_run,
    free_port,
    group_cpu_seconds,
    server_env,
    server_process,
    wrk,
)

API_KEY = "bench-api-key-0123456789"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        with EmbeddedPostgres(data / "pg") as postgres, EmbeddedRedis(data / "redis") as redis:
            upgrade(postgres.url)
            key = dev_signing_key(data)
            env = server_env(
                postgres.url, redis.url, api_key=API_KEY, jwt_key_pem=public_pem(key), issuer=DEV_ISSUER
            )
            port = free_port()
            with server_process(cap_portal_run(port), env, data / "server.log", port) as (base, group):
                account = {"clerk_user_id": "user_bench", "email": "b@x.org", "roles": ["family"]}
                call_ok("POST", f"{base}/admin/accounts", account, headers={"X-API-Key": API_KEY})
                token = mint_dev_token(
                    key, user_id="user_bench", issuer=DEV_ISSUER, authorized_party=None, minutes=30
                )
                wrk(f"{base}/", threads=1, connections=4, duration="2s")  # warm-up
                for name, path, headers in [
                    ("GET /", "/", []),
                    ("GET /auth/me (valid token)", "/auth/me", [f"Authorization: Bearer {token}"]),
                ]:
                    cpu = group_cpu_seconds(group)
                    sample = wrk(
                        base + path,
                        threads=args.threads,
                        connections=args.connections,
                        duration=f"{args.duration}s",
                        headers=headers,
                    )
                    if sample.get("non_2xx") or sample.get("socket_errors"):
                        raise SystemExit(f"{name}: errors during the run: {sample}")
                    cpu_us = (group_cpu_seconds(group) - cpu) / max(sample["requests"], 1) * 1e6
                    print(
                        f"{name:<30} {sample['requests_per_second']:>8.0f} req/s"
                        f"   p50 {sample['p50_ms']:6.2f} ms   p99 {sample['p99_ms']:7.2f} ms"
                        f"   server CPU {cpu_us:4.0f} µs/req   load {os.getloadavg()[0]:.2f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
