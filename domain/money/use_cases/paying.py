"""The payment flow: claim what is paid, then move the money in two gateway steps, resumable at each.

``claim_payment`` runs inside the caller's unit of work, with the allocation's row locked by the caller
(submit and lump sums both lock it first), so the remainder it checks is the one it spends. It stores the
intent and its items; the database refuses an item another intent holds.

``pay_intent`` moves the money, with the gateway called outside any transaction of ours (a slow gateway
holds no row lock and no connection):

1. lock the intent, open an attempt (instruments snapshotted), commit — so a process that dies during
   a gateway call leaves an intent ``processing`` with an attempt, which the sweep resumes;
2. family wallet → provider wallet, key ``payment_intent:<id>:family_to_provider``; record the ledger
   transaction and the transfer id on the intent (skipped on a retry once recorded);
3. provider wallet → card or bank, key ``payment_intent:<id>:payout``; record the ledger transaction, the
   payment (UNIQUE per intent), the care days' payment and the allocation's ``paid_cents``, all at once.

A crash between a gateway call and its record is harmless: the retry asks again under the same key and
the gateway answers with the first transfer; the ledger's key and the payment's UNIQUE intent make the
records once. Any failure is written on the attempt and the intent before the function returns: an
outage (``GatewayUnavailable``) is retried by a job with backoff until ``max_attempts``, a refusal
(``GatewayDeclined``) or the last try marks the intent ``failed`` for an operator. Nothing is swallowed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.audit import AuditStamp, Snapshot
from domain.errors import DomainError
from domain.money.errors import (
    FamilyCannotPay,
    FamilyWalletShort,
    GatewayUnavailable,
    NothingToPay,
    PaymentAboveMaximum,
    PaymentExceedsRemainder,
    PaymentIntentNotCancellable,
    PaymentIntentNotFound,
    ProviderNotPayable,
)
from domain.money.ledger import Account
from domain.money.payment_messages import payment_received, staff_payment_processed
from domain.money.payments import (
    ABANDONED_AFTER,
    AttemptOutcome,
    IntentItem,
    IntentStatus,
    Payment,
    PaymentAttempt,
    PaymentIntent,
    PaymentKind,
    PaymentRules,
    PaymentStep,
    family_to_provider_transaction,
    payout_transaction,
    retry_wait,
    step_key,
)
from domain.money.ports import MoneyUnitOfWork, PaymentGateway
from domain.money.use_cases import jobs
from domain.money.wallets import PaymentMethod, payability_problem
from domain.ports import Clock
from domain.programme.allocations import MonthAllocation

UNSAVED_ATTEMPT = 0


async def claim_payment(
    uow: MoneyUnitOfWork,
    rules: PaymentRules,
    now: datetime,
    *,
    kind: PaymentKind,
    family_id: str,
    allocation: MonthAllocation,
    provider_id: str,
    items: Sequence[IntentItem],
) -> PaymentIntent:
    """The pre-checks of upstream §2.6, then the intent and its claims. ``allocation`` must be the row
    the caller locked in this unit of work; the caller checks that the items are the allocation's."""
    amount = sum(item.amount_cents for item in items)
    if not items or amount <= 0:
        raise NothingToPay()
    if amount > rules.max_payment_cents:
        raise PaymentAboveMaximum(
            details={"amount_cents": amount, "max_payment_cents": rules.max_payment_cents}
        )
    claimed = await uow.payments.unpaid_claimed_cents(allocation.id)
    remainder = allocation.net_allocation_cents - allocation.paid_cents - claimed
    if amount > remainder:
        raise PaymentExceedsRemainder(details={"amount_cents": amount, "remaining_unpaid_cents": remainder})
    # Locked: another payment from this wallet (a sibling's month) waits, so both cannot spend it.
    family = await uow.payment_settings.family_for_update(family_id)
    if family is None or family.gateway_user_id is None:
        raise FamilyCannotPay()
    balance = await uow.ledger.balance(Account.family_wallet(family_id))
    available = balance - await uow.payments.unmoved_claims_cents(family_id)
    if amount > available:
        raise FamilyWalletShort(details={"amount_cents": amount, "wallet_available_cents": available})
    problem = payability_problem(await uow.payment_settings.provider(provider_id))
    if problem is not None:
        raise ProviderNotPayable(problem)
    intent = PaymentIntent(
        id=str(uuid.uuid4()),
        kind=kind,
        family_id=family_id,
        child_id=allocation.child_id,
        provider_id=provider_id,
        allocation_id=allocation.id,
        amount_cents=amount,
        items=tuple(items),
        created_at=now,
        updated_at=now,
    )
    await uow.payments.add_intent(intent)
    return intent


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    intent: PaymentIntent
    payment: Payment | None = None
    # False when this call found nothing to do: paid before, or another try is under way.
    tried: bool = True


async def pay_intent(
    uow: MoneyUnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    rules: PaymentRules,
    intent_id: str,
    *,
    operator: bool = False,
    audit: AuditStamp | None = None,
) -> PaymentOutcome:
    """Pays the intent, resuming where its last try stopped. ``operator`` also retries a ``failed``
    intent and one a live try seems to hold (an operator's ``payments retry``). ``audit``: staff asked
    for this try, written to the audit log in the transaction that opens the attempt."""
    started = await _start_attempt(uow, clock, rules, intent_id, operator=operator, audit=audit)
    if isinstance(started, PaymentOutcome):
        return started
    intent, attempt = started
    try:
        if intent.family_to_provider_transfer_id is None:
            intent, attempt = await _move_to_provider(uow, gateway, clock, intent, attempt)
        return await _pay_out(uow, gateway, clock, intent, attempt)
    except DomainError as failure:
        return await _record_failure(uow, clock, rules, intent, attempt, failure)


async def _start_attempt(
    uow: MoneyUnitOfWork,
    clock: Clock,
    rules: PaymentRules,
    intent_id: str,
    *,
    operator: bool,
    audit: AuditStamp | None = None,
) -> tuple[PaymentIntent, PaymentAttempt] | PaymentOutcome:
    now = clock.now()
    async with uow:
        intent = await uow.payments.get_for_update(intent_id)
        if intent is None:
            raise PaymentIntentNotFound()
        if intent.status is IntentStatus.PAID:
            return PaymentOutcome(intent, await uow.payments.payment_of(intent.id), tried=False)
        if intent.status is IntentStatus.CANCELLED:  # released by an operator: never tried again
            return PaymentOutcome(intent, tried=False)
        live = intent.status is IntentStatus.PROCESSING and now - intent.updated_at < ABANDONED_AFTER
        if not operator and (intent.status is IntentStatus.FAILED or live):
            return PaymentOutcome(intent, tried=False)
        family = await uow.payment_settings.family(intent.family_id)
        provider = await uow.payment_settings.provider(intent.provider_id)
        method = provider.payment_method if provider is not None else None
        attempt = PaymentAttempt(
            id=UNSAVED_ATTEMPT,
            intent_id=intent.id,
            number=intent.attempts + 1,
            started_at=now,
            payment_method=method,
            family_gateway_user_id=family.gateway_user_id if family is not None else None,
            provider_gateway_user_id=provider.gateway_user_id if provider is not None else None,
            card_id=provider.card.id if provider is not None and provider.card is not None else None,
        )
        before, intent = intent, intent.started(now)
        await uow.payments.save(intent)
        attempt = await uow.payments.add_attempt(attempt)
        if audit is not None:
            entry = audit.entry(
                "payment_intent.retried", "payment_intent", intent.id, _audited(before), _audited(intent)
            )
            await uow.audit.record(entry)
        problem: DomainError | None = None
        if attempt.family_gateway_user_id is None:
            problem = FamilyCannotPay()
        elif intent.payout_transfer_id is None and payability_problem(provider) is not None:
            problem = ProviderNotPayable(payability_problem(provider))
        await uow.commit()
    if problem is not None:
        # Worth retrying: a provider's card or bank link can become active while the intent waits.
        return await _record_failure(uow, clock, rules, intent, attempt, problem, retryable=True)
    return intent, attempt


def _audited(intent: PaymentIntent) -> Snapshot:
    return {
        "status": intent.status.value,
        "attempts": intent.attempts,
        "amount_cents": intent.amount_cents,
        "last_error_code": intent.last_error_code,
    }


async def _move_to_provider(
    uow: MoneyUnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    intent: PaymentIntent,
    attempt: PaymentAttempt,
) -> tuple[PaymentIntent, PaymentAttempt]:
    assert attempt.family_gateway_user_id is not None
    assert attempt.provider_gateway_user_id is not None
    transfer = await gateway.transfer_to_provider(
        attempt.family_gateway_user_id,
        attempt.provider_gateway_user_id,
        intent.amount_cents,
        idempotency_key=step_key(intent.id, PaymentStep.FAMILY_TO_PROVIDER),
    )
    async with uow:
        current = await _locked(uow, intent.id)
        attempt = replace(attempt, family_to_provider_transfer_id=transfer.transfer_id)
        if current.family_to_provider_transfer_id is None:  # not recorded by a concurrent try meanwhile
            await uow.ledger.record(family_to_provider_transaction(current))
            current = replace(
                current, family_to_provider_transfer_id=transfer.transfer_id, updated_at=clock.now()
            )
            await uow.payments.save(current)
        await uow.payments.save_attempt(attempt)
        await uow.commit()
    return current, attempt


async def _pay_out(
    uow: MoneyUnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    intent: PaymentIntent,
    attempt: PaymentAttempt,
) -> PaymentOutcome:
    assert attempt.provider_gateway_user_id is not None
    method = attempt.payment_method or PaymentMethod.CARD
    key = step_key(intent.id, PaymentStep.PAYOUT)
    if method is PaymentMethod.CARD:
        assert attempt.card_id is not None
        transfer = await gateway.pay_out_by_card(
            attempt.provider_gateway_user_id, attempt.card_id, intent.amount_cents, idempotency_key=key
        )
    else:
        transfer = await gateway.pay_out_by_ach(
            attempt.provider_gateway_user_id, intent.amount_cents, idempotency_key=key
        )
    now = clock.now()
    async with uow:
        current = await _locked(uow, intent.id)
        if current.status is IntentStatus.PAID:  # a concurrent try recorded the same payout first
            return PaymentOutcome(current, await uow.payments.payment_of(current.id), tried=False)
        await uow.ledger.record(payout_transaction(current, method))
        payment = Payment(
            id=str(uuid.uuid4()),
            intent_id=current.id,
            attempt_id=attempt.id,
            family_id=current.family_id,
            child_id=current.child_id,
            provider_id=current.provider_id,
            allocation_id=current.allocation_id,
            amount_cents=current.amount_cents,
            payment_method=method,
            created_at=now,
        )
        if await uow.payments.add_payment(payment):
            await _tell_the_provider_and_staff(uow, current, method)
        paid = current.paid(method, transfer.transfer_id, now)
        await uow.payments.save(paid)
        await uow.payments.save_attempt(
            replace(
                attempt,
                outcome=AttemptOutcome.SUCCEEDED,
                payout_transfer_id=transfer.transfer_id,
                ended_at=now,
            )
        )
        await uow.commit()
    return PaymentOutcome(paid, payment)


async def _tell_the_provider_and_staff(
    uow: MoneyUnitOfWork, intent: PaymentIntent, method: PaymentMethod
) -> None:
    """The provider's "you have been paid" email and the staff's notice, in this transaction: they exist
    only if the payment does."""
    provider = await uow.providers.get(intent.provider_id)
    child = await uow.children.get(intent.child_id)
    allocation = await uow.allocations.get(intent.allocation_id)
    if provider is None or child is None or allocation is None:
        return
    family = await uow.families.get(intent.family_id)
    month = allocation.month.isoformat()[:7]
    message = payment_received(intent, method, provider, child, family, month)
    if message is not None:
        await uow.notifier.notify(message)
    await uow.notifier.notify(staff_payment_processed(intent, method, provider, child, family, month))


async def _locked(uow: MoneyUnitOfWork, intent_id: str) -> PaymentIntent:
    intent = await uow.payments.get_for_update(intent_id)
    if intent is None:
        raise PaymentIntentNotFound()
    return intent


async def _record_failure(
    uow: MoneyUnitOfWork,
    clock: Clock,
    rules: PaymentRules,
    intent: PaymentIntent,
    attempt: PaymentAttempt,
    failure: DomainError,
    *,
    retryable: bool | None = None,
) -> PaymentOutcome:
    now = clock.now()
    if retryable is None:
        retryable = isinstance(failure, GatewayUnavailable)
    async with uow:
        current = await _locked(uow, intent.id)
        if current.status is IntentStatus.PAID:  # paid meanwhile by another try: its success stands
            return PaymentOutcome(current, await uow.payments.payment_of(current.id), tried=False)
        await uow.payments.save_attempt(
            replace(
                attempt,
                outcome=AttemptOutcome.FAILED,
                error_code=failure.code,
                error=failure.message[:2000],
                ended_at=now,
            )
        )
        retry_at = (
            now + retry_wait(current.attempts)
            if retryable and current.attempts < rules.max_attempts
            else None
        )
        current = current.failed(failure.code, failure.message, now, retry_at=retry_at)
        await uow.payments.save(current)
        if retry_at is not None:
            await uow.jobs.enqueue_at(retry_at, jobs.PAY_INTENT, current.id)
        await uow.commit()
    return PaymentOutcome(current)


@dataclass
class RetrySummary:
    paid: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # paid before, or a live try holds it


async def due_intents(uow: MoneyUnitOfWork, clock: Clock, *, limit: int) -> list[str]:
    now = clock.now()
    async with uow:
        return await uow.payments.due(now, abandoned_before=now - ABANDONED_AFTER, limit=limit)


async def retry_intents(
    uow: MoneyUnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    rules: PaymentRules,
    intent_ids: Sequence[str],
    *,
    operator: bool = False,
    on_intent_done: Callable[[int, int], None] | None = None,
) -> RetrySummary:
    """Each intent tried in turn (the sweep's, or an operator's list); one's failure does not stop the
    others, and is recorded on it."""
    summary = RetrySummary()
    for done, intent_id in enumerate(intent_ids, start=1):
        outcome = await pay_intent(uow, gateway, clock, rules, intent_id, operator=operator)
        status = outcome.intent.status
        if not outcome.tried:
            summary.skipped.append(intent_id)
        elif status is IntentStatus.PAID:
            summary.paid.append(intent_id)
        elif status is IntentStatus.RETRYING:
            summary.retrying.append(intent_id)
        else:
            summary.failed.append(intent_id)
        if on_intent_done is not None:
            on_intent_done(done, len(intent_ids))
    return summary


async def cancel_intent(
    uow: MoneyUnitOfWork, clock: Clock, intent_id: str, *, audit: AuditStamp | None = None
) -> PaymentIntent:
    """An operator's cancel of a failed intent: its care days become payable again (the family can
    submit them anew) or its lump sum leaves the allocation's ``lump_sum_cents`` (the family can pay a
    new one). Under the intent's row lock, the same lock every try takes to start and to record a step,
    so a cancel and a retry take turns: the cancel sees the retry's ``processing`` and refuses, or the
    retry sees ``cancelled`` and does nothing. Only an intent that moved no money is cancelled (the
    database refuses otherwise), so the ledger has nothing to undo and the books stay whole. ``audit``:
    who asked, written to the audit log in the cancel's transaction."""
    now = clock.now()
    async with uow:
        intent = await _locked(uow, intent_id)
        refusal = intent.cancel_refusal()
        if refusal is not None:
            raise PaymentIntentNotCancellable(refusal, details={"status": intent.status.value})
        cancelled = intent.cancelled(now)
        await uow.payments.save(cancelled)
        await uow.payments.release(cancelled, now)
        if audit is not None:
            entry = audit.entry(
                "payment_intent.cancelled", "payment_intent", intent.id, _audited(intent), _audited(cancelled)
            )
            await uow.audit.record(entry)
        await uow.commit()
    return cancelled


async def intents_by_status(
    uow: MoneyUnitOfWork, statuses: Sequence[IntentStatus], *, limit: int, offset: int = 0
) -> list[PaymentIntent]:
    async with uow:
        return await uow.payments.list_by_status(statuses, limit=limit, offset=offset)


async def intent_with_attempts(
    uow: MoneyUnitOfWork, intent_id: str
) -> tuple[PaymentIntent, list[PaymentAttempt]]:
    async with uow:
        intent = await uow.payments.get(intent_id)
        if intent is None:
            raise PaymentIntentNotFound()
        return intent, await uow.payments.attempts(intent_id)
