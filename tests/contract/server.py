"""A real API server for the contract tier: ``cap-portal run`` in its own process, on the test database,
trusting the test token key, with one onboarded household so that a family's token reaches real rows."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import TEST_API_KEY
from tests.e2e.programme_support import family_body, provider_body
from tests.fake_clerk import SECRET_KEY, FakeClerk
from tests.infrastructure import truncate_all
from tests.job_processes import ROOT, process_env
from tests.tokens import AUTHORIZED_PARTY, ISSUER, WEBHOOK_SECRET, TokenMinter, public_pem

OPERATOR = {"X-API-Key": TEST_API_KEY}
TOKEN_LIFETIME_SECONDS = 3 * 3600  # outlives the whole run, however slow the machine


@dataclass
class RunningApi:
    base_url: str
    operator_headers: dict[str, str]
    family_headers: dict[str, str]
    cases: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count_case(self) -> None:
        with self._lock:
            self.cases += 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cap-portal run exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling a starting process; the deadline, not the sleep, bounds the wait
    raise RuntimeError(f"cap-portal run was not healthy within {seconds} s")


def _post(client: httpx.Client, path: str, body: Any, headers: dict[str, str] = OPERATOR) -> dict[str, Any]:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _seed_household(client: httpx.Client, minter: TokenMinter, clerk: FakeClerk) -> dict[str, str]:
    family = _post(client, "/admin/families", family_body("contract", children=2))
    provider = _post(client, "/admin/providers", provider_body("contract"))
    child_id = family["children"][0]["id"]
    linked = client.put(f"/admin/providers/{provider['id']}/children/{child_id}", headers=OPERATOR)
    assert linked.status_code == 200, linked.text
    clerk.add_user("user_famcontract", "ana.contract@x.org")
    clerk.add_user("user_provcontract", "pat.contract@x.org")
    _post(client, "/family/onboard", {"clerk_user_id": "user_famcontract", "family_id": family["id"]})
    _post(client, "/provider/onboard", {"clerk_user_id": "user_provcontract", "provider_id": provider["id"]})
    expires = int(time.time()) + TOKEN_LIFETIME_SECONDS
    provider_headers = {"Authorization": f"Bearer {minter.token('user_provcontract', exp=expires)}"}
    rates = {"half_day_rate_cents": 4_000, "full_day_rate_cents": 7_000}
    _post(client, f"/payment-rates/{child_id}", rates, headers=provider_headers)
    return {"Authorization": f"Bearer {minter.token('user_famcontract', exp=expires)}"}


@contextmanager
def running_api(
    database_url: str, redis_url: str, minter: TokenMinter, clerk: FakeClerk
) -> Iterator[RunningApi]:
    port = _free_port()
    env = process_env(
        database_url,
        redis_url,
        CLERK_JWT_KEY=public_pem(minter.key),
        CLERK_ISSUER=ISSUER,
        CLERK_AUTHORIZED_PARTIES=AUTHORIZED_PARTY,
        CLERK_SECRET_KEY=SECRET_KEY,
        CLERK_WEBHOOK_SECRET=WEBHOOK_SECRET,
        CLERK_API_URL=clerk.api_url,
    )
    command = [sys.executable, "-m", "entrypoints.cli", "run", "--server", "uvicorn", "--workers", "1"]
    process = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, process)
        clerk.reset()
        with httpx.Client(base_url=base_url, timeout=30) as client:
            family_headers = _seed_household(client, minter, clerk)
        yield RunningApi(base_url, OPERATOR, family_headers)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        clerk.reset()
        asyncio.run(truncate_all(database_url))
