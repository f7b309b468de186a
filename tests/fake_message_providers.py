"""Local HTTP servers standing in for Postmark, SendGrid and Twilio (on tests/fake_http.py).

Each records every request, checks its credential the way the service does, answers like the
service (its success shape and its error bodies), and can be told to fail: ``down`` (503),
``slow_seconds`` (answer late, for timeouts) or ``answer_next`` (the next requests get these answers).
"""

from __future__ import annotations

import base64
import itertools
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tests.fake_http import Answer, HttpRequest, Reply, serving

POSTMARK_TOKEN = "postmark-server-token-secret"
SENDGRID_KEY = "SG.sendgrid-api-key-secret"
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-auth-token-secret"
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


@dataclass
class FakeProvider:
    url: str = ""
    requests: list[HttpRequest] = field(default_factory=list)
    down: bool = False
    slow_seconds: float = 0.0
    answer_next: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        with self.lock:
            self.requests, self.answer_next = [], []
            self.down, self.slow_seconds = False, 0.0

    def answer(self, request: HttpRequest) -> Answer:
        # Decided on arrival, sent after the delay: a late answer never takes a later test's script.
        with self.lock:
            self.requests.append(request)
            delay = self.slow_seconds
            answer = self._decide(request)
        if delay:
            time.sleep(delay)
        return answer

    def _decide(self, request: HttpRequest) -> Answer:
        if self.down:
            return Reply(503, b"Service Unavailable", {"Content-Type": "text/plain"})
        if self.answer_next:
            return self.answer_next.pop(0)
        return self.accept(request)

    def accept(self, request: HttpRequest) -> Answer:
        raise NotImplementedError

    def last_json(self) -> Any:
        return self.requests[-1].json()


@dataclass
class FakePostmark(FakeProvider):
    def accept(self, request: HttpRequest) -> Answer:
        if request.headers.get("X-Postmark-Server-Token") != POSTMARK_TOKEN:
            message = "The Server Token you provided in the header was invalid."
            return 401, {"ErrorCode": 10, "Message": message}
        body = request.json()
        if request.route != "/email":
            return 404, {"ErrorCode": 404, "Message": "Not found"}
        if not body.get("To") or not body.get("From"):
            return 422, {"ErrorCode": 300, "Message": "Invalid email request"}
        message_id = f"pm-{next(self.ids):04d}"
        return 200, {
            "To": body["To"],
            "SubmittedAt": "2026-12-03T12:00:00Z",
            "MessageID": message_id,
            "ErrorCode": 0,
            "Message": "OK",
        }


@dataclass
class FakeSendGrid(FakeProvider):
    def accept(self, request: HttpRequest) -> Answer:
        if request.headers.get("Authorization") != f"Bearer {SENDGRID_KEY}":
            message = "The provided authorization grant is invalid, expired, or revoked"
            return 401, {"errors": [{"message": message, "field": None, "help": None}]}
        if request.route != "/v3/mail/send":
            return 404, {"errors": [{"message": "Not found", "field": None}]}
        content = request.json().get("content") or []
        if not content or content[0]["type"] != "text/plain":
            message = "If present, text/plain content must be first, followed by text/html."
            return 400, {"errors": [{"message": message, "field": "content.0.type"}]}
        return Reply(202, b"", {"X-Message-Id": f"sg-{next(self.ids):04d}"})


@dataclass
class FakeTwilio(FakeProvider):
    def accept(self, request: HttpRequest) -> Answer:
        expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if request.route != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        form = request.form()
        if not _E164.match(form.get("To", "")):
            message = f"The 'To' number {form.get('To')} is not a valid phone number."
            return 400, {"code": 21211, "message": message, "status": 400}
        sid = f"SM{next(self.ids):032x}"
        sender = form.get("From") or form.get("MessagingServiceSid")
        return 201, {"sid": sid, "status": "queued", "to": form["To"], "from": sender, "body": form["Body"]}


Fake = TypeVar("Fake", bound=FakeProvider)


@contextmanager
def running(fake: Fake) -> Iterator[Fake]:
    with serving(fake.answer, methods=("POST",)) as url:
        fake.url = url
        yield fake
