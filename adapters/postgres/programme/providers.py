"""Providers, and which children each one cares for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from adapters.postgres.programme._base import (
    SessionRepository,
    fresh,
    insert_unless_external_id_taken,
    parse_id,
    require_id,
)
from adapters.postgres.programme.rows import ProviderChildLinkRow, ProviderRow
from domain.programme.families import Address
from domain.programme.providers import Provider, ProviderType
from domain.programme.statuses import ApplicationStatus, Language


def provider_from_row(row: ProviderRow) -> Provider:
    return Provider(
        id=str(row.id),
        name=row.name,
        type=ProviderType(row.type),
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone_number=row.phone_number,
        status=ApplicationStatus(row.status),
        payment_enabled=row.payment_enabled,
        care_location=Address(
            row.care_location_address_1,
            row.care_location_address_2,
            row.care_location_city,
            row.care_location_state,
            row.care_location_zip,
        ),
        preferred_language=Language(row.preferred_language),
        link_id=row.link_id,
        external_id=row.external_id,
    )


def _provider_values(provider: Provider) -> dict[str, Any]:
    return {
        "name": provider.name,
        "type": provider.type.value,
        "first_name": provider.first_name,
        "last_name": provider.last_name,
        "email": provider.email,
        "phone_number": provider.phone_number,
        "status": provider.status.value,
        "payment_enabled": provider.payment_enabled,
        "care_location_address_1": provider.care_location.line_1,
        "care_location_address_2": provider.care_location.line_2,
        "care_location_city": provider.care_location.city,
        "care_location_state": provider.care_location.state,
        "care_location_zip": provider.care_location.zip_code,
        "preferred_language": provider.preferred_language.value,
        "link_id": provider.link_id,
        "external_id": provider.external_id,
    }


class PostgresProviders(SessionRepository):
    """Satisfies ``ProviderRepository``."""

    async def _one(self, provider_id: str, *, for_update: bool = False) -> Provider | None:
        key = parse_id(provider_id)
        if key is None:
            return None
        query = fresh(ProviderRow).where(ProviderRow.id == key)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else provider_from_row(row)

    async def get(self, provider_id: str) -> Provider | None:
        return await self._one(provider_id)

    async def get_for_update(self, provider_id: str) -> Provider | None:
        """SELECT … FOR UPDATE: links to one provider are made one at a time, so capacity holds."""
        return await self._one(provider_id, for_update=True)

    async def get_by_external_id(self, external_id: str) -> Provider | None:
        query = fresh(ProviderRow).where(ProviderRow.external_id == external_id)
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else provider_from_row(row)

    async def list_all(self) -> list[Provider]:
        return await self._ordered()

    async def list_page(self, *, limit: int, offset: int) -> list[Provider]:
        return await self._ordered(limit=limit, offset=offset)

    async def _ordered(self, *, limit: int | None = None, offset: int = 0) -> list[Provider]:
        query = (
            fresh(ProviderRow).order_by(ProviderRow.created_at, ProviderRow.id).limit(limit).offset(offset)
        )
        return [provider_from_row(row) for row in (await self._session.execute(query)).scalars()]

    async def list_caring_for(self, child_id: str) -> list[Provider]:
        key = parse_id(child_id)
        if key is None:
            return []
        query = (
            fresh(ProviderRow)
            .join(ProviderChildLinkRow, ProviderChildLinkRow.provider_id == ProviderRow.id)
            .where(ProviderChildLinkRow.child_id == key)
            .order_by(ProviderRow.id)
        )
        return [provider_from_row(row) for row in (await self._session.execute(query)).scalars()]

    async def add(self, provider: Provider) -> None:
        values = _provider_values(provider)
        await self._write(insert(ProviderRow).values(id=require_id(provider.id), **values))

    async def add_if_absent(self, provider: Provider) -> bool:
        return await insert_unless_external_id_taken(
            self._session, ProviderRow, require_id(provider.id), _provider_values(provider)
        )

    async def save(self, provider: Provider) -> None:
        await self._write(
            update(ProviderRow)
            .where(ProviderRow.id == require_id(provider.id))
            .values(**_provider_values(provider))
            .execution_options(synchronize_session=False)
        )


class PostgresProviderChildLinks(SessionRepository):
    """Satisfies ``ProviderChildLinks``."""

    async def is_linked(self, provider_id: str, child_id: str) -> bool:
        provider_key, child_key = parse_id(provider_id), parse_id(child_id)
        if provider_key is None or child_key is None:
            return False
        query = select(
            exists().where(
                ProviderChildLinkRow.provider_id == provider_key, ProviderChildLinkRow.child_id == child_key
            )
        )
        return bool(await self._session.scalar(query))

    async def children_of(self, provider_id: str) -> list[str]:
        key = parse_id(provider_id)
        if key is None:
            return []
        query = select(ProviderChildLinkRow.child_id).where(ProviderChildLinkRow.provider_id == key)
        return sorted(str(child_id) for child_id in (await self._session.execute(query)).scalars())

    async def providers_of(self, child_id: str) -> list[str]:
        key = parse_id(child_id)
        if key is None:
            return []
        query = select(ProviderChildLinkRow.provider_id).where(ProviderChildLinkRow.child_id == key)
        return sorted(str(provider_id) for provider_id in (await self._session.execute(query)).scalars())

    async def children_of_each(self, provider_ids: Sequence[str]) -> dict[str, list[str]]:
        keys = [key for key in map(parse_id, provider_ids) if key is not None]
        by_provider: dict[str, list[str]] = {}
        if not keys:
            return by_provider
        query = (
            select(ProviderChildLinkRow.provider_id, ProviderChildLinkRow.child_id)
            .where(ProviderChildLinkRow.provider_id.in_(keys))
            .order_by(ProviderChildLinkRow.child_id)
        )
        for provider_key, child_key in (await self._session.execute(query)).all():
            by_provider.setdefault(str(provider_key), []).append(str(child_key))
        return by_provider

    async def link(self, provider_id: str, child_id: str) -> None:
        # Idempotent at the database too: a link that already exists is left as it is.
        statement = (
            pg_insert(ProviderChildLinkRow)
            .values(provider_id=require_id(provider_id), child_id=require_id(child_id))
            .on_conflict_do_nothing(index_elements=["provider_id", "child_id"])
        )
        await self._session.execute(statement)

    async def unlink(self, provider_id: str, child_id: str) -> None:
        await self._session.execute(
            delete(ProviderChildLinkRow)
            .where(
                ProviderChildLinkRow.provider_id == require_id(provider_id),
                ProviderChildLinkRow.child_id == require_id(child_id),
            )
            .execution_options(synchronize_session=False)
        )
