"""Payment intents, their items (the claims), attempts and payments.

Writes are a fixed number of statements whatever the number of items (one INSERT of every item, one
UPDATE of every care day), so submitting a month of 25 days costs what submitting one does. A claim that
collides with another intent's (UNIQUE care_day_id or lump_sum_id) becomes ``ItemsAlreadyClaimed``; the
transaction is aborted by then and the unit of work keeps nothing of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.postgres.ids import parse_id
from adapters.postgres.money.lump_sum_rows import LumpSumRow
from adapters.postgres.money.rows import PaymentAttemptRow, PaymentIntentItemRow, PaymentIntentRow, PaymentRow
from adapters.postgres.programme.rows import CareDayRow, MonthAllocationRow
from domain.money.errors import ItemsAlreadyClaimed
from domain.money.payments import (
    AttemptOutcome,
    IntentItem,
    IntentStatus,
    Payment,
    PaymentAttempt,
    PaymentIntent,
    PaymentKind,
)
from domain.money.wallets import PaymentMethod

# Intents that hold no money back: paid (moved), cancelled (released, never moved).
SETTLED_STATUSES = (IntentStatus.PAID.value, IntentStatus.CANCELLED.value)
CLAIM_CONSTRAINTS = frozenset({"uq_payment_intent_items_care_day_id", "uq_payment_intent_items_lump_sum_id"})


def _method(value: str | None) -> PaymentMethod | None:
    return None if value is None else PaymentMethod(value)


def intent_from_row(row: PaymentIntentRow, items: Sequence[PaymentIntentItemRow]) -> PaymentIntent:
    return PaymentIntent(
        id=str(row.id),
        kind=PaymentKind(row.kind),
        family_id=str(row.family_id),
        child_id=str(row.child_id),
        provider_id=str(row.provider_id),
        allocation_id=row.allocation_id,
        amount_cents=row.amount_cents,
        items=tuple(
            IntentItem(item.amount_cents, care_day_id=item.care_day_id, lump_sum_id=item.lump_sum_id)
            for item in items
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=IntentStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error_code=row.last_error_code,
        last_error=row.last_error,
        family_to_provider_transfer_id=row.family_to_provider_transfer_id,
        payout_transfer_id=row.payout_transfer_id,
        payment_method=_method(row.payment_method),
        paid_at=row.paid_at,
        cancelled_at=row.cancelled_at,
    )


def _attempt(row: PaymentAttemptRow) -> PaymentAttempt:
    return PaymentAttempt(
        id=row.id,
        intent_id=str(row.intent_id),
        number=row.number,
        started_at=row.started_at,
        payment_method=_method(row.payment_method),
        family_gateway_user_id=row.family_gateway_user_id,
        provider_gateway_user_id=row.provider_gateway_user_id,
        card_id=row.card_id,
        outcome=AttemptOutcome(row.outcome),
        family_to_provider_transfer_id=row.family_to_provider_transfer_id,
        payout_transfer_id=row.payout_transfer_id,
        error_code=row.error_code,
        error=row.error,
        ended_at=row.ended_at,
    )


def _payment(row: PaymentRow) -> Payment:
    return Payment(
        id=str(row.id),
        intent_id=str(row.intent_id),
        attempt_id=row.attempt_id,
        family_id=str(row.family_id),
        child_id=str(row.child_id),
        provider_id=str(row.provider_id),
        allocation_id=row.allocation_id,
        amount_cents=row.amount_cents,
        payment_method=PaymentMethod(row.payment_method),
        created_at=row.created_at,
    )


def _progress(intent: PaymentIntent) -> dict[str, Any]:
    return {
        "status": intent.status.value,
        "attempts": intent.attempts,
        "next_attempt_at": intent.next_attempt_at,
        "last_error_code": intent.last_error_code,
        "last_error": intent.last_error,
        "family_to_provider_transfer_id": intent.family_to_provider_transfer_id,
        "payout_transfer_id": intent.payout_transfer_id,
        "payment_method": None if intent.payment_method is None else intent.payment_method.value,
        "paid_at": intent.paid_at,
        "cancelled_at": intent.cancelled_at,
        "updated_at": intent.updated_at,
    }


def _attempt_facts(attempt: PaymentAttempt) -> dict[str, Any]:
    return {
        "outcome": attempt.outcome.value,
        "payment_method": None if attempt.payment_method is None else attempt.payment_method.value,
        "family_gateway_user_id": attempt.family_gateway_user_id,
        "provider_gateway_user_id": attempt.provider_gateway_user_id,
        "card_id": attempt.card_id,
        "family_to_provider_transfer_id": attempt.family_to_provider_transfer_id,
        "payout_transfer_id": attempt.payout_transfer_id,
        "error_code": attempt.error_code,
        "error": attempt.error,
        "ended_at": attempt.ended_at,
    }


def _violated_constraint(error: IntegrityError) -> str | None:
    return getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)


class PostgresPayments:
    """Satisfies ``PaymentRepository``."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_intent(self, intent: PaymentIntent) -> None:
        key = UUID(intent.id)
        await self._session.execute(
            insert(PaymentIntentRow).values(
                id=key,
                kind=intent.kind.value,
                family_id=UUID(intent.family_id),
                child_id=UUID(intent.child_id),
                provider_id=UUID(intent.provider_id),
                allocation_id=intent.allocation_id,
                amount_cents=intent.amount_cents,
                created_at=intent.created_at,
                **_progress(intent),
            )
        )
        items = [
            {
                "intent_id": key,
                "care_day_id": item.care_day_id,
                "lump_sum_id": item.lump_sum_id,
                "amount_cents": item.amount_cents,
            }
            for item in intent.items
        ]
        try:
            # One multi-row INSERT: the claim of every item at once, judged by the UNIQUE constraints.
            await self._session.execute(insert(PaymentIntentItemRow).values(items))
        except IntegrityError as error:
            if _violated_constraint(error) in CLAIM_CONSTRAINTS:
                raise ItemsAlreadyClaimed() from error
            raise
        if intent.care_day_ids:
            await self._session.execute(
                update(CareDayRow)
                .where(CareDayRow.id.in_(intent.care_day_ids))
                .values(
                    last_submitted_at=intent.created_at,
                    payment_distribution_requested=True,
                    updated_at=intent.created_at,
                )
            )

    async def _intent(self, key: UUID, *, for_update: bool) -> PaymentIntent | None:
        query = select(PaymentIntentRow).where(PaymentIntentRow.id == key)
        if for_update:
            query = query.with_for_update()
        row = (
            await self._session.execute(query.execution_options(populate_existing=True))
        ).scalar_one_or_none()
        if row is None:
            return None
        items = await self._session.execute(
            select(PaymentIntentItemRow)
            .where(PaymentIntentItemRow.intent_id == key)
            .order_by(PaymentIntentItemRow.id)
        )
        return intent_from_row(row, list(items.scalars()))

    async def get(self, intent_id: str) -> PaymentIntent | None:
        key = parse_id(intent_id)
        return None if key is None else await self._intent(key, for_update=False)

    async def get_for_update(self, intent_id: str) -> PaymentIntent | None:
        key = parse_id(intent_id)
        return None if key is None else await self._intent(key, for_update=True)

    async def save(self, intent: PaymentIntent) -> None:
        await self._session.execute(
            update(PaymentIntentRow).where(PaymentIntentRow.id == UUID(intent.id)).values(**_progress(intent))
        )

    async def release(self, intent: PaymentIntent, at: datetime) -> None:
        key = UUID(intent.id)
        await self._session.execute(
            update(PaymentIntentItemRow)
            .where(PaymentIntentItemRow.intent_id == key, PaymentIntentItemRow.released_at.is_(None))
            .values(released_at=at)
        )
        if intent.care_day_ids:
            await self._session.execute(
                update(CareDayRow)
                .where(CareDayRow.id.in_(intent.care_day_ids), CareDayRow.payment_id.is_(None))
                .values(last_submitted_at=None, payment_distribution_requested=False, updated_at=at)
            )
        if intent.lump_sum_ids:
            cancelled = (
                update(LumpSumRow)
                .where(LumpSumRow.id.in_(intent.lump_sum_ids), LumpSumRow.cancelled_at.is_(None))
                .values(cancelled_at=at, updated_at=at)
                .returning(LumpSumRow.amount_cents)
            )
            cents = sum((await self._session.execute(cancelled)).scalars())
            await self._session.execute(
                update(MonthAllocationRow)
                .where(MonthAllocationRow.id == intent.allocation_id)
                .values(lump_sum_cents=MonthAllocationRow.lump_sum_cents - cents)
            )

    async def add_attempt(self, attempt: PaymentAttempt) -> PaymentAttempt:
        new_id = await self._session.scalar(
            insert(PaymentAttemptRow)
            .values(
                intent_id=UUID(attempt.intent_id),
                number=attempt.number,
                started_at=attempt.started_at,
                **_attempt_facts(attempt),
            )
            .returning(PaymentAttemptRow.id)
        )
        assert new_id is not None
        return replace(attempt, id=new_id)

    async def save_attempt(self, attempt: PaymentAttempt) -> None:
        await self._session.execute(
            update(PaymentAttemptRow)
            .where(PaymentAttemptRow.id == attempt.id)
            .values(**_attempt_facts(attempt))
        )

    async def attempts(self, intent_id: str) -> list[PaymentAttempt]:
        key = parse_id(intent_id)
        if key is None:
            return []
        rows = await self._session.execute(
            select(PaymentAttemptRow)
            .where(PaymentAttemptRow.intent_id == key)
            .order_by(PaymentAttemptRow.number)
            .execution_options(populate_existing=True)
        )
        return [_attempt(row) for row in rows.scalars()]

    async def latest_attempt(self, intent_id: str) -> PaymentAttempt | None:
        key = parse_id(intent_id)
        if key is None:
            return None
        row = await self._session.scalar(
            select(PaymentAttemptRow)
            .where(PaymentAttemptRow.intent_id == key)
            .order_by(PaymentAttemptRow.number.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return None if row is None else _attempt(row)

    async def add_payment(self, payment: Payment) -> bool:
        inserted = await self._session.scalar(
            pg_insert(PaymentRow)
            .values(
                id=UUID(payment.id),
                intent_id=UUID(payment.intent_id),
                attempt_id=payment.attempt_id,
                family_id=UUID(payment.family_id),
                child_id=UUID(payment.child_id),
                provider_id=UUID(payment.provider_id),
                allocation_id=payment.allocation_id,
                amount_cents=payment.amount_cents,
                payment_method=payment.payment_method.value,
                created_at=payment.created_at,
            )
            .on_conflict_do_nothing(index_elements=["intent_id"])
            .returning(PaymentRow.id)
        )
        if inserted is None:
            return False
        claimed = select(PaymentIntentItemRow.care_day_id).where(
            PaymentIntentItemRow.intent_id == UUID(payment.intent_id),
            PaymentIntentItemRow.care_day_id.is_not(None),
        )
        await self._session.execute(
            update(CareDayRow).where(CareDayRow.id.in_(claimed)).values(payment_id=inserted)
        )
        await self._session.execute(
            update(MonthAllocationRow)
            .where(MonthAllocationRow.id == payment.allocation_id)
            .values(paid_cents=MonthAllocationRow.paid_cents + payment.amount_cents)
        )
        return True

    async def payment_of(self, intent_id: str) -> Payment | None:
        key = parse_id(intent_id)
        if key is None:
            return None
        row = await self._session.scalar(
            select(PaymentRow).where(PaymentRow.intent_id == key).execution_options(populate_existing=True)
        )
        return None if row is None else _payment(row)

    async def unpaid_claimed_cents(self, allocation_id: int) -> int:
        total = await self._session.scalar(
            select(func.coalesce(func.sum(PaymentIntentRow.amount_cents), 0)).where(
                PaymentIntentRow.allocation_id == allocation_id,
                PaymentIntentRow.status.not_in(SETTLED_STATUSES),
            )
        )
        return int(total or 0)

    async def unmoved_claims_cents(self, family_id: str) -> int:
        key = parse_id(family_id)
        if key is None:
            return 0
        total = await self._session.scalar(
            select(func.coalesce(func.sum(PaymentIntentRow.amount_cents), 0)).where(
                PaymentIntentRow.family_id == key,
                PaymentIntentRow.status.not_in(SETTLED_STATUSES),
                PaymentIntentRow.family_to_provider_transfer_id.is_(None),
            )
        )
        return int(total or 0)

    async def due(self, now: datetime, *, abandoned_before: datetime, limit: int) -> list[str]:
        rows = await self._session.execute(
            select(PaymentIntentRow.id)
            .where(
                or_(
                    (PaymentIntentRow.status == "retrying") & (PaymentIntentRow.next_attempt_at <= now),
                    PaymentIntentRow.status.in_(("pending", "processing"))
                    & (PaymentIntentRow.updated_at < abandoned_before),
                )
            )
            .order_by(PaymentIntentRow.created_at, PaymentIntentRow.id)
            .limit(limit)
        )
        return [str(key) for key in rows.scalars()]

    async def list_by_status(
        self, statuses: Sequence[IntentStatus], *, limit: int, offset: int = 0
    ) -> list[PaymentIntent]:
        query = select(PaymentIntentRow)
        if statuses:
            query = query.where(PaymentIntentRow.status.in_([s.value for s in statuses]))
        rows = list(
            (
                await self._session.execute(
                    query.order_by(PaymentIntentRow.created_at.desc(), PaymentIntentRow.id.desc())
                    .limit(limit)
                    .offset(offset)
                    .execution_options(populate_existing=True)
                )
            ).scalars()
        )
        if not rows:
            return []
        items = await self._session.execute(
            select(PaymentIntentItemRow)
            .where(PaymentIntentItemRow.intent_id.in_([row.id for row in rows]))
            .order_by(PaymentIntentItemRow.id)
        )
        by_intent: dict[UUID, list[PaymentIntentItemRow]] = {}
        for item in items.scalars():
            by_intent.setdefault(item.intent_id, []).append(item)
        return [intent_from_row(row, by_intent.get(row.id, [])) for row in rows]
