"""What a provider charges for one child: a half-day and a full-day rate, in cents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.programme.errors import InvalidField
from domain.programme.validation import cents_between

MIN_RATE_CENTS = 100
MAX_RATE_CENTS = 16_000


@dataclass(frozen=True, slots=True)
class PaymentRate:
    id: int
    provider_id: str
    child_id: str
    half_day_rate_cents: int
    full_day_rate_cents: int
    created_at: datetime
    updated_at: datetime


def validated_rates(half_day_rate_cents: int, full_day_rate_cents: int) -> tuple[int, int]:
    half = cents_between("half_day_rate_cents", half_day_rate_cents, MIN_RATE_CENTS, MAX_RATE_CENTS)
    full = cents_between("full_day_rate_cents", full_day_rate_cents, MIN_RATE_CENTS, MAX_RATE_CENTS)
    # Upstream accepted a half day dearer than a full day; a half day can never cost more.
    if half > full:
        raise InvalidField("half_day_rate_cents", "must not be more than the full-day rate")
    return half, full
