"""Our books for reconciliation, read set-based from one snapshot (satisfies ``domain.money.
reconciliation_ports.Books``).

A snapshot is one REPEATABLE READ, READ ONLY transaction: every statement sees the same committed state,
so a funding or a payment committed while the check runs is either in every figure or in none. Each
read is one statement over all the allocations (or wallets), never one per record: 10,000 allocations
are checked in well under a second of SQL (docs/benchmarks.md, "Reconciliation").

Paid is what left the family's wallet for the allocation's payment intents (their ``family_to_provider``
transactions, whose record is the intent), against the intents whose first step is recorded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.ledger import ledger_drift
from domain.money.funding import FundingStatus
from domain.money.ledger import Account, AccountKind
from domain.money.reconciliation import AllocationBooks, Drift, DriftRule, WalletBooks

# Money into or out of a family wallet, per allocation, by what moved it: funding (its record is the
# allocation), reclamation (its record is the reclamation row, which names the allocation) and payment
# (its record is the payment intent, which names the allocation).
ALLOCATIONS_STATEMENT = text(
    """
    WITH family_entries AS (
        SELECT t.kind, t.record_type, t.record_id, e.amount_cents
        FROM ledger_transactions t
        JOIN ledger_entries e ON e.transaction_id = t.id
        JOIN ledger_accounts acc ON acc.id = e.account_id AND acc.kind = 'family_wallet'
        WHERE t.kind IN ('allocation_funding', 'reclamation', 'family_to_provider')
    ),
    funded AS (
        SELECT record_id, sum(amount_cents) AS cents FROM family_entries
        WHERE kind = 'allocation_funding' AND record_type = 'allocation' GROUP BY record_id
    ),
    reclaimed AS (
        SELECT r.allocation_id, -sum(fe.amount_cents) AS cents
        FROM family_entries fe JOIN fund_reclamations r ON fe.record_id = r.id::text
        WHERE fe.kind = 'reclamation' AND fe.record_type = 'reclamation'
        GROUP BY r.allocation_id
    ),
    paid AS (
        SELECT i.allocation_id, -sum(fe.amount_cents) AS cents
        FROM family_entries fe JOIN payment_intents i ON fe.record_id = i.id::text
        WHERE fe.kind = 'family_to_provider' AND fe.record_type = 'payment'
        GROUP BY i.allocation_id
    ),
    paid_recorded AS (
        SELECT allocation_id, sum(amount_cents) AS cents FROM payment_intents
        WHERE family_to_provider_transfer_id IS NOT NULL GROUP BY allocation_id
    ),
    lump_sums_recorded AS (
        SELECT allocation_id, sum(amount_cents) AS cents FROM lump_sums
        WHERE cancelled_at IS NULL GROUP BY allocation_id
    )
    SELECT a.id, coalesce(f.family_id, c.family_id) AS family_id, a.allocation_cents,
           a.reclaimed_cents AS reclaimed_shown_cents, f.status AS funding_status,
           coalesce(funded.cents, 0) AS funded_cents,
           coalesce(reclaimed.cents, 0) AS reclaimed_cents,
           coalesce(paid.cents, 0) AS paid_cents, coalesce(paid_recorded.cents, 0) AS paid_recorded_cents,
           CASE WHEN r.status = 'reclaimed' THEN r.amount_cents ELSE 0 END AS reclaimed_recorded_cents,
           a.lump_sum_cents AS lump_sum_shown_cents, coalesce(ls.cents, 0) AS lump_sum_recorded_cents
    FROM month_allocations a
    JOIN children c ON c.id = a.child_id
    LEFT JOIN allocation_fundings f ON f.allocation_id = a.id
    LEFT JOIN funded ON funded.record_id = a.id::text
    LEFT JOIN reclaimed ON reclaimed.allocation_id = a.id
    LEFT JOIN fund_reclamations r ON r.allocation_id = a.id
    LEFT JOIN paid ON paid.allocation_id = a.id
    LEFT JOIN paid_recorded ON paid_recorded.allocation_id = a.id
    LEFT JOIN lump_sums_recorded ls ON ls.allocation_id = a.id
    ORDER BY a.id
    """
)
FAMILY_WALLETS_STATEMENT = text(
    "SELECT owner_id, balance_cents FROM ledger_accounts WHERE kind = 'family_wallet'"
)
WALLETS_STATEMENT = text(
    """
    SELECT 'family_wallet' AS kind, s.family_id AS owner_id, s.gateway_user_id,
           coalesce(acc.balance_cents, 0) AS ledger_cents
    FROM family_payment_settings s
    LEFT JOIN ledger_accounts acc ON acc.kind = 'family_wallet' AND acc.owner_id = s.family_id
    WHERE s.gateway_user_id IS NOT NULL
    UNION ALL
    SELECT 'provider_wallet', s.provider_id, s.gateway_user_id, coalesce(acc.balance_cents, 0)
    FROM provider_payment_settings s
    LEFT JOIN ledger_accounts acc ON acc.kind = 'provider_wallet' AND acc.owner_id = s.provider_id
    WHERE s.gateway_user_id IS NOT NULL
    ORDER BY 1, 2
    """
)


class PostgresBooksSnapshot:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def allocations(self) -> list[AllocationBooks]:
        rows = await self._session.execute(ALLOCATIONS_STATEMENT)
        return [
            AllocationBooks(
                allocation_id=r.id,
                family_id=str(r.family_id),
                allocation_cents=r.allocation_cents,
                funding_status=None if r.funding_status is None else FundingStatus(r.funding_status),
                funded_cents=int(r.funded_cents),
                paid_cents=int(r.paid_cents),
                reclaimed_cents=int(r.reclaimed_cents),
                paid_recorded_cents=int(r.paid_recorded_cents),
                reclaimed_recorded_cents=int(r.reclaimed_recorded_cents),
                reclaimed_shown_cents=r.reclaimed_shown_cents,
                lump_sum_shown_cents=r.lump_sum_shown_cents,
                lump_sum_recorded_cents=int(r.lump_sum_recorded_cents),
            )
            for r in rows
        ]

    async def ledger_drift(self) -> list[Drift]:
        found = []
        for problem in await ledger_drift(self._session):
            if "transaction_id" in problem:
                found.append(
                    Drift(
                        DriftRule.LEDGER,
                        f"transaction:{problem['transaction_id']}",
                        {"sum_cents": _int(problem["sum_cents"])},
                    )
                )
            else:
                found.append(
                    Drift(
                        DriftRule.LEDGER,
                        str(problem["account"]),
                        {
                            "balance_cents": _int(problem["balance_cents"]),
                            "entries_cents": _int(problem["entries_cents"]),
                        },
                    )
                )
        return found

    async def transaction_count(self) -> int:
        return int(await self._session.scalar(text("SELECT count(*) FROM ledger_transactions")) or 0)

    async def family_wallet_balances(self) -> dict[str, int]:
        rows = await self._session.execute(FAMILY_WALLETS_STATEMENT)
        return {str(r.owner_id): r.balance_cents for r in rows}

    async def wallets(self, accounts: Sequence[Account] | None = None) -> list[WalletBooks]:
        rows = await self._session.execute(WALLETS_STATEMENT)
        found = [
            WalletBooks(Account(AccountKind(r.kind), str(r.owner_id)), r.gateway_user_id, int(r.ledger_cents))
            for r in rows
        ]
        if accounts is None:
            return found
        wanted = set(accounts)
        return [wallet for wallet in found if wallet.account in wanted]


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | str) else 0


class PostgresBooks:
    """Satisfies ``Books``."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PostgresBooksSnapshot]:
        async with self._sessions() as session:
            await session.connection(
                execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            )
            try:
                yield PostgresBooksSnapshot(session)
            finally:
                await session.rollback()
