"""What the home pages read about money, on plain asyncpg: satisfies ``domain.money.ports.PaymentFlagReads``
(``can_make_payments``, ``is_payable``), read on every visit to a home page, so without the ORM (see
``adapters/postgres/programme/month_reads.py`` for why). The rows become records through the ORM
repositories' functions, so both paths answer alike (``tests/integration/programme/test_home_reads.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.postgres.ids import parse_id
from adapters.postgres.money.rows import FamilyPaymentSettingsRow, ProviderPaymentSettingsRow
from adapters.postgres.money.settings import _family, _ids, _provider
from adapters.postgres.raw_pool import RawPool
from adapters.postgres.raw_rows import PooledReads, PoolReader, columns, fields
from domain.money.ledger import Account
from domain.money.wallets import FamilyPaymentSettings, ProviderPaymentSettings

FAMILY_SETTINGS_STATEMENT = (
    f"SELECT {columns(FamilyPaymentSettingsRow.__table__)} FROM family_payment_settings WHERE family_id = $1"
)
PROVIDER_SETTINGS_STATEMENT = (
    f"SELECT {columns(ProviderPaymentSettingsRow.__table__)} FROM provider_payment_settings"
    " WHERE provider_id = ANY($1::uuid[])"
)
# The ledger keeps each account's balance on its row (updated with every entry, under its lock).
BALANCE_STATEMENT = "SELECT balance_cents FROM ledger_accounts WHERE kind = $1 AND owner_id = $2"


class _Settings(PoolReader):
    async def family(self, family_id: str) -> FamilyPaymentSettings | None:
        key = parse_id(family_id)
        rows = [] if key is None else await self._pool.fetch(FAMILY_SETTINGS_STATEMENT, key)
        return _family(fields(rows[0])) if rows else None

    async def provider(self, provider_id: str) -> ProviderPaymentSettings | None:
        return (await self.providers([provider_id])).get(provider_id)

    async def providers(self, provider_ids: Sequence[str]) -> dict[str, ProviderPaymentSettings]:
        keys = _ids(provider_ids)
        rows = await self._pool.fetch(PROVIDER_SETTINGS_STATEMENT, keys) if keys else []
        return {str(row["provider_id"]): _provider(fields(row)) for row in rows}


class _Balances(PoolReader):
    async def balance(self, account: Account) -> int:
        # Home pages ask only for owned accounts (a family's wallet); the programme's own accounts have
        # no owner and are never read here.
        key = None if account.owner_id is None else parse_id(account.owner_id)
        if key is None:
            return 0
        rows = await self._pool.fetch(BALANCE_STATEMENT, account.kind.value, key)
        return int(rows[0]["balance_cents"]) if rows else 0


class RawPaymentFlagReads(PooledReads):
    """Satisfies ``PaymentFlagReads``: entering it opens nothing, each read is one pooled statement."""

    def __init__(self, pool: RawPool) -> None:
        self.payment_settings = _Settings(pool)
        self.ledger = _Balances(pool)
