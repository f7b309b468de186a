"""``cap-portal ledger check`` and the nightly check: read the books once, apply the rules, ask the gateway.

The books come from one snapshot; the gateway is asked afterwards (it cannot join our snapshot). A wallet
that moved between the two would look like drift, so each wallet that disagrees is read again, from a new
snapshot and a new answer from the gateway, and only one that still disagrees is reported.
"""

from __future__ import annotations

from domain.money.errors import GatewayDeclined, GatewayUnavailable
from domain.money.reconciliation import (
    BookTotals,
    Drift,
    DriftRule,
    ReconciliationReport,
    WalletBooks,
    allocation_drift,
    family_wallet_drift,
    gateway_drift,
)
from domain.money.reconciliation_ports import Books, GatewayBalances


async def check_books(books: Books, gateway: GatewayBalances) -> ReconciliationReport:
    async with books.snapshot() as snapshot:
        allocations = await snapshot.allocations()
        drift: list[Drift] = [found for one in allocations for found in allocation_drift(one)]
        drift += await snapshot.ledger_drift()
        drift += family_wallet_drift(allocations, await snapshot.family_wallet_balances())
        wallets = await snapshot.wallets()
        transactions = await snapshot.transaction_count()
    drift += await _gateway_drift(books, gateway, wallets)
    return ReconciliationReport(
        totals=BookTotals.of(allocations),
        transactions_checked=transactions,
        wallets_checked=len(wallets),
        drift=tuple(drift),
    )


async def _balances_at_gateway(gateway: GatewayBalances, wallets: list[WalletBooks]) -> dict[str, int]:
    if not wallets:
        return {}
    try:
        return await gateway.wallet_balances([w.gateway_user_id for w in wallets])
    except (GatewayDeclined, GatewayUnavailable):
        return {}  # every wallet is reported unchecked: an unreachable gateway proves nothing


async def _gateway_drift(books: Books, gateway: GatewayBalances, wallets: list[WalletBooks]) -> list[Drift]:
    found = gateway_drift(wallets, await _balances_at_gateway(gateway, wallets))
    disagreeing = [d for d in found if d.rule is DriftRule.GATEWAY_BALANCE]
    if not disagreeing:
        return found
    suspects = {d.record for d in disagreeing}
    accounts = [w.account for w in wallets if str(w.account) in suspects]
    async with books.snapshot() as again:
        reread = await again.wallets(accounts)
    confirmed = gateway_drift(reread, await _balances_at_gateway(gateway, reread))
    return [d for d in found if d.rule is not DriftRule.GATEWAY_BALANCE] + confirmed
