"""The JSON the CAP frontend parses for care days, allocations and rates (frontend-contract.md §2.16–2.23).

Family, child and provider ids are strings; allocation, care day and rate ids are integers; dates are
YYYY-MM-DD and datetimes UTC ending in Z (msgspec writes a UTC datetime that way; ``utc`` makes sure
every datetime is UTC first). Names such as ``child_supabase_id`` are kept because the frontend
validates them; they hold our ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import date as Date

import msgspec

from domain.programme.rates import PaymentRate
from domain.programme.use_cases.care_day_access import CareDayView
from domain.programme.use_cases.reading import ChildAllocationView


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)


class CareDayJson(msgspec.Struct):
    id: int
    care_month_allocation_id: int
    date: Date
    type: str
    provider_supabase_id: str
    amount_cents: int
    amount_missing_cents: int | None
    day_count: float
    payment_distribution_requested: bool
    last_submitted_at: datetime | None
    deleted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    locked_date: datetime
    is_locked: bool
    is_deleted: bool
    is_partial_payment: bool
    needs_submission: bool
    status: str


def care_day_json(view: CareDayView) -> CareDayJson:
    day = view.care_day
    return CareDayJson(
        id=day.id,
        care_month_allocation_id=day.allocation_id,
        date=day.date,
        type=day.type.value,
        provider_supabase_id=day.provider_id,
        amount_cents=day.amount_cents,
        amount_missing_cents=day.amount_missing_cents,
        day_count=day.type.day_count,
        payment_distribution_requested=day.payment_distribution_requested,
        last_submitted_at=utc_or_none(day.last_submitted_at),
        deleted_at=utc_or_none(day.deleted_at),
        created_at=utc(day.created_at),
        updated_at=utc(day.updated_at),
        locked_date=utc(view.locked_date),
        is_locked=view.is_locked,
        is_deleted=day.is_deleted,
        is_partial_payment=day.is_partial_payment,
        # Live, unpaid days wait for the family's Submit; removed and paid ones do not.
        needs_submission=not day.is_deleted and not day.is_submitted,
        status=day.status.value,
    )


class AllocationJson(msgspec.Struct):
    id: int
    date: Date
    allocation_cents: int
    total_reclaimed_cents: int
    net_allocation_cents: int
    child_supabase_id: str
    remaining_unselected_cents: int
    remaining_unpaid_cents: int
    locked_until_date: Date
    locked_past_date: Date
    created_at: datetime
    updated_at: datetime
    care_days: list[CareDayJson]


def allocation_json(view: ChildAllocationView) -> AllocationJson:
    allocation, figures = view.allocation, view.figures
    return AllocationJson(
        id=allocation.id,
        date=allocation.month,
        allocation_cents=figures.allocation_cents,
        total_reclaimed_cents=figures.reclaimed_cents,
        net_allocation_cents=figures.net_allocation_cents,
        child_supabase_id=allocation.child_id,
        remaining_unselected_cents=figures.remaining_unselected_cents,
        remaining_unpaid_cents=figures.remaining_unpaid_cents,
        locked_until_date=figures.locked_until_date,
        locked_past_date=figures.locked_past_date,
        created_at=utc(allocation.created_at),
        updated_at=utc(allocation.updated_at),
        care_days=[care_day_json(day) for day in view.care_days],
    )


class PaymentRateJson(msgspec.Struct):
    id: int
    half_day_rate_cents: int
    full_day_rate_cents: int
    provider_id: str
    child_id: str


def payment_rate_json(rate: PaymentRate) -> PaymentRateJson:
    return PaymentRateJson(
        id=rate.id,
        half_day_rate_cents=rate.half_day_rate_cents,
        full_day_rate_cents=rate.full_day_rate_cents,
        provider_id=rate.provider_id,
        child_id=rate.child_id,
    )
