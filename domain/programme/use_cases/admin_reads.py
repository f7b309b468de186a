"""Staff read the reference data back: one family or provider, or a page of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.programme.actors import Actor, require_admin
from domain.programme.errors import FamilyNotFound, InvalidField, ProviderNotFound
from domain.programme.families import Child, Family
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.providers import Provider

MAX_PAGE_SIZE = 200
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise InvalidField("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
        if self.offset < 0:
            raise InvalidField("offset", "must not be negative")

    @property
    def fetch_limit(self) -> int:
        """One more row than shown tells whether another page follows, without counting the table."""
        return self.limit + 1

    def cut(self, rows: Sequence[T]) -> tuple[Sequence[T], int | None]:
        """The rows to show of ``fetch_limit`` fetched, and the next page's offset (None on the last)."""
        more = len(rows) > self.limit
        return rows[: self.limit], (self.offset + self.limit if more else None)


@dataclass(frozen=True, slots=True)
class FamilyRecord:
    family: Family
    children: tuple[Child, ...]


@dataclass(frozen=True, slots=True)
class ProviderRecord:
    provider: Provider
    child_ids: tuple[str, ...]  # the children it cares for


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    items: tuple[T, ...]
    next_offset: int | None  # None on the last page


async def get_family(uow: ProgrammeUnitOfWork, actor: Actor, family_id: str) -> FamilyRecord:
    require_admin(actor)
    async with uow:
        family = await uow.families.get(family_id)
        if family is None:
            raise FamilyNotFound()
        children = await uow.children.list_for_family(family_id)
    return FamilyRecord(family, tuple(children))


async def list_families(uow: ProgrammeUnitOfWork, actor: Actor, page: Page) -> Listing[FamilyRecord]:
    require_admin(actor)
    async with uow:
        families, next_offset = page.cut(
            await uow.families.list_page(limit=page.fetch_limit, offset=page.offset)
        )
        # The whole page's children in one query, not one per family.
        children = await uow.children.list_for_families([f.id for f in families])
    return Listing(tuple(FamilyRecord(f, tuple(children.get(f.id, ()))) for f in families), next_offset)


async def get_provider(uow: ProgrammeUnitOfWork, actor: Actor, provider_id: str) -> ProviderRecord:
    require_admin(actor)
    async with uow:
        provider = await uow.providers.get(provider_id)
        if provider is None:
            raise ProviderNotFound()
        child_ids = await uow.links.children_of(provider_id)
    return ProviderRecord(provider, tuple(child_ids))


async def list_providers(uow: ProgrammeUnitOfWork, actor: Actor, page: Page) -> Listing[ProviderRecord]:
    require_admin(actor)
    async with uow:
        providers, next_offset = page.cut(
            await uow.providers.list_page(limit=page.fetch_limit, offset=page.offset)
        )
        # The whole page's links in one query, not one per provider.
        child_ids = await uow.links.children_of_each([p.id for p in providers])
    return Listing(tuple(ProviderRecord(p, tuple(child_ids.get(p.id, ()))) for p in providers), next_offset)
