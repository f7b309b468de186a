"""Email by SendGrid's v3 Mail Send API (``POST /v3/mail/send``, the API key as a bearer token).

SendGrid answers 202 with no body and the message's id in the ``X-Message-Id`` header, or 4xx with
``{"errors": [{"message": ..., "field": ...}]}`` (400: a rejected request; 401/403: the key). The text
part comes before the HTML part (SendGrid requires it); our record's key goes out as a header and as
a custom argument, so SendGrid's event webhooks could name it. What the answers mean: ``http_api``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.notifications.http_api import post
from domain.notifications.ports import Email, Receipt

NAME = "sendgrid"
KEY_HEADER = "X-CAP-Message-Key"


@dataclass(frozen=True, slots=True)
class SendGridSettings:
    api_key: str = field(repr=False)
    api_url: str = "https://api.sendgrid.com"
    timeout_seconds: float = 10.0


def sendgrid_body(email: Email) -> dict[str, Any]:
    content = [{"type": "text/plain", "value": email.text}]
    if email.html is not None:
        content.append({"type": "text/html", "value": email.html})
    body: dict[str, Any] = {
        "personalizations": [{"to": [{"email": address} for address in email.to]}],
        "from": {"email": email.from_address, "name": email.from_name},
        "subject": email.subject,
        "content": content,
        "headers": {KEY_HEADER: email.idempotency_key},
        "custom_args": {"cap_message_key": email.idempotency_key},
    }
    if email.reply_to:
        body["reply_to"] = {"email": email.reply_to}
    return body


def _describe(error: Any) -> str:
    return "; ".join(
        f"{item['message']} ({item['field']})" if item.get("field") else str(item["message"])
        for item in error["errors"]
    )


class SendGridEmailSender:
    """Satisfies ``domain.notifications.ports.EmailSender``."""

    name = NAME

    def __init__(self, settings: SendGridSettings) -> None:
        self._settings = settings

    async def send_email(self, email: Email) -> Receipt:
        settings = self._settings
        response = await post(
            NAME,
            f"{settings.api_url.rstrip('/')}/v3/mail/send",
            timeout_seconds=settings.timeout_seconds,
            describe=_describe,
            json=sendgrid_body(email),
            headers={"Authorization": f"Bearer {settings.api_key}"},
        )
        return Receipt(NAME, response.headers.get("X-Message-Id"))
