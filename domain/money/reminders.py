"""Payment reminders (upstream §4, ``send_payment_reminders_job``): on Friday, a family that could pay a
provider for next week and has paid no care day of it yet is told to pay by Monday — the day next
week's care days lock (domain/programme/business_time.py).

Who is reminded, per family: a child that is Approved and payment-enabled, with an allocation for the
month next week starts in that still has unselected budget, linked to at least one provider who is
Approved, payment-enabled and not a center (centers are paid by lump sums, not by the week); and no paid
care day of any of the family's children falls in next week (Monday to Sunday). Never once the programme
has ended: not on or after ``PROGRAM_END_DATE``, nor for a week that starts in a month the programme no
longer allocates (a week that starts in June and ends in July still reminds, as upstream's guard does).

One message per family and week: its cause is the week and the family, so a rerun of the job (or a
retried one) finds the first record and sends nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.notifications.model import About, Message, MessageKind, Recipient
from domain.programme.business_time import month_start, week_monday
from domain.programme.config import ProgrammeRules
from domain.programme.statuses import Language


@dataclass(frozen=True, slots=True)
class ReminderWeek:
    monday: date
    sunday: date

    @property
    def month(self) -> date:
        """The allocation month the reminder is about: the month the week starts in."""
        return month_start(self.monday)

    @staticmethod
    def after(today: date) -> ReminderWeek:
        monday = week_monday(today) + timedelta(days=7)
        return ReminderWeek(monday, monday + timedelta(days=6))


def reminders_stopped(today: date, week: ReminderWeek, rules: ProgrammeRules) -> bool:
    if rules.program_end_date is not None and today >= rules.program_end_date:
        return True
    return not rules.allows_allocations_for(week.month)


@dataclass(frozen=True, slots=True)
class FamilyToRemind:
    family_id: str
    email: str
    first_name: str
    language: Language
    children: tuple[str, ...]  # first names, sorted
    providers: tuple[str, ...]  # the providers they can pay, sorted


def payment_reminder(family: FamilyToRemind, week: ReminderWeek) -> Message:
    return Message(
        kind=MessageKind.PAYMENT_REMINDER,
        recipient=Recipient(family.email, family.language, family.first_name),
        cause=f"payment_reminder:{week.monday.isoformat()}:family:{family.family_id}",
        about=About("family", family.family_id),
        data={
            "first_name": family.first_name,
            "children": list(family.children),
            "providers": list(family.providers),
            "week_start": week.monday.isoformat(),
            "week_end": week.sunday.isoformat(),
            "deadline": week.monday.isoformat(),
            "path": "/family",
        },
    )
