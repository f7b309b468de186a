"""Families' and providers' payment settings: one row each (the primary key is the family or provider)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from adapters.postgres.money.rows import FamilyPaymentSettingsRow, ProviderPaymentSettingsRow
from adapters.postgres.programme._base import parse_id
from adapters.postgres.programme.rows import FamilyRow, ProviderRow
from domain.money.wallets import (
    FamilyPaymentSettings,
    Instrument,
    InstrumentStatus,
    PaymentMethod,
    ProviderPaymentSettings,
)


def _instrument(instrument_id: str | None, status: str | None) -> Instrument | None:
    return None if instrument_id is None else Instrument(instrument_id, status or "")


def _family(row: FamilyPaymentSettingsRow) -> FamilyPaymentSettings:
    return FamilyPaymentSettings(
        family_id=str(row.family_id),
        gateway_user_id=row.gateway_user_id,
        wallet_balance_cents=row.wallet_balance_cents,
        last_synced_at=row.last_synced_at,
        last_error=row.last_error,
    )


def _provider(row: ProviderPaymentSettingsRow) -> ProviderPaymentSettings:
    return ProviderPaymentSettings(
        provider_id=str(row.provider_id),
        gateway_user_id=row.gateway_user_id,
        payment_method=None if row.payment_method is None else PaymentMethod(row.payment_method),
        payment_method_updated_at=row.payment_method_updated_at,
        card=_instrument(row.card_id, row.card_status),
        ach=_instrument(row.ach_id, row.ach_status),
        wallet_balance_cents=row.wallet_balance_cents,
        last_synced_at=row.last_synced_at,
        last_error=row.last_error,
    )


def _ids(values: Sequence[str]) -> list[UUID]:
    return [key for key in (parse_id(v) for v in values) if key is not None]


class PostgresPaymentSettings:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def family(self, family_id: str) -> FamilyPaymentSettings | None:
        return (await self.families([family_id])).get(family_id)

    async def families(self, family_ids: Sequence[str]) -> dict[str, FamilyPaymentSettings]:
        ids = _ids(family_ids)
        if not ids:
            return {}
        rows = await self._session.execute(
            select(FamilyPaymentSettingsRow)
            .where(FamilyPaymentSettingsRow.family_id.in_(ids))
            .execution_options(populate_existing=True)
        )
        return {str(row.family_id): _family(row) for row in rows.scalars()}

    async def provider(self, provider_id: str) -> ProviderPaymentSettings | None:
        return (await self.providers([provider_id])).get(provider_id)

    async def providers(self, provider_ids: Sequence[str]) -> dict[str, ProviderPaymentSettings]:
        ids = _ids(provider_ids)
        if not ids:
            return {}
        rows = await self._session.execute(
            select(ProviderPaymentSettingsRow)
            .where(ProviderPaymentSettingsRow.provider_id.in_(ids))
            .execution_options(populate_existing=True)
        )
        return {str(row.provider_id): _provider(row) for row in rows.scalars()}

    async def family_for_update(self, family_id: str) -> FamilyPaymentSettings | None:
        key = parse_id(family_id)
        if key is None:
            return None
        row = (
            await self._session.execute(
                select(FamilyPaymentSettingsRow)
                .where(FamilyPaymentSettingsRow.family_id == key)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        return None if row is None else _family(row)

    async def provider_for_update(self, provider_id: str) -> ProviderPaymentSettings | None:
        key = parse_id(provider_id)
        if key is None:
            return None
        # Creates the row first when absent, so the lock always has a row to hold: two requests setting
        # up one provider's card wait for each other instead of both calling the gateway.
        await self._session.execute(
            pg_insert(ProviderPaymentSettingsRow).values(provider_id=key).on_conflict_do_nothing()
        )
        row = (
            await self._session.execute(
                select(ProviderPaymentSettingsRow)
                .where(ProviderPaymentSettingsRow.provider_id == key)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        return None if row is None else _provider(row)

    async def save_family(self, settings: FamilyPaymentSettings) -> None:
        values: dict[str, Any] = {
            "gateway_user_id": settings.gateway_user_id,
            "wallet_balance_cents": settings.wallet_balance_cents,
            "last_synced_at": settings.last_synced_at,
            "last_error": settings.last_error,
        }
        await self._session.execute(
            pg_insert(FamilyPaymentSettingsRow)
            .values(family_id=UUID(settings.family_id), **values)
            .on_conflict_do_update(index_elements=["family_id"], set_=values)
        )

    async def save_provider(self, settings: ProviderPaymentSettings) -> None:
        values: dict[str, Any] = {
            "gateway_user_id": settings.gateway_user_id,
            "payment_method": None if settings.payment_method is None else settings.payment_method.value,
            "payment_method_updated_at": settings.payment_method_updated_at,
            "card_id": None if settings.card is None else settings.card.id,
            "card_status": None if settings.card is None else settings.card.status,
            "ach_id": None if settings.ach is None else settings.ach.id,
            "ach_status": None if settings.ach is None else settings.ach.status,
            "wallet_balance_cents": settings.wallet_balance_cents,
            "last_synced_at": settings.last_synced_at,
            "last_error": settings.last_error,
        }
        await self._session.execute(
            pg_insert(ProviderPaymentSettingsRow)
            .values(provider_id=UUID(settings.provider_id), **values)
            .on_conflict_do_update(index_elements=["provider_id"], set_=values)
        )

    async def families_without_wallet(self, *, limit: int) -> list[str]:
        rows = await self._session.execute(
            select(FamilyRow.id)
            .outerjoin(FamilyPaymentSettingsRow, FamilyPaymentSettingsRow.family_id == FamilyRow.id)
            .where(FamilyPaymentSettingsRow.gateway_user_id.is_(None))
            .order_by(FamilyRow.created_at, FamilyRow.id)
            .limit(limit)
        )
        return [str(key) for key in rows.scalars()]

    async def providers_without_wallet(self, *, limit: int) -> list[str]:
        rows = await self._session.execute(
            select(ProviderRow.id)
            .outerjoin(ProviderPaymentSettingsRow, ProviderPaymentSettingsRow.provider_id == ProviderRow.id)
            .where(ProviderPaymentSettingsRow.gateway_user_id.is_(None))
            .order_by(ProviderRow.created_at, ProviderRow.id)
            .limit(limit)
        )
        return [str(key) for key in rows.scalars()]

    async def families_with_wallet(self, *, after: str | None, limit: int) -> list[str]:
        return await self._with_wallet(
            FamilyPaymentSettingsRow, FamilyPaymentSettingsRow.family_id, after, limit
        )

    async def providers_with_wallet(self, *, after: str | None, limit: int) -> list[str]:
        return await self._with_wallet(
            ProviderPaymentSettingsRow, ProviderPaymentSettingsRow.provider_id, after, limit
        )

    async def providers_awaiting_gateway(self, *, after: str | None, limit: int) -> list[str]:
        row = ProviderPaymentSettingsRow
        active = InstrumentStatus.ACTIVE.value
        waiting = or_(
            row.last_synced_at.is_(None),
            and_(row.card_id.is_not(None), row.card_status.is_distinct_from(active)),
            and_(row.ach_id.is_not(None), row.ach_status.is_distinct_from(active)),
        )
        return await self._with_wallet(row, row.provider_id, after, limit, waiting)

    async def _with_wallet(
        self,
        row: type[FamilyPaymentSettingsRow] | type[ProviderPaymentSettingsRow],
        key: InstrumentedAttribute[UUID],
        after: str | None,
        limit: int,
        *conditions: ColumnElement[bool],
    ) -> list[str]:
        query = select(key).where(row.gateway_user_id.is_not(None), *conditions).order_by(key).limit(limit)
        start = None if after is None else parse_id(after)
        if start is not None:
            query = query.where(key > start)
        return [str(owner) for owner in (await self._session.execute(query)).scalars()]
