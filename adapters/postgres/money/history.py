"""Payment history on plain asyncpg: two fixed statements per page, whatever the number of payments.

The first lists the intents (newest first) with their provider, child, allocation month and payment;
the second every care day those intents claimed. A lump-sum intent's days and half days come with it in
the first (its one claim, joined to the lump sum), so a page stays two statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from adapters.postgres.ids import parse_id
from adapters.postgres.raw_pool import RawPool
from domain.money.history import HistoryLine, PaidCareDay, PaidLumpSum
from domain.money.payments import IntentStatus, PaymentKind
from domain.money.wallets import PaymentMethod
from domain.programme.care_days import CareDayType

_INTENTS = (
    "SELECT i.id, i.kind, i.status, i.amount_cents, i.created_at, i.payment_method,"
    " i.provider_id, p.name AS provider_name, i.child_id, c.first_name, c.last_name, a.month,"
    " pay.id AS payment_id, pay.created_at AS paid_at, pay.payment_method AS paid_by,"
    " ls.days AS lump_sum_days, ls.half_days AS lump_sum_half_days"
    " FROM payment_intents i"
    " JOIN providers p ON p.id = i.provider_id"
    " JOIN children c ON c.id = i.child_id"
    " JOIN month_allocations a ON a.id = i.allocation_id"
    " LEFT JOIN payments pay ON pay.intent_id = i.id"
    # A lump-sum intent has exactly one claim (UNIQUE lump_sum_id); a care-days intent none with a lump sum.
    " LEFT JOIN payment_intent_items li ON li.intent_id = i.id AND li.lump_sum_id IS NOT NULL"
    " LEFT JOIN lump_sums ls ON ls.id = li.lump_sum_id"
    # A cancelled intent moved nothing and its days were released (they may be in a newer intent): hidden.
    " WHERE i.{owner} = $1 AND i.status <> 'cancelled'"
    " ORDER BY coalesce(pay.created_at, i.created_at) DESC, i.id DESC LIMIT $2"
)
FAMILY_STATEMENT = _INTENTS.format(owner="family_id")
PROVIDER_STATEMENT = _INTENTS.format(owner="provider_id")
CARE_DAYS_STATEMENT = (
    "SELECT items.intent_id, d.date, d.type, d.amount_cents, d.amount_missing_cents"
    " FROM payment_intent_items items JOIN care_days d ON d.id = items.care_day_id"
    " WHERE items.intent_id = ANY($1::uuid[]) ORDER BY d.date, d.id"
)


def _lines(intents: Sequence[asyncpg.Record], days: Sequence[asyncpg.Record]) -> list[HistoryLine]:
    by_intent: dict[UUID, list[PaidCareDay]] = {}
    for day in days:
        by_intent.setdefault(day["intent_id"], []).append(
            PaidCareDay(
                day["date"], CareDayType(day["type"]), day["amount_cents"], day["amount_missing_cents"]
            )
        )
    lines = []
    for row in intents:
        kind = PaymentKind(row["kind"])
        method = row["paid_by"] or row["payment_method"]
        lines.append(
            HistoryLine(
                intent_id=str(row["id"]),
                payment_id=None if row["payment_id"] is None else str(row["payment_id"]),
                created_at=row["paid_at"] or row["created_at"],
                amount_cents=row["amount_cents"],
                status=IntentStatus(row["status"]),
                kind=kind,
                provider_id=str(row["provider_id"]),
                provider_name=row["provider_name"],
                child_id=str(row["child_id"]),
                child_first_name=row["first_name"],
                child_last_name=row["last_name"],
                month=row["month"],
                payment_method=None if method is None else PaymentMethod(method),
                care_days=tuple(by_intent.get(row["id"], ())),
                lump_sum=_lump_sum(row) if kind is PaymentKind.LUMP_SUM else None,
            )
        )
    return lines


def _lump_sum(row: asyncpg.Record) -> PaidLumpSum:
    return PaidLumpSum(row["lump_sum_days"] or 0, row["lump_sum_half_days"] or 0, row["amount_cents"])


class RawPaymentHistoryReads:
    """Satisfies ``PaymentHistoryReads``."""

    def __init__(self, pool: RawPool) -> None:
        self._pool = pool

    async def _read(self, statement: str, owner_id: str, limit: int) -> list[HistoryLine]:
        key = parse_id(owner_id)
        if key is None:
            return []
        intents = await self._pool.fetch(statement, key, limit)
        if not intents:
            return []
        days = await self._pool.fetch(CARE_DAYS_STATEMENT, [row["id"] for row in intents])
        return _lines(intents, days)

    async def for_family(self, family_id: str, *, limit: int) -> list[HistoryLine]:
        return await self._read(FAMILY_STATEMENT, family_id, limit)

    async def for_provider(self, provider_id: str, *, limit: int) -> list[HistoryLine]:
        return await self._read(PROVIDER_STATEMENT, provider_id, limit)
