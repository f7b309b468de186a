"""Allocation fundings: the row whose insert claims an allocation's funding, locked while it is funded."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.postgres.money.rows import AllocationFundingRow
from adapters.postgres.programme.rows import ChildRow, MonthAllocationRow
from domain.money.funding import AllocationFunding, FundingStatus


def _funding(row: AllocationFundingRow) -> AllocationFunding:
    return AllocationFunding(
        allocation_id=row.allocation_id,
        family_id=str(row.family_id),
        amount_cents=row.amount_cents,
        status=FundingStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        gateway_transfer_id=row.gateway_transfer_id,
        ledger_transaction_id=row.ledger_transaction_id,
        funded_at=row.funded_at,
    )


class PostgresFundings:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, funding: AllocationFunding) -> AllocationFunding:
        await self._session.execute(
            pg_insert(AllocationFundingRow)
            .values(
                allocation_id=funding.allocation_id,
                family_id=UUID(funding.family_id),
                amount_cents=funding.amount_cents,
                status=funding.status.value,
            )
            .on_conflict_do_nothing(index_elements=["allocation_id"])
        )
        row = (
            await self._session.execute(
                select(AllocationFundingRow)
                .where(AllocationFundingRow.allocation_id == funding.allocation_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        return _funding(row)

    async def get(self, allocation_id: int) -> AllocationFunding | None:
        row = await self._session.get(AllocationFundingRow, allocation_id, populate_existing=True)
        return None if row is None else _funding(row)

    async def save(self, funding: AllocationFunding) -> None:
        await self._session.execute(
            update(AllocationFundingRow)
            .where(AllocationFundingRow.allocation_id == funding.allocation_id)
            .values(
                status=funding.status.value,
                attempts=funding.attempts,
                last_error=funding.last_error,
                last_attempt_at=funding.last_attempt_at,
                gateway_transfer_id=funding.gateway_transfer_id,
                ledger_transaction_id=funding.ledger_transaction_id,
                funded_at=funding.funded_at,
            )
        )

    async def unfunded(self, *, limit: int) -> list[AllocationFunding]:
        rows = await self._session.execute(
            select(MonthAllocationRow, ChildRow.family_id, AllocationFundingRow)
            .join(ChildRow, ChildRow.id == MonthAllocationRow.child_id)
            .outerjoin(AllocationFundingRow, AllocationFundingRow.allocation_id == MonthAllocationRow.id)
            .where(MonthAllocationRow.allocation_cents > 0)
            .where(
                (AllocationFundingRow.allocation_id.is_(None)) | (AllocationFundingRow.status == "pending")
            )
            .order_by(MonthAllocationRow.id)
            .limit(limit)
        )
        found = []
        for allocation, family_id, funding in rows.tuples():
            if funding is not None:
                found.append(_funding(funding))
            else:
                found.append(AllocationFunding(allocation.id, str(family_id), allocation.allocation_cents))
        return found
