"""Friday's payment reminders (domain/money/reminders.py says who and why): one transaction records a
message per family through ``uow.notifier``, all in one batch (``GET /message-batches/{id}`` counts them);
the notifications' jobs send them after the commit."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from domain.money.reminders import FamilyToRemind, ReminderWeek, payment_reminder, reminders_stopped
from domain.notifications.batches import NewBatch
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.ports import ProgrammeUnitOfWork


class ReminderReads(Protocol):
    async def families_to_remind(self, week: ReminderWeek) -> list[FamilyToRemind]:
        """The families the rules of domain/money/reminders.py pick for the week, in one statement."""
        ...


class RemindersUnitOfWork(ProgrammeUnitOfWork, Protocol):
    @property
    def reminders(self) -> ReminderReads: ...


@dataclass
class ReminderRunSummary:
    week: ReminderWeek
    stopped: bool = False  # the programme has ended: nobody is reminded
    reminded: list[str] = field(default_factory=list)  # family ids asked for a message now
    already_reminded: list[str] = field(default_factory=list)  # a message for this week existed
    # The run's batch (None when nobody was to be reminded); it counts the messages asked for now.
    batch_id: int | None = None


async def send_payment_reminders(
    uow: RemindersUnitOfWork, calendar: BusinessCalendar, rules: ProgrammeRules
) -> ReminderRunSummary:
    today = calendar.today()
    week = ReminderWeek.after(today)
    summary = ReminderRunSummary(week)
    if reminders_stopped(today, week, rules):
        summary.stopped = True
        return summary
    async with uow:
        families = await uow.reminders.families_to_remind(week)
        if families:
            summary.batch_id = await uow.notifier.start_batch(_batch(week))
        for family in families:
            message = replace(payment_reminder(family, week), batch_id=summary.batch_id)
            queued = await uow.notifier.notify(message)
            (summary.reminded if queued.new else summary.already_reminded).append(family.family_id)
        await uow.commit()
    return summary


def _batch(week: ReminderWeek) -> NewBatch:
    monday = week.monday.isoformat()
    return NewBatch(f"Payment reminders, week of {monday}", "payment_reminder", {"week_start": monday})
