"""Invite reminders (upstream §4, ``send_invite_reminders_job``): on Tuesdays and Fridays a family that has
no provider in the programme yet, and has never invited one, is asked to invite theirs.

Who, per family: it did not apply through an invitation's link (``link_id``), at least one child is
Approved, none of its children is linked to a provider, and it has never made an invitation to a provider.
The primary guardian gets an email, and a text when their phone number is a valid E.164 number (upstream
texted raw numbers), in the family's language, with the link to the first Approved child's invite page
(``/family/{child_id}/providers/invite``). Never on or after ``PROGRAM_END_DATE``.

Upstream resent on every run by design; so do we, but once per family and day: a rerun (or a retried
job) on the same day finds the first records and sends nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from domain.notifications.batches import NewBatch
from domain.notifications.model import About, Message, MessageKind
from domain.notifications.reminder_runs import Reachable, ReminderRun, email_and_text, remind
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.statuses import Language

# The reminders' job, named here so a use case (a staff run) asks for it without importing the job.
SEND_INVITE_REMINDERS_JOB = "invitations.send_invite_reminders"


@dataclass(frozen=True, slots=True)
class FamilyWithoutProvider:
    family_id: str
    first_name: str
    email: str | None
    phone_number: str | None
    language: Language
    first_child_id: str  # the first Approved child: the invite page is per child on the frontend


class InviteReminderReads(Protocol):
    async def families_without_provider(self) -> list[FamilyWithoutProvider]:
        """The families the rules above pick, in one statement, in family id order."""
        ...


class InviteRemindersUnitOfWork(ProgrammeUnitOfWork, Protocol):
    @property
    def invite_reminders(self) -> InviteReminderReads: ...


def invite_reminders_stopped(today: date, rules: ProgrammeRules) -> bool:
    return rules.program_end_date is not None and today >= rules.program_end_date


def invite_reminder(family: FamilyWithoutProvider, today: date) -> list[Message]:
    """The email and the text for one family (either may be missing when its address is)."""
    cause = f"invite_reminder:{today.isoformat()}:family:{family.family_id}"
    about = About("family", family.family_id)
    data = {"first_name": family.first_name, "path": f"/family/{family.first_child_id}/providers/invite"}
    person = Reachable(family.first_name, family.email, family.phone_number, family.language)
    return email_and_text(MessageKind.INVITE_REMINDER, person, cause, about, data)


InviteReminderRun = ReminderRun


async def send_invite_reminders(
    uow: InviteRemindersUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> InviteReminderRun:
    today = calendar.today()
    run = InviteReminderRun(today)
    if invite_reminders_stopped(today, rules):
        run.stopped = True
        return run
    async with uow:
        families = await uow.invite_reminders.families_without_provider()
        if families:
            run.batch_id = await uow.notifier.start_batch(_batch(today))
        for family in families:
            await remind(uow.notifier, run, family.family_id, invite_reminder(family, today))
        await uow.commit()
    return run


def _batch(today: date) -> NewBatch:
    day = today.isoformat()
    return NewBatch(f"Invite reminders, {day}", "invite_reminder", {"day": day})
