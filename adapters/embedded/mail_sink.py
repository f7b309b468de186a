"""The local SMTP sink `cap-portal dev` runs (aiosmtpd, in a thread on 127.0.0.1): it accepts every
message and keeps it in the development mailbox, so nothing sent in development leaves the machine.

It takes any sender and any recipient and needs no credentials: it is the mailbox, not a relay.
aiosmtpd is a development dependency (not in the production image), so only `dev` imports this.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller

from adapters.embedded._process import LOOPBACK, free_tcp_port
from adapters.embedded.mailbox import Mailbox


class _KeepEverything:
    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        mail_id = self._mailbox.deliver(raw, envelope.mail_from, list(envelope.rcpt_tos), datetime.now(UTC))
        return f"250 Kept in the development mailbox as {mail_id}"


class MailSink:
    """Start it (a free port unless one is given), hand its host and port to the email adapter, stop it."""

    def __init__(self, mailbox: Mailbox, port: int = 0) -> None:
        self.mailbox = mailbox
        self.host = LOOPBACK
        self.port = port
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> str:
        # aiosmtpd checks it is up by connecting to its port, so it cannot be given port 0.
        self.port = self.port or free_tcp_port()
        self.mailbox.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_KeepEverything(self.mailbox), hostname=self.host, port=self.port)
        self._controller.start()
        return self.url

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> MailSink:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
