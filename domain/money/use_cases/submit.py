"""Submit = pay: a family pays one provider for the month's scheduled care days, in one intent.

The allocation's row is locked before the days are read, exactly as every care-day write locks it, so a
submit and a removal of the same day take turns: the submit either sees the day removed (and leaves it)
or claims it first (and the removal then finds it submitted and refuses). Twenty submits at once claim the
days once: the first takes them, the others find nothing left to pay.

Days in a locked week are not paid (upstream paid them at submit ⚠): a week is scheduled and paid by
its own Monday night; a day left unsubmitted past then stays unpaid and its money goes back with the
month's remainder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.attendance.block import check_attendance_entered
from domain.money.errors import NothingToPay, ProviderPaymentsNotEnabled
from domain.money.payments import IntentItem, IntentStatus, PaymentIntent, PaymentKind, PaymentRules
from domain.money.ports import MoneyUnitOfWork, PaymentGateway
from domain.money.use_cases.paying import PaymentOutcome, claim_payment, pay_intent
from domain.programme.actors import Actor
from domain.programme.allocations import selected_cents
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDay
from domain.programme.errors import (
    AllocationExceeded,
    AllocationNotFound,
    ChildNotFound,
    ChildNotPaymentEnabled,
    InvalidField,
    ProviderNotFound,
    ProviderNotLinked,
)
from domain.programme.use_cases.care_day_access import CareDayView, view_care_day
from domain.programme.use_cases.reading import requested_month


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    child_id: str
    provider_id: str
    month: int
    year: int


@dataclass(frozen=True, slots=True)
class SubmitResult:
    intent: PaymentIntent  # its status says how far the payment got: paid, retrying or failed
    care_days: tuple[CareDayView, ...]
    outcome: PaymentOutcome

    @property
    def status(self) -> IntentStatus:
        return self.intent.status


def payable_days(days: list[CareDay], provider_id: str, calendar: BusinessCalendar) -> list[CareDay]:
    return [
        day
        for day in days
        if day.provider_id == provider_id
        and not day.is_deleted
        and not day.is_submitted
        and not calendar.is_locked(day.date)
    ]


async def submit_care_days(
    uow: MoneyUnitOfWork,
    gateway: PaymentGateway,
    calendar: BusinessCalendar,
    rules: PaymentRules,
    actor: Actor,
    request: SubmitRequest,
) -> SubmitResult:
    """Claims the provider's payable days of the month and pays them; pre-check refusals raise (nothing
    is claimed), a gateway failure after the claim is in the result's status (the days stay claimed)."""
    start = requested_month(request.month, request.year)
    async with uow:
        child = await uow.children.get(request.child_id)
        if child is None or not actor.is_family(child.family_id):
            raise ChildNotFound()
        if not child.payment_enabled:
            raise ChildNotPaymentEnabled()
        provider = await uow.providers.get(request.provider_id)
        if provider is None:
            raise ProviderNotFound()
        if not provider.payment_enabled:
            raise ProviderPaymentsNotEnabled()
        if not await uow.links.is_linked(provider.id, child.id):
            raise ProviderNotLinked()
        await check_attendance_entered(uow.attendance, calendar.today(), child.id, provider.id)
        found = await uow.allocations.get_for_child_month(child.id, start)
        if found is None:
            raise AllocationNotFound()
        allocation = await uow.allocations.get_for_update(found.id)
        if allocation is None:
            raise AllocationNotFound()
        days = await uow.care_days.list_for_allocation(allocation.id)
        if selected_cents(allocation, days) > allocation.net_allocation_cents:
            raise AllocationExceeded("More is scheduled than the month's allocation holds")
        paying = payable_days(days, provider.id, calendar)
        if not paying:
            raise NothingToPay()
        items = [IntentItem(day.amount_cents, care_day_id=day.id) for day in paying]
        intent = await claim_payment(
            uow,
            rules,
            calendar.now(),
            kind=PaymentKind.CARE_DAYS,
            family_id=child.family_id,
            allocation=allocation,
            provider_id=provider.id,
            items=items,
        )
        await uow.commit()
    outcome = await pay_intent(uow, gateway, calendar.clock, rules, intent.id)
    payment_id = outcome.payment.id if outcome.payment is not None else None
    claimed = tuple(
        view_care_day(
            replace(
                day,
                last_submitted_at=intent.created_at,
                payment_distribution_requested=True,
                payment_id=payment_id,
                updated_at=intent.created_at,
            ),
            calendar,
        )
        for day in paying
    )
    return SubmitResult(outcome.intent, claimed, outcome)


def parse_month(month: str, year: str) -> tuple[int, int]:
    """The path's month and year as the month view reads them."""
    if not month.isdigit():
        raise InvalidField("month", "must be a whole number")
    if not year.isdigit():
        raise InvalidField("year", "must be a whole number")
    return int(month), int(year)
