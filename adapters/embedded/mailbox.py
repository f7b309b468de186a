"""The development mailbox: every message the local SMTP sink takes, one ``.eml`` file each.

The files live in ``$CAP_DATA_DIR/mail``. A message's id is its arrival time to the microsecond
(``20261203-124501-123456``), so ids sort in arrival order and `cap-portal mail show` can take a
short unique prefix. A file is written under a scratch name and renamed, so a reader never sees half
a message. Only the standard library here: `cap-portal mail` runs where aiosmtpd is not installed.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

MAIL_DIR = "mail"
SUFFIX = ".eml"
_ID_FORMAT = "%Y%m%d-%H%M%S-%f"
# Our record's key, set by the SMTP adapter: it ties a mailbox file to its row in `messages`.
MESSAGE_KEY_HEADER = "X-CAP-Message-Key"


class MailNotFound(LookupError):
    """No message, or more than one, has the id (or id prefix) asked for."""


@dataclass(frozen=True, slots=True)
class StoredMail:
    id: str
    path: Path
    message: EmailMessage

    @property
    def received_at(self) -> datetime:
        return datetime.strptime(self.id, _ID_FORMAT).replace(tzinfo=UTC)

    def header(self, name: str) -> str:
        return str(self.message.get(name, ""))

    def body(self, subtype: str = "plain") -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        # The file keeps the wire's CRLF line ends; whoever reads the body wants plain lines.
        return None if part is None else str(part.get_content()).replace("\r\n", "\n")


class Mailbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def deliver(self, content: bytes, sender: str, recipients: list[str], now: datetime) -> str:
        """Keep one message as it arrived, with its envelope (who the SMTP session named) on top."""
        self.directory.mkdir(parents=True, exist_ok=True)
        envelope = f"X-Envelope-From: {sender}\r\nX-Envelope-To: {', '.join(recipients)}\r\n".encode()
        scratch = self.directory / f".{uuid.uuid4().hex}.tmp"
        scratch.write_bytes(envelope + content)
        moment = now.astimezone(UTC)
        try:
            while True:
                mail_id = moment.strftime(_ID_FORMAT)
                try:
                    # A hard link is atomic and refuses an existing name: two messages in the same
                    # microsecond get two ids, and a reader sees a whole file or none.
                    os.link(scratch, self.directory / f"{mail_id}{SUFFIX}")
                except FileExistsError:
                    moment += timedelta(microseconds=1)
                    continue
                return mail_id
        finally:
            scratch.unlink(missing_ok=True)

    def ids(self) -> list[str]:
        """Oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(path.name.removesuffix(SUFFIX) for path in self.directory.glob(f"*{SUFFIX}"))

    def all(self) -> list[StoredMail]:
        return [self._read(mail_id) for mail_id in self.ids()]

    def get(self, wanted: str) -> StoredMail:
        """The message with this id, or the only one whose id starts with it."""
        wanted = wanted.strip().removesuffix(SUFFIX)
        ids = self.ids()
        if wanted in ids:
            return self._read(wanted)
        matches = [mail_id for mail_id in ids if wanted and mail_id.startswith(wanted)]
        if len(matches) == 1:
            return self._read(matches[0])
        if matches:
            raise MailNotFound(f"{len(matches)} messages have ids starting with {wanted!r}: give more of it")
        raise MailNotFound(f"no message {wanted!r} in {self.directory}")

    def _read(self, mail_id: str) -> StoredMail:
        path = self.directory / f"{mail_id}{SUFFIX}"
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        return StoredMail(mail_id, path, message)


def mailbox_in(data_dir: Path) -> Mailbox:
    return Mailbox(data_dir / MAIL_DIR)
