"""What a message is in the programme's terms, before and after it is sent.

The domain asks for a message by its kind, its recipient, the recipient's language and plain data; it
never holds rendered text or HTML (templates are an adapter's business). Each message is a record
written in the transaction that caused it, with an idempotency key made of the cause and the
recipient: asking twice for the same cause (a repeated onboarding, a retried job) finds the first
record and sends nothing more.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.errors import RuleRefused
from domain.programme.statuses import Language

# How many times a message is tried before it is left failed (an operator may resend it).
MAX_ATTEMPTS = 5
STAFF = "staff"
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageKind(enum.StrEnum):
    """Every message the portal sends; each has its templates (adapters/notifications/templates)."""

    PORTAL_INVITATION = "portal_invitation"
    STAFF_ONBOARDED = "staff_onboarded"
    STAFF_PAYMENT_RATE_SET = "staff_payment_rate_set"
    PAYMENT_REMINDER = "payment_reminder"
    PAYMENT_RECEIVED = "payment_received"  # to the provider, when a payment reached their card or bank
    # Clerk's own invitation email, delivered by us (its `email.created` webhook): in the person's language.
    CLERK_INVITATION = "clerk_invitation"
    PROVIDER_INVITED = "provider_invited"
    FAMILY_INVITED = "family_invited"
    STAFF_INVITATION_MADE = "staff_invitation_made"
    STAFF_INVITATION_ACCEPTED = "staff_invitation_accepted"
    STAFF_PAYMENT_PROCESSED = "staff_payment_processed"  # care days or a lump sum paid to a provider
    INVITE_REMINDER = "invite_reminder"  # to a family with no provider yet: invite yours
    ATTENDANCE_REMINDER = "attendance_reminder"  # to a family or provider with attendance due
    STAFF_ATTENDANCE_ENTERED = "staff_attendance_entered"


# Staff read English; their messages have no translations to miss.
STAFF_KINDS = frozenset(
    {
        MessageKind.STAFF_ONBOARDED,
        MessageKind.STAFF_PAYMENT_RATE_SET,
        MessageKind.STAFF_INVITATION_MADE,
        MessageKind.STAFF_INVITATION_ACCEPTED,
        MessageKind.STAFF_PAYMENT_PROCESSED,
        MessageKind.STAFF_ATTENDANCE_ENTERED,
    }
)


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class InvalidPhoneNumber(RuleRefused):
    code = "invalid_phone_number"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person (an email address or an E.164 phone number) or the staff (INTERNAL_EMAIL_RECIPIENTS)."""

    address: str
    language: Language = Language.ENGLISH
    name: str | None = None

    @classmethod
    def staff(cls) -> Recipient:
        return cls(STAFF, Language.ENGLISH, None)

    @property
    def is_staff(self) -> bool:
        return self.address == STAFF


@dataclass(frozen=True, slots=True)
class About:
    """The domain record a message is about (a family, a provider, a payment rate...)."""

    type: str
    id: str


@dataclass(frozen=True, slots=True)
class Message:
    """A message asked for by a use case: sent after its transaction commits, once per cause and recipient.

    ``cause`` names what made it (``onboarding:family:<id>``); ``data`` is plain JSON for the templates.
    """

    kind: MessageKind
    recipient: Recipient
    cause: str
    about: About
    data: dict[str, Any] = field(default_factory=dict)
    channel: Channel = Channel.EMAIL
    # The bulk run it belongs to (domain/notifications/batches.py), if any.
    batch_id: int | None = None

    def __post_init__(self) -> None:
        if self.channel is Channel.SMS:
            checked_phone_number(self.recipient.address)

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.cause, self.channel, self.recipient.address)


def idempotency_key(cause: str, channel: Channel, address: str) -> str:
    return f"{cause}|{channel.value}:{address.strip().lower()}"


def checked_phone_number(number: str) -> str:
    """SMS goes to E.164 numbers only (+ country code, up to 15 digits); upstream sent raw ones."""
    if not _E164.match(number):
        raise InvalidPhoneNumber(
            f"{number!r} is not an E.164 phone number (like +13035550100): SMS is not sent to it.",
            details={"phone_number": number},
        )
    return number


@dataclass(frozen=True, slots=True)
class Queued:
    """The record a ``notify`` call found or made; ``new`` is False when the cause had already asked."""

    message_id: int
    new: bool


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    channel: Channel
    kind: MessageKind
    recipient: str
    language: Language
    data: dict[str, Any]
    about: About
    idempotency_key: str
    status: MessageStatus
    attempts: int
    created_at: datetime
    updated_at: datetime
    recipient_name: str | None = None
    subject: str | None = None
    provider: str | None = None
    provider_message_id: str | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    # Where it went when the recipient was the staff: the addresses of INTERNAL_EMAIL_RECIPIENTS then.
    sent_to: tuple[str, ...] = ()
    batch_id: int | None = None

    @property
    def recipient_as(self) -> Recipient:
        return Recipient(self.recipient, self.language, self.recipient_name)


def status_after_failure(attempts: int, *, permanent: bool) -> MessageStatus:
    """A refusal that retrying cannot change fails the message at once; an outage after MAX_ATTEMPTS."""
    if permanent or attempts >= MAX_ATTEMPTS:
        return MessageStatus.FAILED
    return MessageStatus.PENDING
