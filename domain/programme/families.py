"""Families, their guardians and their children: the reference data budgets are built on."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from domain.programme.statuses import ApplicationStatus, Language


class GuardianType(enum.StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"


@dataclass(frozen=True, slots=True)
class Address:
    line_1: str | None = None
    line_2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


def address_text(address: Address) -> str | None:
    """An address on one line (for the audit log and lists), or None when it has no part at all."""
    parts = (address.line_1, address.line_2, address.city, address.state, address.zip_code)
    return ", ".join(part for part in parts if part) or None


@dataclass(frozen=True, slots=True)
class Guardian:
    id: str
    type: GuardianType
    first_name: str
    last_name: str
    email: str | None = None
    phone_number: str | None = None  # E.164
    address: Address = field(default_factory=Address)
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Family:
    id: str
    language: Language = Language.ENGLISH
    zip_code: str | None = None
    household_size: int | None = None
    yearly_income_cents: int | None = None
    # The invitation token the family applied through; links it to the inviting provider at onboarding.
    link_id: str | None = None
    external_id: str | None = None
    # The primary guardian always comes first: emails and the dashboard address that person.
    guardians: tuple[Guardian, ...] = ()

    @property
    def primary_guardian(self) -> Guardian | None:
        return self.guardians[0] if self.guardians else None


@dataclass(frozen=True, slots=True)
class Child:
    id: str
    family_id: str
    first_name: str
    last_name: str
    middle_name: str | None = None
    date_of_birth: date | None = None
    status: ApplicationStatus = ApplicationStatus.PENDING
    payment_enabled: bool = False
    # The regular monthly budget, and the smaller one for the month the child joins mid-month.
    monthly_allocation_cents: int | None = None
    prorated_allocation_cents: int | None = None
    external_id: str | None = None
