"""Care days. A day's child is its allocation's child: every read joins the allocation for it, so a
list is one query whatever its length."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Select, insert, update

from adapters.postgres.programme._base import SessionRepository, fresh, parse_id, require_id
from adapters.postgres.programme.rows import CareDayRow, MonthAllocationRow
from domain.programme.care_days import CareDay, CareDayType


def care_day_from_row(row: CareDayRow, child_id: UUID) -> CareDay:
    return CareDay(
        id=row.id,
        allocation_id=row.allocation_id,
        child_id=str(child_id),
        provider_id=str(row.provider_id),
        date=row.date,
        type=CareDayType(row.type),
        amount_cents=row.amount_cents,
        amount_missing_cents=row.amount_missing_cents,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        payment_id=None if row.payment_id is None else str(row.payment_id),
        payment_distribution_requested=row.payment_distribution_requested,
        last_submitted_at=row.last_submitted_at,
    )


def _mutable_values(care_day: CareDay) -> dict[str, Any]:
    return {
        "type": care_day.type.value,
        "amount_cents": care_day.amount_cents,
        "amount_missing_cents": care_day.amount_missing_cents,
        "deleted_at": care_day.deleted_at,
        "payment_id": None if care_day.payment_id is None else require_id(care_day.payment_id),
        "payment_distribution_requested": care_day.payment_distribution_requested,
        "last_submitted_at": care_day.last_submitted_at,
        "updated_at": care_day.updated_at,
    }


def _with_child() -> Select[Any]:
    return fresh(CareDayRow, MonthAllocationRow.child_id).join(CareDayRow.allocation)


class PostgresCareDays(SessionRepository):
    """Satisfies ``CareDayRepository``."""

    async def _one(self, query: Select[Any]) -> CareDay | None:
        found = (await self._session.execute(query)).one_or_none()
        return None if found is None else care_day_from_row(found[0], found[1])

    async def _many(self, query: Select[Any]) -> list[CareDay]:
        ordered = query.order_by(CareDayRow.date, CareDayRow.id)
        found = (await self._session.execute(ordered)).all()
        return [care_day_from_row(row, child_id) for row, child_id in found]

    async def get(self, care_day_id: int) -> CareDay | None:
        return await self._one(_with_child().where(CareDayRow.id == care_day_id))

    async def find(self, allocation_id: int, provider_id: str, day: date) -> CareDay | None:
        key = parse_id(provider_id)
        if key is None:
            return None
        return await self._one(
            _with_child().where(
                CareDayRow.allocation_id == allocation_id,
                CareDayRow.provider_id == key,
                CareDayRow.date == day,
            )
        )

    async def list_for_allocation(self, allocation_id: int) -> list[CareDay]:
        return await self._many(_with_child().where(CareDayRow.allocation_id == allocation_id))

    async def list_for_provider(
        self, provider_id: str, *, child_id: str | None, start: date | None, end: date | None
    ) -> list[CareDay]:
        key = parse_id(provider_id)
        if key is None:
            return []
        query = _with_child().where(CareDayRow.provider_id == key)
        if child_id is not None:
            child_key = parse_id(child_id)
            if child_key is None:
                return []
            query = query.where(MonthAllocationRow.child_id == child_key)
        if start is not None:
            query = query.where(CareDayRow.date >= start)
        if end is not None:
            query = query.where(CareDayRow.date <= end)
        return await self._many(query)

    async def add(self, care_day: CareDay) -> CareDay:
        statement = (
            insert(CareDayRow)
            .values(
                allocation_id=care_day.allocation_id,
                provider_id=require_id(care_day.provider_id),
                date=care_day.date,
                created_at=care_day.created_at,
                **_mutable_values(care_day),
            )
            .returning(CareDayRow.id)
        )
        new_id = (await self._session.execute(statement)).scalar_one()
        return replace(care_day, id=new_id)

    async def save(self, care_day: CareDay) -> None:
        await self._session.execute(
            update(CareDayRow)
            .where(CareDayRow.id == care_day.id)
            .values(**_mutable_values(care_day))
            .execution_options(synchronize_session=False)
        )
