"""The keyword fields the test builders take, one TypedDict per entity (all optional).

A builder says `**fields: Unpack[ChildFields]` and passes them to `dataclasses.replace`, so mypy checks
each call site's fields against the entity: a renamed or retyped field fails the type check, not a test
run. Keep each in step with its dataclass in `domain/`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from domain.programme.families import Address, GuardianType
from domain.programme.providers import ProviderType
from domain.programme.statuses import ApplicationStatus, Language


class ChildFields(TypedDict, total=False):
    first_name: str
    last_name: str
    middle_name: str | None
    date_of_birth: date | None
    status: ApplicationStatus
    payment_enabled: bool
    monthly_allocation_cents: int | None
    prorated_allocation_cents: int | None
    external_id: str | None


class GuardianFields(TypedDict, total=False):
    type: GuardianType
    first_name: str
    last_name: str
    email: str | None
    phone_number: str | None
    address: Address
    external_id: str | None


class ProviderFields(TypedDict, total=False):
    name: str
    type: ProviderType
    first_name: str | None
    last_name: str | None
    email: str | None
    phone_number: str | None
    status: ApplicationStatus
    payment_enabled: bool
    care_location: Address
    preferred_language: Language
    link_id: str | None
    external_id: str | None


class CareDayFields(TypedDict, total=False):
    """A day's state beside its type and amount (which the builders take by name)."""

    amount_missing_cents: int | None
    deleted_at: datetime | None
    payment_id: str | None
    payment_distribution_requested: bool
    last_submitted_at: datetime | None


class AllocationSums(TypedDict, total=False):
    """What the payments, reclamation and lump-sum capabilities keep on a month's allocation."""

    reclaimed_cents: int
    paid_cents: int
    lump_sum_cents: int


class RulesFields(TypedDict, total=False):
    max_children_per_provider: int
    max_allocation_cents: int
    program_end_date: date | None
    business_timezone: str
