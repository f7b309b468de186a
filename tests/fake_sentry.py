"""A local fake Sentry on tests/fake_http.py: the SDK posts its envelopes to it over real HTTP (the DSN
points at it), and it keeps the JSON items: captured exceptions (``exceptions``) apart from captured
messages (``messages``), since tests of the error path and of a report (the books' drift) each read
their own kind."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.fake_http import Answer, HttpRequest, Reply, serving


class FakeSentry:
    def __init__(self) -> None:
        self.exceptions: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.dsn = ""

    def exception_types(self) -> list[str]:
        return [
            value["type"]
            for event in self.exceptions
            for value in event.get("exception", {}).get("values", [])
        ]

    def answer(self, request: HttpRequest) -> Answer:
        body = request.body
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        for line in body.splitlines():
            item = json.loads(line) if line.startswith(b"{") else None
            if not isinstance(item, dict):
                continue
            if "exception" in item:
                self.exceptions.append(item)
            elif "message" in item or "logentry" in item:
                self.messages.append(item)
        return Reply(200)


@contextmanager
def running_fake_sentry() -> Iterator[FakeSentry]:
    fake = FakeSentry()
    with serving(fake.answer, ("POST",)) as url:
        fake.dsn = f"http://publickey@{url.removeprefix('http://')}/1"
        yield fake
