"""Families with their ordered guardians, and children."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import selectinload

from adapters.postgres.programme._base import (
    SessionRepository,
    fresh,
    insert_unless_external_id_taken,
    parse_id,
    require_id,
)
from adapters.postgres.programme.rows import ChildRow, FamilyRow, GuardianRow, ProviderChildLinkRow
from domain.programme.families import Address, Child, Family, Guardian, GuardianType
from domain.programme.statuses import ApplicationStatus, Language


def _family(row: FamilyRow) -> Family:
    return Family(
        id=str(row.id),
        language=Language(row.language),
        zip_code=row.zip_code,
        household_size=row.household_size,
        yearly_income_cents=row.yearly_income_cents,
        link_id=row.link_id,
        external_id=row.external_id,
        guardians=tuple(_guardian(g) for g in row.guardians),
    )


def _guardian(row: GuardianRow) -> Guardian:
    return Guardian(
        id=str(row.id),
        type=GuardianType(row.type),
        first_name=row.first_name,
        last_name=row.last_name,
        email=row.email,
        phone_number=row.phone_number,
        address=Address(row.address_line_1, row.address_line_2, row.city, row.state, row.zip_code),
        external_id=row.external_id,
    )


def _family_values(family: Family) -> dict[str, Any]:
    return {
        "language": family.language.value,
        "zip_code": family.zip_code,
        "household_size": family.household_size,
        "yearly_income_cents": family.yearly_income_cents,
        "link_id": family.link_id,
        "external_id": family.external_id,
    }


def _guardian_values(family_id: UUID, position: int, guardian: Guardian) -> dict[str, Any]:
    return {
        "id": require_id(guardian.id),
        "family_id": family_id,
        "position": position,
        "type": guardian.type.value,
        "first_name": guardian.first_name,
        "last_name": guardian.last_name,
        "email": guardian.email,
        "phone_number": guardian.phone_number,
        "address_line_1": guardian.address.line_1,
        "address_line_2": guardian.address.line_2,
        "city": guardian.address.city,
        "state": guardian.address.state,
        "zip_code": guardian.address.zip_code,
        "external_id": guardian.external_id,
    }


class PostgresFamilies(SessionRepository):
    """Satisfies ``FamilyRepository``. A family and its guardians load in two queries, one family or all."""

    async def _one(self, *where: Any) -> Family | None:
        query = fresh(FamilyRow).options(selectinload(FamilyRow.guardians)).where(*where)
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else _family(row)

    async def get(self, family_id: str) -> Family | None:
        key = parse_id(family_id)
        return None if key is None else await self._one(FamilyRow.id == key)

    async def get_by_external_id(self, external_id: str) -> Family | None:
        return await self._one(FamilyRow.external_id == external_id)

    async def list_all(self) -> list[Family]:
        return await self._ordered()

    async def list_page(self, *, limit: int, offset: int) -> list[Family]:
        return await self._ordered(limit=limit, offset=offset)

    async def _ordered(self, *, limit: int | None = None, offset: int = 0) -> list[Family]:
        query = (
            fresh(FamilyRow)
            .options(selectinload(FamilyRow.guardians))
            .order_by(FamilyRow.created_at, FamilyRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [_family(row) for row in (await self._session.execute(query)).scalars()]

    async def add(self, family: Family) -> None:
        key = require_id(family.id)
        await self._write(insert(FamilyRow).values(id=key, **_family_values(family)))
        await self._insert_guardians(key, family.guardians)

    async def add_if_absent(self, family: Family) -> bool:
        key = require_id(family.id)
        if not await insert_unless_external_id_taken(self._session, FamilyRow, key, _family_values(family)):
            return False
        await self._insert_guardians(key, family.guardians)
        return True

    async def save(self, family: Family) -> None:
        key = require_id(family.id)
        await self._write(
            update(FamilyRow)
            .where(FamilyRow.id == key)
            .values(**_family_values(family))
            .execution_options(synchronize_session=False)
        )
        # Replaced as a whole, in the given order: the pushed list is the family's guardians.
        await self._session.execute(
            delete(GuardianRow)
            .where(GuardianRow.family_id == key)
            .execution_options(synchronize_session=False)
        )
        await self._insert_guardians(key, family.guardians)

    async def _insert_guardians(self, family_id: UUID, guardians: tuple[Guardian, ...]) -> None:
        if guardians:
            rows = [_guardian_values(family_id, i, g) for i, g in enumerate(guardians)]
            await self._session.execute(insert(GuardianRow), rows)


def child_from_row(row: ChildRow) -> Child:
    return Child(
        id=str(row.id),
        family_id=str(row.family_id),
        first_name=row.first_name,
        last_name=row.last_name,
        middle_name=row.middle_name,
        date_of_birth=row.date_of_birth,
        status=ApplicationStatus(row.status),
        payment_enabled=row.payment_enabled,
        monthly_allocation_cents=row.monthly_allocation_cents,
        prorated_allocation_cents=row.prorated_allocation_cents,
        external_id=row.external_id,
    )


def _child_values(child: Child) -> dict[str, Any]:
    return {
        "family_id": require_id(child.family_id),
        "first_name": child.first_name,
        "middle_name": child.middle_name,
        "last_name": child.last_name,
        "date_of_birth": child.date_of_birth,
        "status": child.status.value,
        "payment_enabled": child.payment_enabled,
        "monthly_allocation_cents": child.monthly_allocation_cents,
        "prorated_allocation_cents": child.prorated_allocation_cents,
        "external_id": child.external_id,
    }


class PostgresChildren(SessionRepository):
    """Satisfies ``ChildRepository``."""

    async def _one(self, child_id: str, *, for_update: bool = False) -> Child | None:
        key = parse_id(child_id)
        if key is None:
            return None
        query = fresh(ChildRow).where(ChildRow.id == key)
        if for_update:
            query = query.with_for_update()
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else child_from_row(row)

    async def _many(self, *where: Any) -> list[Child]:
        query = fresh(ChildRow).where(*where).order_by(ChildRow.created_at, ChildRow.id)
        return [child_from_row(row) for row in (await self._session.execute(query)).scalars()]

    async def get(self, child_id: str) -> Child | None:
        return await self._one(child_id)

    async def get_for_update(self, child_id: str) -> Child | None:
        """SELECT … FOR UPDATE: allocation creation for one child waits for the previous one to commit."""
        return await self._one(child_id, for_update=True)

    async def get_by_external_id(self, external_id: str) -> Child | None:
        query = fresh(ChildRow).where(ChildRow.external_id == external_id)
        row = (await self._session.execute(query)).scalar_one_or_none()
        return None if row is None else child_from_row(row)

    async def list_for_family(self, family_id: str) -> list[Child]:
        key = parse_id(family_id)
        return [] if key is None else await self._many(ChildRow.family_id == key)

    async def list_for_families(self, family_ids: Sequence[str]) -> dict[str, list[Child]]:
        keys = [key for key in map(parse_id, family_ids) if key is not None]
        by_family: dict[str, list[Child]] = {}
        if not keys:
            return by_family
        for child in await self._many(ChildRow.family_id.in_(keys)):
            by_family.setdefault(child.family_id, []).append(child)
        return by_family

    async def list_cared_for_by(self, provider_id: str) -> list[Child]:
        key = parse_id(provider_id)
        if key is None:
            return []
        query = (
            fresh(ChildRow)
            .join(ProviderChildLinkRow, ProviderChildLinkRow.child_id == ChildRow.id)
            .where(ProviderChildLinkRow.provider_id == key)
            .order_by(ChildRow.id)
        )
        return [child_from_row(row) for row in (await self._session.execute(query)).scalars()]

    async def list_payment_enabled(self) -> list[Child]:
        return await self._many(ChildRow.payment_enabled.is_(True))

    async def add(self, child: Child) -> None:
        await self._write(insert(ChildRow).values(id=require_id(child.id), **_child_values(child)))

    async def add_if_absent(self, child: Child) -> bool:
        return await insert_unless_external_id_taken(
            self._session, ChildRow, require_id(child.id), _child_values(child)
        )

    async def save(self, child: Child) -> None:
        await self._write(
            update(ChildRow)
            .where(ChildRow.id == require_id(child.id))
            .values(**_child_values(child))
            .execution_options(synchronize_session=False)
        )
