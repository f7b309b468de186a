"""Email by SMTP (aiosmtplib): the embedded default, what compose uses, and what `cap-portal dev` points
at its local mailbox.

A 5xx answer (a refused address, a refused sender, bad credentials) is permanent; a 4xx answer, a
connection that fails or an answer that does not come within the timeout is an outage, retried.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Literal

import aiosmtplib

from domain.notifications.errors import DeliveryFailed
from domain.notifications.ports import Email, Receipt

SmtpSecurity = Literal["none", "starttls", "tls"]
NAME = "smtp"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: SmtpSecurity = "none"
    timeout_seconds: float = 10.0


def email_message(email: Email, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((email.from_name, email.from_address))
    message["To"] = ", ".join(email.to)
    message["Subject"] = email.subject
    message["Message-ID"] = message_id
    if email.reply_to:
        message["Reply-To"] = email.reply_to
    # Our record's key, so a message found in a mailbox can be traced to its row.
    message["X-CAP-Message-Key"] = email.idempotency_key
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    return message


class SmtpEmailSender:
    """Satisfies ``domain.notifications.ports.EmailSender``."""

    name = NAME

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send_email(self, email: Email) -> Receipt:
        settings = self._settings
        domain = email.from_address.rpartition("@")[2] or "localhost"
        message_id = make_msgid(domain=domain)
        try:
            await aiosmtplib.send(
                email_message(email, message_id),
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.security == "tls",
                start_tls=settings.security == "starttls",
                timeout=settings.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [r.code for r in refused.recipients]
            detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in refused.recipients)
            raise self._failed(
                f"recipients refused ({detail})", permanent=all(c >= 500 for c in codes)
            ) from None
        except aiosmtplib.SMTPResponseException as answer:
            raise self._failed(f"{answer.code} {answer.message}", permanent=answer.code >= 500) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as down:
            what = type(down).__name__
            raise self._failed(f"{settings.host}:{settings.port} {what}: {down}", permanent=False) from None
        return Receipt(NAME, message_id)

    def _failed(self, message: str, *, permanent: bool) -> DeliveryFailed:
        return DeliveryFailed(f"SMTP: {message}", permanent=permanent, provider=NAME)
