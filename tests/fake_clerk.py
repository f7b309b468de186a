"""A local HTTP server standing in for Clerk: the JWKS endpoint and the Backend API users.

Runs on 127.0.0.1 in a thread (tests/fake_http.py); the app reaches it over real HTTP, exactly as it
reaches Clerk.
It counts requests, can be switched "down" (503), and keeps users' public_metadata so tests can
see what the app wrote.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fake_http import Answer, HttpRequest, serving

SECRET_KEY = "sk_test_fake_clerk_secret"
_USER = re.compile(r"^/v1/users/(?P<id>[^/]+)(?P<metadata>/metadata)?$")


@dataclass
class FakeClerk:
    url: str = ""
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    down: bool = False
    jwks_fetches: int = 0
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"

    def add_user(self, user_id: str, email: str, public_metadata: dict[str, Any] | None = None) -> None:
        self.users[user_id] = user_object(user_id, email, public_metadata or {})

    def reset(self) -> None:
        with self.lock:
            self.jwks, self.users, self.down = {"keys": []}, {}, False
            self.jwks_fetches, self.requests = 0, []


def user_object(user_id: str, email: str, public_metadata: dict[str, Any]) -> dict[str, Any]:
    """A Clerk User object, trimmed to the fields the app reads (also the webhook's ``data``)."""
    return {
        "id": user_id,
        "object": "user",
        "primary_email_address_id": "idn_primary",
        "email_addresses": [
            {"id": "idn_other", "email_address": "old-" + email},
            {"id": "idn_primary", "email_address": email},
        ],
        "public_metadata": public_metadata,
    }


def _answer(fake: FakeClerk, request: HttpRequest) -> Answer:
    method, path, body = request.method, request.path, request.json()
    with fake.lock:
        fake.requests.append((method, path, body))
        if path == "/.well-known/jwks.json":
            fake.jwks_fetches += 1
        if fake.down:
            return 503, {"errors": [{"code": "unavailable"}]}
        if path == "/.well-known/jwks.json":
            return 200, fake.jwks
        if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return 401, {"errors": [{"code": "authentication_invalid"}]}
        match = _USER.match(path)
        user = fake.users.get(match["id"]) if match else None
        if user is None:
            return 404, {"errors": [{"code": "resource_not_found"}]}
        if method == "PATCH" and match and match["metadata"]:
            if not isinstance(body, dict):  # Clerk refuses a metadata update without a body
                return 422, {"errors": [{"code": "form_param_missing"}]}
            merged = {**user["public_metadata"], **body["public_metadata"]}
            user["public_metadata"] = {k: v for k, v in merged.items() if v is not None}
        return 200, user


@contextmanager
def running_fake_clerk() -> Iterator[FakeClerk]:
    fake = FakeClerk()
    with serving(lambda request: _answer(fake, request), methods=("GET", "PATCH")) as url:
        fake.url = url
        yield fake
