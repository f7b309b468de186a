"""What callers send about a family, and how it becomes validated guardians and children."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.programme.config import ProgrammeRules
from domain.programme.errors import InvalidField
from domain.programme.families import Address, Child, Guardian, GuardianType
from domain.programme.records import new_reference_id
from domain.programme.statuses import ApplicationStatus, Language
from domain.programme.validation import (
    optional_cents_between,
    optional_email,
    optional_phone,
    optional_text,
    required_text,
)


@dataclass(frozen=True, slots=True)
class GuardianDetails:
    type: GuardianType
    first_name: str
    last_name: str
    email: str | None = None
    phone_number: str | None = None
    address: Address = field(default_factory=Address)
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChildDetails:
    first_name: str
    last_name: str
    middle_name: str | None = None
    date_of_birth: date | None = None
    status: ApplicationStatus = ApplicationStatus.PENDING
    payment_enabled: bool = False
    monthly_allocation_cents: int | None = None
    prorated_allocation_cents: int | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class FamilyDetails:
    guardians: tuple[GuardianDetails, ...]
    children: tuple[ChildDetails, ...] = ()
    language: Language = Language.ENGLISH
    zip_code: str | None = None
    household_size: int | None = None
    yearly_income_cents: int | None = None
    link_id: str | None = None
    external_id: str | None = None


def build_guardians(details: Sequence[GuardianDetails], current: Sequence[Guardian]) -> tuple[Guardian, ...]:
    """The pushed list is the family's guardians, primary first; a guardian seen before keeps its id."""
    primaries = [(i, g) for i, g in enumerate(details) if g.type is GuardianType.PRIMARY]
    if len(primaries) != 1:
        raise InvalidField("guardians", "exactly one guardian must be the primary guardian")
    others = [(i, g) for i, g in enumerate(details) if g.type is not GuardianType.PRIMARY]
    guardians = []
    for index, g in primaries + others:
        at = f"guardians[{index}]"
        email = optional_email(f"{at}.email", g.email)
        guardians.append(
            Guardian(
                id=_known_guardian_id(current, g.external_id, email) or new_reference_id(),
                type=g.type,
                first_name=required_text(f"{at}.first_name", g.first_name),
                last_name=required_text(f"{at}.last_name", g.last_name),
                email=email,
                phone_number=optional_phone(f"{at}.phone_number", g.phone_number),
                address=g.address,
                external_id=optional_text(f"{at}.external_id", g.external_id),
            )
        )
    return tuple(guardians)


def _known_guardian_id(current: Sequence[Guardian], external_id: str | None, email: str | None) -> str | None:
    for guardian in current:
        if external_id is not None and guardian.external_id == external_id:
            return guardian.id
        if email is not None and guardian.email is not None and guardian.email.lower() == email.lower():
            return guardian.id
    return None


def build_child(
    at: str, details: ChildDetails, *, child_id: str, family_id: str, rules: ProgrammeRules
) -> Child:
    ceiling = rules.max_allocation_cents
    return Child(
        id=child_id,
        family_id=family_id,
        first_name=required_text(f"{at}.first_name", details.first_name),
        last_name=required_text(f"{at}.last_name", details.last_name),
        middle_name=optional_text(f"{at}.middle_name", details.middle_name),
        date_of_birth=details.date_of_birth,
        status=details.status,
        payment_enabled=details.payment_enabled,
        monthly_allocation_cents=optional_cents_between(
            f"{at}.monthly_allocation_cents", details.monthly_allocation_cents, 0, ceiling
        ),
        prorated_allocation_cents=optional_cents_between(
            f"{at}.prorated_allocation_cents", details.prorated_allocation_cents, 0, ceiling
        ),
        external_id=optional_text(f"{at}.external_id", details.external_id),
    )


OLDEST_CHILD_YEARS = 25  # a child in the programme is born at most this many years ago


def check_household(details: FamilyDetails, today: date | None = None) -> None:
    """Rules over the whole body: household figures, dates of birth, no child's external_id twice.

    ``today`` bounds dates of birth (not after today, not more than OLDEST_CHILD_YEARS before);
    without it only the far bounds apply (a calendar year from 1900 to 2100).
    """
    for index, child in enumerate(details.children):
        _check_birth_date(f"children[{index}].dob", child.date_of_birth, today)
    _refuse_repeats("children", [child.external_id for child in details.children])
    if details.household_size is not None and details.household_size < 1:
        raise InvalidField("household_size", "must be at least 1")
    if details.yearly_income_cents is not None and details.yearly_income_cents < 0:
        raise InvalidField("yearly_income_cents", "must not be negative")


def _check_birth_date(field_name: str, born: date | None, today: date | None) -> None:
    if born is None:
        return
    earliest = date(1900, 1, 1) if today is None else date(today.year - OLDEST_CHILD_YEARS, 1, 1)
    latest = date(2100, 12, 31) if today is None else today
    if not earliest <= born <= latest:
        raise InvalidField(field_name, f"must be between {earliest.isoformat()} and {latest.isoformat()}")


def _refuse_repeats(collection: str, external_ids: Sequence[str | None]) -> None:
    """Two records with one external_id in a body would silently become one: refuse, naming both."""
    first_seen: dict[str, int] = {}
    for index, external_id in enumerate(external_ids):
        key = (external_id or "").strip()
        if not key:
            continue
        if key in first_seen:
            earlier = f"{collection}[{first_seen[key]}].external_id"
            raise InvalidField(f"{collection}[{index}].external_id", f"repeats {earlier}")
        first_seen[key] = index
