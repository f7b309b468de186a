"""Email by Postmark's HTTP API (``POST /email``, the server token in ``X-Postmark-Server-Token``).

Postmark answers 200 with the ``MessageID`` it gave the email, or 4xx with ``ErrorCode`` and
``Message`` (422: an invalid request or an inactive recipient; 401: a bad token). Our record's key
goes out as a header, as it does by SMTP. What the answers mean: ``http_api``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Any

from adapters.notifications.http_api import post
from domain.notifications.errors import DeliveryFailed
from domain.notifications.ports import Email, Receipt

NAME = "postmark"
KEY_HEADER = "X-CAP-Message-Key"


@dataclass(frozen=True, slots=True)
class PostmarkSettings:
    server_token: str = field(repr=False)
    api_url: str = "https://api.postmarkapp.com"
    message_stream: str = "outbound"
    timeout_seconds: float = 10.0


def postmark_body(email: Email, message_stream: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "From": formataddr((email.from_name, email.from_address)),
        "To": ", ".join(email.to),
        "Subject": email.subject,
        "TextBody": email.text,
        "MessageStream": message_stream,
        "Headers": [{"Name": KEY_HEADER, "Value": email.idempotency_key}],
    }
    if email.html is not None:
        body["HtmlBody"] = email.html
    if email.reply_to:
        body["ReplyTo"] = email.reply_to
    return body


def _describe(error: Any) -> str:
    return f"{error['ErrorCode']} {error['Message']}"


class PostmarkEmailSender:
    """Satisfies ``domain.notifications.ports.EmailSender``."""

    name = NAME

    def __init__(self, settings: PostmarkSettings) -> None:
        self._settings = settings

    async def send_email(self, email: Email) -> Receipt:
        settings = self._settings
        response = await post(
            NAME,
            f"{settings.api_url.rstrip('/')}/email",
            timeout_seconds=settings.timeout_seconds,
            describe=_describe,
            json=postmark_body(email, settings.message_stream),
            headers={"X-Postmark-Server-Token": settings.server_token, "Accept": "application/json"},
        )
        answer = response.json()
        # A 200 whose ErrorCode is not 0 is still a refusal (Postmark's documented shape).
        if answer.get("ErrorCode", 0) != 0:
            raise DeliveryFailed(f"postmark: {_describe(answer)}", permanent=True, provider=NAME)
        return Receipt(NAME, str(answer["MessageID"]) if answer.get("MessageID") else None)
