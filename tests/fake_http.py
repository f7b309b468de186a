"""What our local fake HTTP servers share (Clerk, Chek, Postmark, SendGrid, Twilio): a real HTTP server
on 127.0.0.1 in a thread, each request read whole and handed to the fake as an ``HttpRequest``, and
what the fake answers written back (JSON by default). The app reaches a fake over real HTTP, exactly
as it reaches the service; the fakes keep their own state, recordings and failure switches.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str  # with its query string, as sent
    headers: Message  # case-insensitive .get()
    body: bytes

    def json(self) -> Any:
        """The body as JSON; None when there is none."""
        return json.loads(self.body) if self.body else None

    def form(self) -> dict[str, str]:
        """The body as an HTML form (application/x-www-form-urlencoded), as Twilio takes it."""
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))

    @property
    def route(self) -> str:
        """The path without its query string."""
        return urlsplit(self.path).path


@dataclass(frozen=True)
class Reply:
    """An answer that is not a JSON body: an empty one (SendGrid's 202) or one with its own headers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


# What a fake answers: (status, a JSON-able body) or a Reply.
Answer = tuple[int, Any] | Reply
Answering = Callable[[HttpRequest], Answer]


def _handler(answer: Answering, methods: tuple[str, ...]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            return None

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = HttpRequest(self.command, self.path, self.headers, self.rfile.read(length))
            self._reply(answer(request))

        def _reply(self, answered: Answer) -> None:
            if isinstance(answered, Reply):
                status, data, headers = answered.status, answered.body, answered.headers
            else:
                status, data = answered[0], json.dumps(answered[1]).encode()
                headers = {"Content-Type": "application/json"}
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test): nobody to answer

    # Only the methods the service answers: any other gets http.server's own 501, as from the real one.
    for method in methods:
        setattr(Handler, f"do_{method}", Handler._serve)
    return Handler


@contextmanager
def serving(answer: Answering, methods: tuple[str, ...] = METHODS) -> Iterator[str]:
    """Serve ``answer`` on a free port of 127.0.0.1 for as long as the block runs; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answer, methods))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
