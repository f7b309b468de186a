"""The ledger on Postgres. The domain builds balanced transactions; this only records them.

Recording is one INSERT … ON CONFLICT (idempotency_key) DO NOTHING: of two transactions racing under
one key, Postgres makes the second wait for the first to commit and then inserts nothing, and that one
is answered with the first's record. Each account's row is locked in a fixed order before any entry is
written, so balances checked by the domain cannot go stale, and two transactions over the same accounts
cannot deadlock. The schema backs the rules up (balanced at commit, wallets never below zero, append-only).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.postgres.money.rows import LedgerAccountRow, LedgerEntryRow, LedgerTransactionRow
from domain.money.errors import IdempotencyKeyReused, WalletOverdrawn
from domain.money.ledger import (
    Account,
    AccountKind,
    AccountLine,
    Entry,
    LedgerTransaction,
    RecordedTransaction,
    RecordType,
    TransactionKind,
    check_no_overdraft,
)


def _owner(account: Account) -> UUID | None:
    return None if account.owner_id is None else UUID(account.owner_id)


def _account(kind: str, owner_id: UUID | None) -> Account:
    return Account(AccountKind(kind), None if owner_id is None else str(owner_id))


class PostgresLedger:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, transaction: LedgerTransaction) -> RecordedTransaction:
        inserted = await self._session.execute(
            pg_insert(LedgerTransactionRow)
            .values(
                kind=transaction.kind.value,
                record_type=transaction.record_type.value,
                record_id=transaction.record_id,
                idempotency_key=transaction.idempotency_key,
                description=transaction.description,
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(LedgerTransactionRow.id, LedgerTransactionRow.created_at)
        )
        row = inserted.one_or_none()
        if row is None:
            return await self._already_recorded(transaction)
        accounts = sorted({entry.account for entry in transaction.entries})
        ids, balances = await self._lock_accounts(accounts)
        check_no_overdraft(transaction, balances)
        try:
            await self._session.execute(
                pg_insert(LedgerEntryRow),
                [
                    {"transaction_id": row.id, "account_id": ids[e.account], "amount_cents": e.amount_cents}
                    for e in transaction.entries
                ],
            )
        except IntegrityError as error:  # the schema's own guard, should the domain's check be bypassed
            raise WalletOverdrawn() from error
        return RecordedTransaction(row.id, transaction, row.created_at, newly_recorded=True)

    async def _lock_accounts(
        self, accounts: Sequence[Account]
    ) -> tuple[dict[Account, int], dict[Account, int]]:
        await self._session.execute(
            pg_insert(LedgerAccountRow)
            .values([{"kind": a.kind.value, "owner_id": _owner(a)} for a in accounts])
            .on_conflict_do_nothing(constraint="uq_ledger_accounts_kind_owner_id")
        )
        rows = await self._session.execute(
            select(
                LedgerAccountRow.id,
                LedgerAccountRow.kind,
                LedgerAccountRow.owner_id,
                LedgerAccountRow.balance_cents,
            )
            .where(self._matching(accounts))
            .order_by(LedgerAccountRow.id)
            .with_for_update()
        )
        ids: dict[Account, int] = {}
        balances: dict[Account, int] = {}
        for row in rows:
            account = _account(row.kind, row.owner_id)
            ids[account], balances[account] = row.id, row.balance_cents
        return ids, balances

    @staticmethod
    def _matching(accounts: Sequence[Account]) -> ColumnElement[bool]:
        owned = [(a.kind.value, _owner(a)) for a in accounts if a.owner_id is not None]
        unowned = [a.kind.value for a in accounts if a.owner_id is None]
        conditions: list[ColumnElement[bool]] = []
        if owned:
            conditions.append(tuple_(LedgerAccountRow.kind, LedgerAccountRow.owner_id).in_(owned))
        if unowned:
            conditions.append(LedgerAccountRow.kind.in_(unowned) & LedgerAccountRow.owner_id.is_(None))
        return or_(*conditions)

    async def _already_recorded(self, transaction: LedgerTransaction) -> RecordedTransaction:
        row = (
            await self._session.execute(
                select(LedgerTransactionRow).where(
                    LedgerTransactionRow.idempotency_key == transaction.idempotency_key
                )
            )
        ).scalar_one()
        entries = await self._session.execute(
            select(LedgerAccountRow.kind, LedgerAccountRow.owner_id, LedgerEntryRow.amount_cents)
            .join(LedgerAccountRow, LedgerAccountRow.id == LedgerEntryRow.account_id)
            .where(LedgerEntryRow.transaction_id == row.id)
        )
        first = LedgerTransaction.of(
            TransactionKind(row.kind),
            record_type=RecordType(row.record_type),
            record_id=row.record_id,
            idempotency_key=row.idempotency_key,
            entries=[Entry(_account(e.kind, e.owner_id), e.amount_cents) for e in entries],
            description=row.description,
        )
        if not first.same_move_as(transaction):
            raise IdempotencyKeyReused(details={"idempotency_key": transaction.idempotency_key})
        return RecordedTransaction(row.id, first, row.created_at, newly_recorded=False)

    async def balance(self, account: Account) -> int:
        return (await self.balances([account])).get(account, 0)

    async def balances(self, accounts: Sequence[Account]) -> dict[Account, int]:
        if not accounts:
            return {}
        rows = await self._session.execute(
            select(LedgerAccountRow.kind, LedgerAccountRow.owner_id, LedgerAccountRow.balance_cents).where(
                self._matching(accounts)
            )
        )
        found = {_account(r.kind, r.owner_id): r.balance_cents for r in rows}
        return {account: found.get(account, 0) for account in accounts}

    async def statement(self, account: Account, *, limit: int = 200) -> list[AccountLine]:
        rows = await self._session.execute(
            select(LedgerEntryRow, LedgerTransactionRow)
            .join(LedgerTransactionRow, LedgerTransactionRow.id == LedgerEntryRow.transaction_id)
            .join(LedgerAccountRow, LedgerAccountRow.id == LedgerEntryRow.account_id)
            .where(self._matching([account]))
            .order_by(LedgerEntryRow.id)
            .limit(limit)
        )
        return [
            AccountLine(
                transaction_id=t.id,
                kind=TransactionKind(t.kind),
                record_type=RecordType(t.record_type),
                record_id=t.record_id,
                amount_cents=e.amount_cents,
                balance_after_cents=e.balance_after_cents,
                created_at=t.created_at,
                description=t.description,
            )
            for e, t in rows.tuples()
        ]


async def ledger_drift(session: AsyncSession) -> list[dict[str, object]]:
    """Accounts whose kept balance differs from the sum of their entries, and unbalanced transactions:
    both must be empty (the triggers make them so; this proves it)."""
    sums = (
        select(LedgerEntryRow.account_id, func.sum(LedgerEntryRow.amount_cents).label("total"))
        .group_by(LedgerEntryRow.account_id)
        .subquery()
    )
    accounts = await session.execute(
        select(
            LedgerAccountRow.id,
            LedgerAccountRow.kind,
            LedgerAccountRow.owner_id,
            LedgerAccountRow.balance_cents,
            sums.c.total,
        )
        .outerjoin(sums, sums.c.account_id == LedgerAccountRow.id)
        .where(LedgerAccountRow.balance_cents != func.coalesce(sums.c.total, 0))
    )
    drift: list[dict[str, object]] = [
        {
            "account": str(_account(r.kind, r.owner_id)),
            "balance_cents": r.balance_cents,
            "entries_cents": r.total or 0,
        }
        for r in accounts
    ]
    unbalanced = await session.execute(
        select(LedgerEntryRow.transaction_id, func.sum(LedgerEntryRow.amount_cents).label("total"))
        .group_by(LedgerEntryRow.transaction_id)
        .having((func.sum(LedgerEntryRow.amount_cents) != 0) | (func.count() < 2))
    )
    drift.extend({"transaction_id": r.transaction_id, "sum_cents": r.total} for r in unbalanced)
    return drift
