"""Lump sums on Postgres (satisfies ``LumpSumRepository``): the row and the allocation's
``lump_sum_cents`` (which the month view reads with the allocation) written together, in the caller's
transaction, under the allocation's row lock the caller holds."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.postgres.money.lump_sum_rows import LumpSumRow
from adapters.postgres.programme.rows import MonthAllocationRow
from domain.money.lump_sums import LumpSum, LumpSumRequest


class PostgresLumpSums:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, request: LumpSumRequest, at: datetime) -> LumpSum:
        new_id = (
            await self._session.execute(
                insert(LumpSumRow)
                .values(
                    allocation_id=request.allocation_id,
                    provider_id=UUID(request.provider_id),
                    amount_cents=request.amount_cents,
                    days=request.days,
                    half_days=request.half_days,
                    created_at=at,
                    updated_at=at,
                )
                .returning(LumpSumRow.id)
            )
        ).scalar_one()
        await self._session.execute(
            update(MonthAllocationRow)
            .where(MonthAllocationRow.id == request.allocation_id)
            .values(lump_sum_cents=MonthAllocationRow.lump_sum_cents + request.amount_cents)
        )
        return LumpSum(
            new_id,
            request.allocation_id,
            request.provider_id,
            request.amount_cents,
            request.days,
            request.half_days,
            at,
        )
