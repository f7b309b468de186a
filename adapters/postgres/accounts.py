"""Accounts, pending accounts and handled webhook deliveries, on Postgres."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
from advanced_alchemy.base import DefaultBase
from advanced_alchemy.mixins import AuditColumns
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    String,
    cast,
    column,
    delete,
    exists,
    func,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.engagement import NOTE_ACTIVITY_STATEMENT
from adapters.postgres.raw_pool import RawPool
from adapters.postgres.raw_rows import columns, fields
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from domain.errors import Conflict
from domain.identity.model import Account, AccountFilter, PendingAccount, Role

_ROLE_LIST = ", ".join(f"'{role.value}'" for role in Role)


class AccountRow(DefaultBase, AuditColumns):
    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint(f"roles <@ ARRAY[{_ROLE_LIST}]::varchar[]", name="known_roles"),)

    clerk_user_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    # Foreign keys to the family and provider tables arrive with the programme-data migration.
    family_id: Mapped[str | None] = mapped_column(String(100))
    provider_id: Mapped[str | None] = mapped_column(String(100))
    deactivated: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class PendingAccountRow(DefaultBase, AuditColumns):
    __tablename__ = "pending_accounts"

    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)


class WebhookDeliveryRow(DefaultBase):
    __tablename__ = "webhook_deliveries"

    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


# The programme's tables, only as far as an account's search by name needs them.
_GUARDIANS = table("guardians", column("family_id"), column("first_name"), column("last_name"))
_PROVIDERS = table("providers", column("id"), column("name"))


def _like(text: str) -> str:
    """A pattern matching ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(search: str) -> ColumnElement[bool]:
    pattern = _like(search)
    guardian_name = func.concat_ws(" ", _GUARDIANS.c.first_name, _GUARDIANS.c.last_name)
    return or_(
        AccountRow.email.ilike(pattern, escape="\\"),
        AccountRow.clerk_user_id.ilike(pattern, escape="\\"),
        exists().where(
            cast(_GUARDIANS.c.family_id, String) == AccountRow.family_id,
            guardian_name.ilike(pattern, escape="\\"),
        ),
        exists().where(
            cast(_PROVIDERS.c.id, String) == AccountRow.provider_id,
            _PROVIDERS.c.name.ilike(pattern, escape="\\"),
        ),
    )


def _pending(row: PendingAccountRow) -> PendingAccount:
    return PendingAccount(row.email, frozenset(Role(value) for value in row.roles), row.created_at)


def _account(row: AccountRow | Any) -> Account:
    """From an ORM row or a Core row with the same columns."""
    return Account(
        clerk_user_id=row.clerk_user_id,
        email=row.email,
        roles=frozenset(Role(value) for value in row.roles),
        family_id=row.family_id,
        provider_id=row.provider_id,
        deactivated=row.deactivated,
        created_at=row.created_at,
        updated_at=row.updated_at,
        last_seen_at=row.last_seen_at,
    )


class SqlAlchemyAccounts:
    """Satisfies ``domain.identity.ports.AccountRepository`` on the unit of work's session.

    The session is looked up on each call, so the repository can be made before ``async with uow``.
    """

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow

    @property
    def _session(self) -> AsyncSession:
        return self._uow.session

    async def get(self, clerk_user_id: str) -> Account | None:
        row = await self._session.get(AccountRow, clerk_user_id, populate_existing=True)
        return _account(row) if row else None

    async def add(self, account: Account) -> None:
        row = AccountRow(
            clerk_user_id=account.clerk_user_id,
            email=account.email,
            roles=sorted(account.roles),
            family_id=account.family_id,
            provider_id=account.provider_id,
            deactivated=account.deactivated,
        )
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            raise Conflict(
                f"An account for {account.clerk_user_id} already exists.",
                code="duplicate_account",
                details={"clerk_user_id": account.clerk_user_id},
            ) from None

    async def save(self, account: Account) -> Account:
        row = await self._session.get_one(AccountRow, account.clerk_user_id)
        row.email = account.email
        row.roles = sorted(account.roles)
        row.family_id = account.family_id
        row.provider_id = account.provider_id
        row.deactivated = account.deactivated
        await self._session.flush()
        return _account(row)

    async def listed(self, wanted: AccountFilter, *, limit: int, offset: int) -> list[Account]:
        """Satisfies ``AccountListing`` too."""
        conditions: list[ColumnElement[bool]] = [true()]
        if wanted.search:
            conditions.append(_matches(wanted.search))
        if wanted.role is not None:
            conditions.append(AccountRow.roles.contains([wanted.role.value]))
        if wanted.deactivated is not None:
            conditions.append(AccountRow.deactivated.is_(wanted.deactivated))
        query = (
            select(AccountRow)
            .where(*conditions)
            .order_by(AccountRow.email.asc().nulls_last(), AccountRow.clerk_user_id)
            .limit(limit)
            .offset(offset)
        )
        return [_account(row) for row in (await self._session.scalars(query)).all()]

    async def pending_listed(self, search: str | None, *, limit: int, offset: int) -> list[PendingAccount]:
        """Satisfies ``AccountListing`` too."""
        query = select(PendingAccountRow).order_by(PendingAccountRow.email).limit(limit).offset(offset)
        if search:
            query = query.where(PendingAccountRow.email.ilike(_like(search), escape="\\"))
        rows = (await self._session.scalars(query)).all()
        return [_pending(row) for row in rows]

    async def add_pending(self, pending: PendingAccount) -> PendingAccount:
        row = PendingAccountRow(email=pending.email, roles=sorted(pending.roles))
        try:
            async with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            raise Conflict(
                f"An account for {pending.email} is already waiting.",
                code="duplicate_pending_account",
                details={"email": pending.email},
            ) from None
        return _pending(row)

    async def take_pending(self, email: str) -> PendingAccount | None:
        row = (
            await self._session.execute(
                delete(PendingAccountRow).where(PendingAccountRow.email == email).returning(PendingAccountRow)
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return _pending(row)


# The sign-in's statements: fixed, prepared once per connection of the plain asyncpg pool.
ACCOUNT_STATEMENT = f"SELECT {columns(AccountRow.__table__)} FROM accounts WHERE clerk_user_id = $1"
# A plain UPDATE: no read, and updated_at stays "last changed by a person".
SEEN_STATEMENT = "UPDATE accounts SET last_seen_at = $2 WHERE clerk_user_id = $1"


def account_from_record(record: asyncpg.Record) -> Account:
    return _account(fields(record))


class RawSignInAccounts:
    """Satisfies ``domain.identity.ports.SignInAccounts``: the per-request account lookup, on plain
    asyncpg. Every signed-in request makes it, so it skips the ORM and SQLAlchemy Core both: a fixed
    statement on a pooled connection in asyncpg's implicit transaction (docs/benchmarks.md, "Hot
    paths": ``/auth/me`` went from 45% to 85% of a bare app's CPU per request doing the same lookup).
    """

    def __init__(self, pool: RawPool) -> None:
        self._pool = pool
        self._hour: datetime | None = None
        self._active: set[str] = set()  # the people whose activity this hour is already noted

    async def get(self, clerk_user_id: str) -> Account | None:
        rows = await self._pool.fetch(ACCOUNT_STATEMENT, clerk_user_id)
        return account_from_record(rows[0]) if rows else None

    async def record_seen(self, clerk_user_id: str, account: Account) -> None:
        await self._pool.execute(SEEN_STATEMENT, clerk_user_id, account.last_seen_at)

    async def record_activity(self, account: Account, hour: datetime) -> None:
        # Remembered per process for the current hour: a person's later requests of the hour send nothing.
        if hour != self._hour:
            self._hour, self._active = hour, set()
        if account.clerk_user_id in self._active:
            return
        await self._pool.execute(
            NOTE_ACTIVITY_STATEMENT, account.clerk_user_id, hour, account.family_id, account.provider_id
        )
        self._active.add(account.clerk_user_id)


class SqlAlchemyWebhookLedger:
    """Satisfies ``domain.identity.ports.WebhookLedger``.

    The row is written in the same transaction as the delivery's effect. A concurrent duplicate
    waits on the primary key until the first commits, then sees the conflict and does nothing.
    """

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._uow = uow

    async def first_delivery(self, message_id: str, event_type: str) -> bool:
        inserted = await self._uow.session.execute(
            insert(WebhookDeliveryRow)
            .values(message_id=message_id, event_type=event_type, received_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[WebhookDeliveryRow.message_id])
            .returning(WebhookDeliveryRow.message_id)
        )
        return inserted.scalar_one_or_none() is not None
