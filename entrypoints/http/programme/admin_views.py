"""What the admin API answers about families, children and providers (ids as JSON strings)."""

from __future__ import annotations

from datetime import date

import msgspec

from domain.programme.families import Address, Child, Family, Guardian
from domain.programme.providers import Provider
from domain.programme.use_cases.admin_reads import FamilyRecord, ProviderRecord


class GuardianOut(msgspec.Struct):
    id: str
    type: str
    first_name: str
    last_name: str
    email: str | None
    phone_number: str | None
    address_1: str | None
    address_2: str | None
    city: str | None
    state: str | None
    zip: str | None
    external_id: str | None


class ChildOut(msgspec.Struct):
    id: str
    family_id: str
    first_name: str
    middle_name: str | None
    last_name: str
    dob: date | None
    status: str
    payment_enabled: bool
    monthly_allocation_cents: int | None
    prorated_allocation_cents: int | None
    external_id: str | None


class FamilyOut(msgspec.Struct):
    id: str
    language: str
    zip: str | None
    size: int | None
    yearly_income_cents: int | None
    link_id: str | None
    external_id: str | None
    guardians: list[GuardianOut]
    children: list[ChildOut]


class ProviderOut(msgspec.Struct):
    id: str
    name: str
    type: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone_number: str | None
    status: str
    payment_enabled: bool
    care_location_address_1: str | None
    care_location_address_2: str | None
    care_location_city: str | None
    care_location_state: str | None
    care_location_zip: str | None
    preferred_language: str
    link_id: str | None
    external_id: str | None
    child_ids: list[str]


class FamilyPage(msgspec.Struct):
    items: list[FamilyOut]
    limit: int
    offset: int
    next_offset: int | None


class ProviderPage(msgspec.Struct):
    items: list[ProviderOut]
    limit: int
    offset: int
    next_offset: int | None


def _guardian(g: Guardian) -> GuardianOut:
    a: Address = g.address
    return GuardianOut(
        g.id, g.type.value, g.first_name, g.last_name, g.email, g.phone_number,
        a.line_1, a.line_2, a.city, a.state, a.zip_code, g.external_id,
    )  # fmt: skip


def child_out(c: Child) -> ChildOut:
    return ChildOut(
        c.id, c.family_id, c.first_name, c.middle_name, c.last_name, c.date_of_birth, c.status.value,
        c.payment_enabled, c.monthly_allocation_cents, c.prorated_allocation_cents, c.external_id,
    )  # fmt: skip


def family_out(family: Family, children: tuple[Child, ...] | list[Child]) -> FamilyOut:
    return FamilyOut(
        id=family.id,
        language=family.language.value,
        zip=family.zip_code,
        size=family.household_size,
        yearly_income_cents=family.yearly_income_cents,
        link_id=family.link_id,
        external_id=family.external_id,
        guardians=[_guardian(g) for g in family.guardians],
        children=[child_out(c) for c in children],
    )


def family_record_out(record: FamilyRecord) -> FamilyOut:
    return family_out(record.family, record.children)


def provider_out(p: Provider, child_ids: tuple[str, ...] | list[str]) -> ProviderOut:
    loc = p.care_location
    return ProviderOut(
        p.id, p.name, p.type.value, p.first_name, p.last_name, p.email, p.phone_number, p.status.value,
        p.payment_enabled, loc.line_1, loc.line_2, loc.city, loc.state, loc.zip_code,
        p.preferred_language.value, p.link_id, p.external_id, list(child_ids),
    )  # fmt: skip


def provider_record_out(record: ProviderRecord) -> ProviderOut:
    return provider_out(record.provider, record.child_ids)
