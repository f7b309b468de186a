"""A local HTTP server standing in for Chek's REST API (upstream-domain §5), in a thread on 127.0.0.1
(tests/fake_http.py).

The app reaches it over real HTTP, exactly as it reaches Chek. It keeps users, balances, cards and
DirectPay accounts, honours ``Idempotency-Key`` on money moves, checks ``API-Key`` (and ``Write-Key`` on
writes), and can be told to fail: ``down`` (503), ``slow_seconds`` (answer late, for timeouts) or
``refuse_next`` (the next write gets Chek's 400 error body).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fake_http import Answer, HttpRequest, serving

ACCOUNT_ID = "acct_test"
PROGRAM_ID = "prog_test"
API_KEY = "chek-api-key-secret-0001"
WRITE_KEY = "chek-write-key-secret-0002"
PREFIX = f"/api/v1/account/{ACCOUNT_ID}/"


@dataclass
class FakeChek:
    url: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by idempotency key
    programme_balance: int = 10_000_000
    down: bool = False
    slow_seconds: float = 0.0
    refuse_next: dict[str, Any] | None = None
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        with self.lock:
            self.users, self.transfers, self.requests = {}, {}, []
            self.programme_balance, self.down, self.slow_seconds, self.refuse_next = (
                10_000_000,
                False,
                0.0,
                None,
            )

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.ids)}"


def _answer(fake: FakeChek, request: HttpRequest) -> Answer:
    body = request.json()
    if fake.slow_seconds:
        time.sleep(fake.slow_seconds)
    with fake.lock:
        fake.requests.append((request.method, request.path, dict(request.headers.items()), body))
        return _Api(fake, request)._route(request.method, body)


class _Api:
    """Chek's routes for one request (under the fake's lock)."""

    def __init__(self, fake: FakeChek, request: HttpRequest) -> None:
        self.fake, self.path, self.headers = fake, request.path, request.headers

    def _route(self, method: str, body: Any) -> tuple[int, Any]:
        if self.fake.down:
            return 503, {"detail": "Service unavailable"}
        if self.headers.get("API-Key") != API_KEY:
            return 401, {"detail": "Invalid API key"}
        if method == "POST" and self.headers.get("Write-Key") != WRITE_KEY:
            return 403, {"detail": "Write key required"}
        if method == "POST" and self.fake.refuse_next is not None:
            refusal, self.fake.refuse_next = self.fake.refuse_next, None
            return 400, refusal
        parts = urlsplit(self.path)
        if not parts.path.startswith(PREFIX):
            return 404, {"detail": "Not found."}
        path = parts.path[len(PREFIX) :]
        key = self.headers.get("Idempotency-Key")
        if method == "POST" and key is not None and key in self.fake.transfers:
            return 201, self.fake.transfers[key]
        if method == "GET" and path == "users/":
            email = parse_qs(parts.query).get("email", [""])[0]
            # Chek's filter is a loose "contains"; the client must match exactly.
            found = [u for u in self.fake.users.values() if email.lower() in u["email"].lower()]
            return 200, {"count": len(found), "results": found}
        if method == "POST" and path == "users/":
            if not body.get("email"):
                return 400, {"email": ["This field is required."]}
            if len(f"{body['first_name']} {body['last_name']}") > 24:
                return 400, {"detail": "Name is longer than 24 characters"}
            created = {
                "id": self.fake.new_id("usr_"),
                "email": body["email"],
                "phone": body.get("phone"),
                "balance": 0,
                "directpay": None,
                "cards": [],
            }
            self.fake.users[created["id"]] = created
            return 201, created
        match = re.fullmatch(r"users/(?P<id>[^/]+)/(?P<action>create_card/|transfer_balance/)?", path)
        if match:
            user = self.fake.users.get(match["id"])
            if user is None:
                return 404, {"detail": "User not found."}
            if method == "GET" and match["action"] is None:
                return 200, user
            if match["action"] == "create_card/":
                card = {"id": self.fake.new_id("card_"), "status": "Active", "balance": 0}
                user["cards"].append(card)
                return 201, card
            if match["action"] == "transfer_balance/":
                return self._transfer(user, body, key)
        if method == "POST" and path == "directpay_accounts/invite/":
            user = self.fake.users.get(body.get("user_id"))
            if user is None:
                return 404, {"detail": "User not found."}
            user["directpay"] = {"id": self.fake.new_id("dp_"), "status": "Pending"}
            return 201, {**user["directpay"], "email": user["email"]}
        match = re.fullmatch(r"directpay_accounts/(?P<id>[^/]+)/send_payment/", path)
        if match and method == "POST":
            user = self.fake.users.get(match["id"])
            if user is None or not user["directpay"] or user["directpay"]["status"] != "Active":
                return 400, {"detail": "DirectPay account is not active"}
            return self._take(user, body["amount"], key, "ach_")
        match = re.fullmatch(r"cards/(?P<id>[^/]+)/transfer_balance/", path)
        if match and method == "POST":
            owner = next(
                (u for u in self.fake.users.values() if any(c["id"] == match["id"] for c in u["cards"])), None
            )
            if owner is None:
                return 404, {"detail": "Card not found."}
            return self._take(owner, body["amount"], key, "ctr_")
        return 404, {"detail": "Not found."}

    def _take(self, user: dict[str, Any], amount: int, key: str | None, prefix: str) -> tuple[int, Any]:
        if user["balance"] < amount:
            return 400, {"detail": "Insufficient wallet balance"}
        user["balance"] -= amount
        return self._done(prefix, amount, key)

    def _transfer(self, user: dict[str, Any], body: Any, key: str | None) -> tuple[int, Any]:
        amount, direction = body["amount"], body["flow_direction"]
        if body.get("program_id") != PROGRAM_ID:
            return 400, {"program_id": ["Unknown program."]}
        if direction == "program_to_wallet":
            if self.fake.programme_balance < amount:
                return 400, {"detail": "Insufficient program balance"}
            self.fake.programme_balance -= amount
            user["balance"] += amount
        elif direction == "wallet_to_program":
            if user["balance"] < amount:
                return 400, {"detail": "Insufficient wallet balance"}
            user["balance"] -= amount
            self.fake.programme_balance += amount
        elif direction == "wallet_to_wallet":
            other = self.fake.users.get(body.get("counterparty_id"))
            if other is None:
                return 404, {"detail": "Counterparty not found."}
            if user["balance"] < amount:
                return 400, {"detail": "Insufficient wallet balance"}
            user["balance"] -= amount
            other["balance"] += amount
        else:
            return 400, {"flow_direction": [f"{direction} is not a valid choice."]}
        return self._done("tr_", amount, key)

    def _done(self, prefix: str, amount: int, key: str | None) -> tuple[int, Any]:
        transfer = {"id": self.fake.new_id(prefix), "amount": amount, "status": "completed"}
        if key is not None:
            self.fake.transfers[key] = transfer
        return 201, transfer


@contextmanager
def running_fake_chek() -> Iterator[FakeChek]:
    fake = FakeChek()
    with serving(lambda request: _answer(fake, request), methods=("GET", "POST")) as url:
        fake.url = url
        yield fake
