"""Payment rates: one pair of half-day and full-day rates per provider and child."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import insert, update

from adapters.postgres.programme._base import SessionRepository, fresh, parse_id, require_id
from adapters.postgres.programme.rows import PaymentRateRow
from domain.programme.rates import PaymentRate


def rate_from_row(row: PaymentRateRow) -> PaymentRate:
    return PaymentRate(
        id=row.id,
        provider_id=str(row.provider_id),
        child_id=str(row.child_id),
        half_day_rate_cents=row.half_day_rate_cents,
        full_day_rate_cents=row.full_day_rate_cents,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class PostgresPaymentRates(SessionRepository):
    """Satisfies ``PaymentRateRepository``."""

    async def get(self, provider_id: str, child_id: str) -> PaymentRate | None:
        provider_key, child_key = parse_id(provider_id), parse_id(child_id)
        if provider_key is None or child_key is None:
            return None
        query = fresh(PaymentRateRow).where(
            PaymentRateRow.provider_id == provider_key, PaymentRateRow.child_id == child_key
        )
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else rate_from_row(row)

    async def list_for_provider(self, provider_id: str) -> list[PaymentRate]:
        key = parse_id(provider_id)
        if key is None:
            return []
        query = fresh(PaymentRateRow).where(PaymentRateRow.provider_id == key).order_by(PaymentRateRow.id)
        return [rate_from_row(row) for row in (await self._session.execute(query)).scalars()]

    async def add(self, rate: PaymentRate) -> PaymentRate:
        statement = (
            insert(PaymentRateRow)
            .values(
                provider_id=require_id(rate.provider_id),
                child_id=require_id(rate.child_id),
                half_day_rate_cents=rate.half_day_rate_cents,
                full_day_rate_cents=rate.full_day_rate_cents,
                created_at=rate.created_at,
                updated_at=rate.updated_at,
            )
            .returning(PaymentRateRow.id)
        )
        new_id = (await self._session.execute(statement)).scalar_one()
        return replace(rate, id=new_id)

    async def save(self, rate: PaymentRate) -> None:
        await self._session.execute(
            update(PaymentRateRow)
            .where(PaymentRateRow.id == rate.id)
            .values(
                half_day_rate_cents=rate.half_day_rate_cents,
                full_day_rate_cents=rate.full_day_rate_cents,
                updated_at=rate.updated_at,
            )
            .execution_options(synchronize_session=False)
        )
