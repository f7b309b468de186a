"""Staff and the application site keep families, guardians and children up to date."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from domain.audit import AuditStamp, Snapshot
from domain.programme.actors import Actor, require_admin
from domain.programme.config import ProgrammeRules
from domain.programme.errors import ChildNotFound, ExternalIdTaken, FamilyNotFound
from domain.programme.families import Child, Family, Guardian, address_text
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.records import UNSET, Unset, changed, new_reference_id
from domain.programme.statuses import ApplicationStatus, Language
from domain.programme.use_cases.family_details import (
    ChildDetails,
    FamilyDetails,
    GuardianDetails,
    build_child,
    build_guardians,
    check_household,
)
from domain.programme.use_cases.pushes import store_by_external_id
from domain.programme.validation import optional_text


@dataclass(frozen=True, slots=True)
class SavedFamily:
    family: Family
    children: tuple[Child, ...]
    created: bool


async def save_family(
    uow: ProgrammeUnitOfWork,
    rules: ProgrammeRules,
    actor: Actor,
    details: FamilyDetails,
    *,
    today: date | None = None,
    audit: AuditStamp | None = None,
) -> SavedFamily:
    """Creates the family, or updates the one with the same external_id (a repeated push never duplicates).

    ``today`` (the programme's business day) bounds the children's dates of birth. ``audit``: the family
    and each child are written to the audit log (created, or changed from what was stored) in the push's
    own transaction.
    """
    require_admin(actor)
    check_household(details, today)
    external_id = optional_text("external_id", details.external_id)
    found: list[Family] = []  # the family the push updates, as it was, for the audit log

    def family(current: Family | None) -> Family:
        if current is None:
            return _family(new_reference_id(), details, external_id, current_guardians=())
        found[:] = [current]
        return _family(current.id, details, external_id, current_guardians=current.guardians)

    async with uow:
        stored, created = await store_by_external_id(uow.families, external_id, family)
        if audit is not None:
            before = None if created or not found else family_snapshot(found[0])
            await _audit(uow, audit, "family", stored.id, before, family_snapshot(stored))
        children = [
            await _save_child(uow, rules, stored.id, i, c, audit) for i, c in enumerate(details.children)
        ]
        await uow.commit()
    return SavedFamily(family=stored, children=tuple(children), created=created)


async def _audit(
    uow: ProgrammeUnitOfWork,
    audit: AuditStamp,
    record_type: str,
    record_id: str,
    before: Snapshot | None,
    after: Snapshot,
) -> None:
    """A pushed record's entry: ``<type>.created`` when there was none before, else ``<type>.changed``;
    none when a repeated push changed nothing (as a PUT of an existing link writes none)."""
    if before == after:
        return
    action = f"{record_type}.created" if before is None else f"{record_type}.changed"
    await uow.audit.record(audit.entry(action, record_type, record_id, before, after))


def _family(
    family_id: str, details: FamilyDetails, external_id: str | None, current_guardians: tuple[Guardian, ...]
) -> Family:
    return Family(
        id=family_id,
        language=details.language,
        zip_code=optional_text("zip_code", details.zip_code),
        household_size=details.household_size,
        yearly_income_cents=details.yearly_income_cents,
        link_id=optional_text("link_id", details.link_id),
        external_id=external_id,
        guardians=build_guardians(details.guardians, current_guardians),
    )


async def _save_child(
    uow: ProgrammeUnitOfWork,
    rules: ProgrammeRules,
    family_id: str,
    index: int,
    details: ChildDetails,
    audit: AuditStamp | None,
) -> Child:
    at = f"children[{index}]"
    found: list[Child] = []

    def child(current: Child | None) -> Child:
        if current is not None and current.family_id != family_id:
            raise ExternalIdTaken(details={"field": f"{at}.external_id"})  # it is another family's child
        found[:] = [] if current is None else [current]
        child_id = new_reference_id() if current is None else current.id
        return build_child(at, details, child_id=child_id, family_id=family_id, rules=rules)

    external_id = optional_text(f"{at}.external_id", details.external_id)
    stored, created = await store_by_external_id(uow.children, external_id, child, field=f"{at}.external_id")
    if audit is not None:
        before = None if created or not found else child_snapshot(found[0])
        await _audit(uow, audit, "child", stored.id, before, child_snapshot(stored))
    return stored


@dataclass(frozen=True, slots=True)
class FamilyChanges:
    guardians: tuple[GuardianDetails, ...] | Unset = UNSET
    language: Language | Unset = UNSET
    zip_code: str | Unset | None = UNSET
    link_id: str | Unset | None = UNSET
    external_id: str | Unset | None = UNSET


async def update_family(
    uow: ProgrammeUnitOfWork,
    actor: Actor,
    family_id: str,
    changes: FamilyChanges,
    *,
    audit: AuditStamp | None = None,
) -> Family:
    """``audit``: the change is written to the audit log in its own transaction (staff changes)."""
    require_admin(actor)
    async with uow:
        family = await uow.families.get(family_id)
        if family is None:
            raise FamilyNotFound()
        before = family
        # Another family's external_id is refused by the repository (ExternalIdTaken), race or not.
        external_id = optional_text("external_id", changed(changes.external_id, family.external_id))
        guardians = family.guardians
        if not isinstance(changes.guardians, Unset):
            guardians = build_guardians(changes.guardians, family.guardians)
        family = replace(
            family,
            guardians=guardians,
            language=changed(changes.language, family.language),
            zip_code=optional_text("zip_code", changed(changes.zip_code, family.zip_code)),
            link_id=optional_text("link_id", changed(changes.link_id, family.link_id)),
            external_id=external_id,
        )
        await uow.families.save(family)
        if audit is not None:
            entry = audit.entry(
                "family.changed", "family", family.id, family_snapshot(before), family_snapshot(family)
            )
            await uow.audit.record(entry)
        await uow.commit()
    return family


def family_snapshot(family: Family) -> Snapshot:
    """What the audit log keeps of a family: its fields, and each guardian as one line of text."""
    snapshot: dict[str, str | int | bool | None] = {
        "language": family.language.value,
        "zip_code": family.zip_code,
        "household_size": family.household_size,
        "yearly_income_cents": family.yearly_income_cents,
        "link_id": family.link_id,
        "external_id": family.external_id,
    }
    for position, guardian in enumerate(family.guardians):
        contact = ", ".join(part for part in (guardian.email, guardian.phone_number) if part)
        snapshot[f"guardian_{position}"] = f"{guardian.first_name} {guardian.last_name} ({contact})"
        snapshot[f"guardian_{position}_address"] = address_text(guardian.address)
    return snapshot


@dataclass(frozen=True, slots=True)
class ChildChanges:
    first_name: str | Unset = UNSET
    last_name: str | Unset = UNSET
    status: ApplicationStatus | Unset = UNSET
    payment_enabled: bool | Unset = UNSET
    monthly_allocation_cents: int | Unset | None = UNSET
    prorated_allocation_cents: int | Unset | None = UNSET
    external_id: str | Unset | None = UNSET


async def update_child(
    uow: ProgrammeUnitOfWork,
    rules: ProgrammeRules,
    actor: Actor,
    child_id: str,
    changes: ChildChanges,
    *,
    audit: AuditStamp | None = None,
) -> Child:
    """``audit``: the change is written to the audit log in its own transaction (staff changes)."""
    require_admin(actor)
    async with uow:
        child = await uow.children.get(child_id)
        if child is None:
            raise ChildNotFound()
        before = child
        details = ChildDetails(
            first_name=changed(changes.first_name, child.first_name),
            last_name=changed(changes.last_name, child.last_name),
            middle_name=child.middle_name,
            date_of_birth=child.date_of_birth,
            status=changed(changes.status, child.status),
            payment_enabled=changed(changes.payment_enabled, child.payment_enabled),
            monthly_allocation_cents=changed(
                changes.monthly_allocation_cents, child.monthly_allocation_cents
            ),
            prorated_allocation_cents=changed(
                changes.prorated_allocation_cents, child.prorated_allocation_cents
            ),
            external_id=changed(changes.external_id, child.external_id),
        )
        child = build_child("child", details, child_id=child.id, family_id=child.family_id, rules=rules)
        await uow.children.save(child)
        if audit is not None:
            entry = audit.entry(
                "child.changed", "child", child.id, child_snapshot(before), child_snapshot(child)
            )
            await uow.audit.record(entry)
        await uow.commit()
    return child


def child_snapshot(child: Child) -> Snapshot:
    """What the audit log keeps of a child: the fields staff and pushes can change."""
    return {
        "first_name": child.first_name,
        "middle_name": child.middle_name,
        "last_name": child.last_name,
        "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
        "status": child.status.value,
        "payment_enabled": child.payment_enabled,
        "monthly_allocation_cents": child.monthly_allocation_cents,
        "prorated_allocation_cents": child.prorated_allocation_cents,
        "external_id": child.external_id,
    }
