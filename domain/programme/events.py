"""Facts other capabilities react to without this code knowing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class AllocationCreated:
    """A month's budget exists; the payments capability funds the family wallet from it."""

    allocation_id: int
    child_id: str
    family_id: str
    month: date
    allocation_cents: int
    occurred_at: datetime
