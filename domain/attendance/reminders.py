"""Attendance reminders (upstream §4, ``send_attendance_communications_job``): on Monday, Friday and Sunday
every family and provider with attendance due is asked to enter it — one message per person per run (an
email, and a text when the number is a valid E.164 one), however many children or weeks are due.

Who: a family with a family-side record due, for a child still linked to the record's provider; a
provider with a provider-side record due for a child it still cares for — a center only once the
record's month is over (centers attest monthly). Never on or after ``ATTENDANCE_CUTOFF_DATE``.

Upstream resent on every run by design; so do we, but once per person and day: a rerun (or a retried job)
the same day finds the first records and sends nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from domain.attendance.weeks import communications_stopped
from domain.notifications.batches import NewBatch
from domain.notifications.model import About, Message, MessageKind
from domain.notifications.reminder_runs import Reachable, ReminderRun, email_and_text, remind
from domain.programme.business_time import BusinessCalendar, month_start
from domain.programme.config import ProgrammeRules
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.statuses import Language

# The reminders' job, named here so a use case (a staff run) asks for it without importing the job.
SEND_ATTENDANCE_REMINDERS_JOB = "attendance.send_reminders"


@dataclass(frozen=True, slots=True)
class PersonToRemind:
    role: str  # "family" or "provider"
    id: str  # the family's or the provider's
    first_name: str
    email: str | None
    phone_number: str | None
    language: Language
    children: tuple[str, ...]  # first names, sorted
    weeks: tuple[date, ...]  # the Mondays due, ascending


class AttendanceReminderReads(Protocol):
    async def families_to_remind(self) -> list[PersonToRemind]:
        """Families with a family-side record due for a still-linked pair, one statement, by id."""
        ...

    async def providers_to_remind(self, centers_before: date) -> list[PersonToRemind]:
        """Providers with a provider-side record due for a child they still care for; a center's records
        only for weeks before ``centers_before`` (this month's first day), one statement, by id."""
        ...


class AttendanceRemindersUnitOfWork(ProgrammeUnitOfWork, Protocol):
    @property
    def attendance_reminders(self) -> AttendanceReminderReads: ...


def attendance_reminder(person: PersonToRemind, today: date) -> list[Message]:
    cause = f"attendance_reminder:{today.isoformat()}:{person.role}:{person.id}"
    about = About(person.role, person.id)
    data = {
        "first_name": person.first_name,
        "children": list(person.children),
        "weeks": [w.isoformat() for w in person.weeks],
        "path": f"/{person.role}",  # the home page, whose "attendance" notification opens the form
    }
    reachable = Reachable(person.first_name, person.email, person.phone_number, person.language)
    return email_and_text(MessageKind.ATTENDANCE_REMINDER, reachable, cause, about, data)


AttendanceReminderRun = ReminderRun  # who: "family:<id>" / "provider:<id>"


async def send_attendance_reminders(
    uow: AttendanceRemindersUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> AttendanceReminderRun:
    today = calendar.today()
    run = AttendanceReminderRun(today)
    if communications_stopped(today, rules.attendance_cutoff_date):
        run.stopped = True
        return run
    async with uow:
        people = await uow.attendance_reminders.families_to_remind()
        people += await uow.attendance_reminders.providers_to_remind(month_start(today))
        if people:
            run.batch_id = await uow.notifier.start_batch(_batch(today))
        for person in people:
            await remind(uow.notifier, run, f"{person.role}:{person.id}", attendance_reminder(person, today))
        await uow.commit()
    return run


def _batch(today: date) -> NewBatch:
    day = today.isoformat()
    return NewBatch(f"Attendance reminders, {day}", "attendance_reminder", {"day": day})
