"""What the scheduled reminder runs share (invite reminders, attendance reminders): each person gets an
email and, when their number is a valid E.164 one, a text (upstream texted raw numbers; a malformed one
never stops the run); the run records, per person, whether it asked for messages now, found today's
already asked for (a rerun the same day), or had no way to reach them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from domain.errors import RuleRefused
from domain.notifications.model import About, Channel, Message, MessageKind, Recipient, checked_phone_number
from domain.notifications.ports import Notifier
from domain.programme.statuses import Language


@dataclass(frozen=True, slots=True)
class Reachable:
    """A person to remind, as the messages need them."""

    first_name: str
    email: str | None
    phone_number: str | None
    language: Language


def email_and_text(
    kind: MessageKind, person: Reachable, cause: str, about: About, data: dict[str, Any]
) -> list[Message]:
    """The email and the text for one person (either is missing when its address is)."""
    messages = []
    if person.email:
        recipient = Recipient(person.email, person.language, person.first_name)
        messages.append(Message(kind, recipient, cause, about, data))
    phone = textable(person.phone_number)
    if phone is not None:
        texted = Recipient(phone, person.language, person.first_name)
        messages.append(Message(kind, texted, cause, about, data, channel=Channel.SMS))
    return messages


def textable(number: str | None) -> str | None:
    if not number:
        return None
    try:
        return checked_phone_number(number.strip())
    except RuleRefused:
        return None  # the email still goes; a malformed number never stops the run


@dataclass
class ReminderRun:
    day: date
    stopped: bool = False  # the programme (or attendance) has ended: nobody is reminded
    reminded: list[str] = field(default_factory=list)  # who was asked for messages now
    already_reminded: list[str] = field(default_factory=list)  # their messages for today existed
    unreachable: list[str] = field(default_factory=list)  # no email and no textable number
    batch_id: int | None = None  # the run's batch (None when nobody was to be reminded)


async def remind(notifier: Notifier, run: ReminderRun, who: str, messages: list[Message]) -> None:
    """Asks for ``who``'s messages in the run's batch and records the outcome on ``run``."""
    if not messages:
        run.unreachable.append(who)
        return
    new = False
    for message in messages:
        new = (await notifier.notify(replace(message, batch_id=run.batch_id))).new or new
    (run.reminded if new else run.already_reminded).append(who)
