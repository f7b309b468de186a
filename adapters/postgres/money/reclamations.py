"""Reclamation rows on Postgres (satisfies ``ReclamationRepository``): claimed by an insert that a unique
constraint arbitrates, locked while the reclamation is recorded, and the allocation's ``reclaimed_cents``
kept in the same transaction as the row that says the money came back."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.postgres.money.reclamation_rows import FundReclamationRow
from adapters.postgres.programme.rows import MonthAllocationRow
from domain.money.reclamation import ReclaimCandidate, Reclamation, ReclamationStatus

# The allocation less what was reclaimed and what its payment intents took or still hold: paid ones, and
# unpaid ones too (retrying, or failed and waiting for an operator), whose claimed days still need the
# money in the family's wallet — but not cancelled ones (they moved nothing and released their days).
# One expression for a single allocation and for the candidate sweep.
UNPAID_REMAINDER = """
    a.allocation_cents - coalesce((
        SELECT sum(r.amount_cents) FROM fund_reclamations r
        WHERE r.allocation_id = a.id AND r.status = 'reclaimed'
    ), 0) - coalesce((
        SELECT sum(i.amount_cents) FROM payment_intents i
        WHERE i.allocation_id = a.id AND i.status <> 'cancelled'
    ), 0)
"""
REMAINDER_STATEMENT = text(f"SELECT {UNPAID_REMAINDER} AS cents FROM month_allocations a WHERE a.id = :id")
CANDIDATES_STATEMENT = text(
    f"""
    SELECT a.id, f.family_id, a.month, {UNPAID_REMAINDER} AS remainder, r.status AS reclamation_status
    FROM month_allocations a
    JOIN allocation_fundings f ON f.allocation_id = a.id AND f.status = 'funded'
    LEFT JOIN fund_reclamations r ON r.allocation_id = a.id
    WHERE a.month <= :through AND (CAST(:month AS date) IS NULL OR a.month = :month)
      AND (r.status = 'pending' OR (r.status IS NULL AND {UNPAID_REMAINDER} > 0))
    ORDER BY a.month, a.id
    LIMIT :limit
    """
).bindparams(bindparam("month", type_=None))


def _reclamation(row: FundReclamationRow) -> Reclamation:
    return Reclamation(
        allocation_id=row.allocation_id,
        family_id=str(row.family_id),
        amount_cents=row.amount_cents,
        id=row.id,
        status=ReclamationStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        gateway_transfer_id=row.gateway_transfer_id,
        ledger_transaction_id=row.ledger_transaction_id,
        reclaimed_at=row.reclaimed_at,
    )


class PostgresReclamations:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, allocation_id: int) -> Reclamation | None:
        row = (
            await self._session.execute(
                select(FundReclamationRow)
                .where(FundReclamationRow.allocation_id == allocation_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        return None if row is None else _reclamation(row)

    async def claim(self, reclamation: Reclamation) -> Reclamation:
        await self._session.execute(
            pg_insert(FundReclamationRow)
            .values(
                allocation_id=reclamation.allocation_id,
                family_id=UUID(reclamation.family_id),
                amount_cents=reclamation.amount_cents,
                idempotency_key=reclamation.idempotency_key,
                status=reclamation.status.value,
            )
            .on_conflict_do_nothing(index_elements=["allocation_id"])
        )
        row = (
            await self._session.execute(
                select(FundReclamationRow)
                .where(FundReclamationRow.allocation_id == reclamation.allocation_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        return _reclamation(row)

    async def save(self, reclamation: Reclamation) -> None:
        await self._session.execute(
            update(FundReclamationRow)
            .where(FundReclamationRow.allocation_id == reclamation.allocation_id)
            .values(
                status=reclamation.status.value,
                attempts=reclamation.attempts,
                last_error=reclamation.last_error,
                last_attempt_at=reclamation.last_attempt_at,
                gateway_transfer_id=reclamation.gateway_transfer_id,
                ledger_transaction_id=reclamation.ledger_transaction_id,
                reclaimed_at=reclamation.reclaimed_at,
            )
        )
        if reclamation.is_done:
            await self._session.execute(
                update(MonthAllocationRow)
                .where(MonthAllocationRow.id == reclamation.allocation_id)
                .values(reclaimed_cents=reclamation.amount_cents)
            )

    async def unpaid_remainder_cents(self, allocation_id: int) -> int:
        return int(await self._session.scalar(REMAINDER_STATEMENT, {"id": allocation_id}) or 0)

    async def candidates(self, *, through: date, month: date | None, limit: int) -> list[ReclaimCandidate]:
        rows = await self._session.execute(
            CANDIDATES_STATEMENT, {"through": through, "month": month, "limit": limit}
        )
        return [ReclaimCandidate(r.id, str(r.family_id), r.month, int(r.remainder)) for r in rows]
