"""What reconciliation reads: our books in one consistent snapshot, and the gateway's wallet balances."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from domain.money.ledger import Account
from domain.money.reconciliation import AllocationBooks, Drift, WalletBooks


class BooksSnapshot(Protocol):
    """Every read answers from the same instant of the books, so a move committed while the check runs
    cannot show up in one figure and not in another."""

    async def allocations(self) -> list[AllocationBooks]:
        """Every allocation's books, in a fixed number of statements (not one per allocation)."""
        ...

    async def ledger_drift(self) -> list[Drift]:
        """Unbalanced transactions, and accounts whose kept balance is not the sum of their entries."""
        ...

    async def transaction_count(self) -> int: ...

    async def family_wallet_balances(self) -> dict[str, int]:
        """The ledger balance of every family wallet that has one, by family id."""
        ...

    async def wallets(self, accounts: Sequence[Account] | None = None) -> list[WalletBooks]:
        """Every family and provider wallet opened at the gateway (or only ``accounts``), with its
        ledger balance."""
        ...


class Books(Protocol):
    def snapshot(self) -> AbstractAsyncContextManager[BooksSnapshot]: ...


class GatewayBalances(Protocol):
    async def wallet_balances(self, user_ids: Sequence[str]) -> dict[str, int]:
        """Each user's wallet balance at the gateway; a user it could not tell us about is left out."""
        ...
