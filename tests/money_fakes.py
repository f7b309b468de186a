"""Hand-written fakes of money's ports, with state the tests can look at."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from domain.money.errors import IdempotencyKeyReused
from domain.money.ledger import (
    Account,
    AccountLine,
    LedgerTransaction,
    RecordedTransaction,
    check_no_overdraft,
)

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class FakeLedger:
    """The ledger's rules without a database: balanced transactions, one per key, no overdrawn wallet."""

    recorded: list[RecordedTransaction] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def record(self, transaction: LedgerTransaction) -> RecordedTransaction:
        for done in self.recorded:
            if done.transaction.idempotency_key == transaction.idempotency_key:
                if not done.transaction.same_move_as(transaction):
                    raise IdempotencyKeyReused()
                return RecordedTransaction(done.id, done.transaction, done.created_at, newly_recorded=False)
        accounts = [entry.account for entry in transaction.entries]
        check_no_overdraft(transaction, await self.balances(accounts))
        done = RecordedTransaction(next(self._ids), transaction, EPOCH, newly_recorded=True)
        self.recorded.append(done)
        return done

    async def balance(self, account: Account) -> int:
        return sum(
            entry.amount_cents
            for done in self.recorded
            for entry in done.transaction.entries
            if entry.account == account
        )

    async def balances(self, accounts: Sequence[Account]) -> dict[Account, int]:
        return {account: await self.balance(account) for account in accounts}

    async def statement(self, account: Account, *, limit: int = 200) -> list[AccountLine]:
        lines, running = [], 0
        for done in self.recorded:
            for entry in done.transaction.entries:
                if entry.account == account:
                    running += entry.amount_cents
                    t = done.transaction
                    lines.append(
                        AccountLine(
                            done.id, t.kind, t.record_type, t.record_id, entry.amount_cents, running,
                            done.created_at, t.description,
                        )
                    )  # fmt: skip
        return lines[:limit]
