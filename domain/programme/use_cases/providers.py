"""Staff and the application site keep providers up to date and decide which children they care for."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from domain.audit import AuditStamp, Snapshot
from domain.programme.actors import Actor, require_admin
from domain.programme.config import ProgrammeRules
from domain.programme.errors import ChildNotFound, ProviderAtCapacity, ProviderNotFound
from domain.programme.families import Address, address_text
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.providers import Provider, ProviderType, has_free_place
from domain.programme.records import UNSET, Unset, changed, new_reference_id
from domain.programme.statuses import ApplicationStatus, Language
from domain.programme.use_cases.pushes import store_by_external_id
from domain.programme.validation import optional_email, optional_phone, optional_text, required_text


@dataclass(frozen=True, slots=True)
class ProviderDetails:
    name: str
    type: ProviderType
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    status: ApplicationStatus = ApplicationStatus.PENDING
    payment_enabled: bool = False
    care_location: Address = field(default_factory=Address)
    preferred_language: Language = Language.ENGLISH
    link_id: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class SavedProvider:
    provider: Provider
    created: bool


def _build_provider(provider_id: str, details: ProviderDetails) -> Provider:
    return Provider(
        id=provider_id,
        name=required_text("name", details.name),
        type=details.type,
        first_name=optional_text("first_name", details.first_name),
        last_name=optional_text("last_name", details.last_name),
        email=optional_email("email", details.email),
        phone_number=optional_phone("phone_number", details.phone_number),
        status=details.status,
        payment_enabled=details.payment_enabled,
        care_location=details.care_location,
        preferred_language=details.preferred_language,
        link_id=optional_text("link_id", details.link_id),
        external_id=optional_text("external_id", details.external_id),
    )


async def save_provider(
    uow: ProgrammeUnitOfWork, actor: Actor, details: ProviderDetails, *, audit: AuditStamp | None = None
) -> SavedProvider:
    """Creates the provider, or updates the one with the same external_id, so a repeat never duplicates.

    ``audit``: written to the audit log (``provider.created``, or ``provider.changed`` from what was
    stored) in the push's own transaction."""
    require_admin(actor)
    found: list[Provider] = []

    def provider(current: Provider | None) -> Provider:
        found[:] = [] if current is None else [current]
        return _build_provider(new_reference_id() if current is None else current.id, details)

    external_id = optional_text("external_id", details.external_id)
    async with uow:
        stored, created = await store_by_external_id(uow.providers, external_id, provider)
        if audit is not None:
            before = None if created or not found else provider_snapshot(found[0])
            after = provider_snapshot(stored)
            if before != after:  # a repeated push that changed nothing writes no entry
                action = "provider.created" if before is None else "provider.changed"
                await uow.audit.record(audit.entry(action, "provider", stored.id, before, after))
        await uow.commit()
    return SavedProvider(provider=stored, created=created)


@dataclass(frozen=True, slots=True)
class ProviderChanges:
    name: str | Unset = UNSET
    type: ProviderType | Unset = UNSET
    email: str | Unset | None = UNSET
    phone_number: str | Unset | None = UNSET
    status: ApplicationStatus | Unset = UNSET
    payment_enabled: bool | Unset = UNSET
    preferred_language: Language | Unset = UNSET
    external_id: str | Unset | None = UNSET


async def update_provider(
    uow: ProgrammeUnitOfWork,
    actor: Actor,
    provider_id: str,
    changes: ProviderChanges,
    *,
    audit: AuditStamp | None = None,
) -> Provider:
    """``audit``: the change is written to the audit log in its own transaction (staff changes)."""
    require_admin(actor)
    async with uow:
        current = await uow.providers.get(provider_id)
        if current is None:
            raise ProviderNotFound()
        # Another provider's external_id is refused by the repository (ExternalIdTaken), race or not.
        external_id = optional_text("external_id", changed(changes.external_id, current.external_id))
        provider = replace(
            current,
            name=required_text("name", changed(changes.name, current.name)),
            type=changed(changes.type, current.type),
            email=optional_email("email", changed(changes.email, current.email)),
            phone_number=optional_phone("phone_number", changed(changes.phone_number, current.phone_number)),
            status=changed(changes.status, current.status),
            payment_enabled=changed(changes.payment_enabled, current.payment_enabled),
            preferred_language=changed(changes.preferred_language, current.preferred_language),
            external_id=external_id,
        )
        await uow.providers.save(provider)
        if audit is not None:
            before, after = provider_snapshot(current), provider_snapshot(provider)
            await uow.audit.record(audit.entry("provider.changed", "provider", provider.id, before, after))
        await uow.commit()
    return provider


def provider_snapshot(provider: Provider) -> Snapshot:
    """What the audit log keeps of a provider: the fields staff and pushes can change."""
    return {
        "name": provider.name,
        "first_name": provider.first_name,
        "last_name": provider.last_name,
        "type": provider.type.value,
        "email": provider.email,
        "phone_number": provider.phone_number,
        "status": provider.status.value,
        "payment_enabled": provider.payment_enabled,
        "preferred_language": provider.preferred_language.value,
        "care_location": address_text(provider.care_location),
        "link_id": provider.link_id,
        "external_id": provider.external_id,
    }


async def _audit_link(
    uow: ProgrammeUnitOfWork, audit: AuditStamp | None, provider_id: str, child_id: str, *, linked: bool
) -> None:
    if audit is not None:
        entry = audit.entry(
            "provider_child_link.linked" if linked else "provider_child_link.unlinked",
            "provider_child_link",
            f"{provider_id}:{child_id}",
            {"linked": not linked},
            {"linked": linked},
        )
        await uow.audit.record(entry)


async def link_provider_to_child(
    uow: ProgrammeUnitOfWork,
    rules: ProgrammeRules,
    actor: Actor,
    provider_id: str,
    child_id: str,
    *,
    audit: AuditStamp | None = None,
) -> bool:
    """Links them (True), or does nothing when they already are (False): PUT is idempotent."""
    require_admin(actor)
    async with uow:
        # The provider's row lock queues concurrent links, so two of them cannot both take the last place.
        if await uow.providers.get_for_update(provider_id) is None:
            raise ProviderNotFound()
        if await uow.children.get(child_id) is None:
            raise ChildNotFound()
        if await uow.links.is_linked(provider_id, child_id):
            return False
        linked = await uow.links.children_of(provider_id)
        if not has_free_place(len(linked), rules.max_children_per_provider):
            raise ProviderAtCapacity(details={"max_children_per_provider": rules.max_children_per_provider})
        await uow.links.link(provider_id, child_id)
        await _audit_link(uow, audit, provider_id, child_id, linked=True)
        await uow.commit()
    return True


async def unlink_provider_from_child(
    uow: ProgrammeUnitOfWork,
    actor: Actor,
    provider_id: str,
    child_id: str,
    *,
    audit: AuditStamp | None = None,
) -> bool:
    """Unlinks them (True), or does nothing when they were not linked (False). Rates and care days stay."""
    require_admin(actor)
    async with uow:
        if await uow.providers.get(provider_id) is None:
            raise ProviderNotFound()
        if await uow.children.get(child_id) is None:
            raise ChildNotFound()
        if not await uow.links.is_linked(provider_id, child_id):
            return False
        await uow.links.unlink(provider_id, child_id)
        await _audit_link(uow, audit, provider_id, child_id, linked=False)
        await uow.commit()
    return True


async def link_by_external_ids(
    uow: ProgrammeUnitOfWork,
    rules: ProgrammeRules,
    actor: Actor,
    provider_external_id: str,
    child_external_id: str,
) -> bool:
    """The bulk import's link, both sides named by the application site's external_ids (True: linked now)."""
    require_admin(actor)
    async with uow:
        provider = await uow.providers.get_by_external_id(provider_external_id)
        child = await uow.children.get_by_external_id(child_external_id)
    if provider is None:
        raise ProviderNotFound(details={"field": "provider_external_id"})
    if child is None:
        raise ChildNotFound(details={"field": "child_external_id"})
    return await link_provider_to_child(uow, rules, actor, provider.id, child.id)
