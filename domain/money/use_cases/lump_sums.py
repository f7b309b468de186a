"""``POST /lump-sums``: record a lump sum and pay it at once through the payment flow.

Under the allocation's row lock (the one care-day writes, submits and reclamation take): the caller's
child, the provider linked and payment-enabled, the month open, the amount within the allocation's
unselected remainder; then the lump sum, the allocation's ``lump_sum_cents`` and the payment intent that
claims it, committed together — a refused pre-check of the payment (a provider not payable, a wallet
short) leaves no lump sum behind. The payment is made after the commit; if the gateway fails, the lump sum
stays claimed by its intent, which the payment sweep retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.attendance.block import check_attendance_entered
from domain.money.errors import ProviderPaymentsNotEnabled
from domain.money.lump_sums import (
    LumpSum,
    LumpSumRequest,
    check_fits_unselected,
    check_month_open,
    check_request,
)
from domain.money.payments import IntentItem, IntentStatus, PaymentIntent, PaymentKind, PaymentRules
from domain.money.ports import MoneyUnitOfWork, PaymentGateway
from domain.money.use_cases.paying import PaymentOutcome, claim_payment, pay_intent
from domain.programme.actors import Actor
from domain.programme.allocations import remaining_unselected_cents
from domain.programme.business_time import BusinessCalendar
from domain.programme.errors import (
    AllocationNotFound,
    ChildNotPaymentEnabled,
    ProviderNotFound,
    ProviderNotLinked,
)
from domain.programme.use_cases.care_day_access import owned_allocation_for_update


class LumpSumRepository(Protocol):
    async def add(self, request: LumpSumRequest, at: datetime) -> LumpSum:
        """Stores the lump sum and adds its amount to the allocation's ``lump_sum_cents``."""
        ...


class LumpSumUnitOfWork(MoneyUnitOfWork, Protocol):
    @property
    def lump_sums(self) -> LumpSumRepository: ...


@dataclass(frozen=True, slots=True)
class LumpSumResult:
    lump_sum: LumpSum
    intent: PaymentIntent  # its status says how far the payment got: paid, retrying or failed
    outcome: PaymentOutcome

    @property
    def status(self) -> IntentStatus:
        return self.intent.status


async def create_lump_sum(
    uow: LumpSumUnitOfWork,
    gateway: PaymentGateway,
    calendar: BusinessCalendar,
    rules: PaymentRules,
    actor: Actor,
    request: LumpSumRequest,
) -> LumpSumResult:
    check_request(request, max_payment_cents=rules.max_payment_cents)
    async with uow:
        allocation = await owned_allocation_for_update(uow, actor, request.allocation_id)
        child = await uow.children.get(allocation.child_id)
        if child is None:
            raise AllocationNotFound()
        if not child.payment_enabled:
            raise ChildNotPaymentEnabled()
        provider = await uow.providers.get(request.provider_id)
        if provider is None:
            raise ProviderNotFound()
        if not await uow.links.is_linked(provider.id, child.id):
            raise ProviderNotLinked()
        if not provider.payment_enabled:
            raise ProviderPaymentsNotEnabled()
        await check_attendance_entered(uow.attendance, calendar.today(), child.id, provider.id)
        check_month_open(allocation.month, calendar.today())
        days = await uow.care_days.list_for_allocation(allocation.id)
        check_fits_unselected(request.amount_cents, remaining_unselected_cents(allocation, days))
        lump_sum = await uow.lump_sums.add(request, calendar.now())
        intent = await claim_payment(
            uow,
            rules,
            calendar.now(),
            kind=PaymentKind.LUMP_SUM,
            family_id=child.family_id,
            allocation=allocation,
            provider_id=provider.id,
            items=[IntentItem(lump_sum.amount_cents, lump_sum_id=lump_sum.id)],
        )
        await uow.commit()
    outcome = await pay_intent(uow, gateway, calendar.clock, rules, intent.id)
    return LumpSumResult(lump_sum, outcome.intent, outcome)
