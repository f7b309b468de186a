"""SMS by Twilio's Programmable Messaging API (``POST /2010-04-01/Accounts/{sid}/Messages.json``, a form,
HTTP basic auth with the account SID and auth token).

Twilio answers 201 with the message's ``sid``, or 4xx with ``{"code": ..., "message": ...}`` (400 and
code 21211: the ``To`` number is not valid; 401 and 20003: the credentials). Only E.164 numbers are
sent (upstream sent raw ones); anything else fails at once, before Twilio is asked. What the answers
mean: ``http_api``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.notifications.http_api import post
from domain.notifications.errors import DeliveryFailed
from domain.notifications.model import InvalidPhoneNumber, checked_phone_number
from domain.notifications.ports import Receipt, TextMessage

NAME = "twilio"


@dataclass(frozen=True, slots=True)
class TwilioSettings:
    account_sid: str
    auth_token: str = field(repr=False)
    # One of the two: the number texts come from, or the Messaging Service that picks one.
    from_number: str | None = None
    messaging_service_sid: str | None = None
    api_url: str = "https://api.twilio.com"
    timeout_seconds: float = 10.0


def twilio_form(message: TextMessage, settings: TwilioSettings) -> dict[str, str]:
    form = {"To": message.to, "Body": message.body}
    if settings.messaging_service_sid:
        form["MessagingServiceSid"] = settings.messaging_service_sid
    else:
        form["From"] = settings.from_number or ""
    return form


def _describe(error: Any) -> str:
    return f"{error['code']} {error['message']}"


class TwilioSmsSender:
    """Satisfies ``domain.notifications.ports.SmsSender``."""

    name = NAME

    def __init__(self, settings: TwilioSettings) -> None:
        self._settings = settings

    async def send_sms(self, message: TextMessage) -> Receipt:
        try:
            checked_phone_number(message.to)
        except InvalidPhoneNumber as refused:
            raise DeliveryFailed(f"twilio: {refused.message}", permanent=True, provider=NAME) from None
        settings = self._settings
        response = await post(
            NAME,
            f"{settings.api_url.rstrip('/')}/2010-04-01/Accounts/{settings.account_sid}/Messages.json",
            timeout_seconds=settings.timeout_seconds,
            describe=_describe,
            data=twilio_form(message, settings),
            auth=(settings.account_sid, settings.auth_token),
        )
        sid = response.json().get("sid")
        return Receipt(NAME, str(sid) if sid else None)
