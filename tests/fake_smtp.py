"""A real local SMTP server (aiosmtpd, in a thread on 127.0.0.1) that keeps what it is sent.

``refuse_with`` makes it answer RCPT with that reply ("550 ..." permanent, "451 ..." temporary);
``silent_smtp_server`` accepts connections and never says a word (for timeouts).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None, f"no text/{subtype} part"
        return str(part.get_content())


@dataclass
class FakeSmtp:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse_with: str | None = None
    arrived: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        self.received, self.refuse_with = [], None
        self.arrived.clear()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse_with is not None:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        self.arrived.set()
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_fake_smtp() -> Iterator[FakeSmtp]:
    fake = FakeSmtp(port=_free_port())
    controller = Controller(fake, hostname=fake.host, port=fake.port)
    controller.start()
    try:
        yield fake
    finally:
        controller.stop()


@contextmanager
def silent_smtp_server() -> Iterator[int]:
    """A port that accepts TCP connections and never answers: an SMTP server that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()
