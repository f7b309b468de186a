"""The family's and the provider's home pages on plain asyncpg: read on every visit, so without the ORM.

Satisfy ``domain.programme.ports.FamilyHomeReads`` and ``ProviderHomeReads``, as ``month_reads`` does
for the month view (see there for why: an ORM point read costs several times its round trip). Each read
is one fixed statement, prepared once per connection, in a transaction of its own; the rows become
domain records through the ORM repositories' own functions and in their order, so both paths answer
alike (``tests/integration/programme/test_home_reads.py`` compares them).
"""

from __future__ import annotations

from adapters.postgres.ids import parse_id
from adapters.postgres.programme.families import child_from_row
from adapters.postgres.programme.providers import provider_from_row
from adapters.postgres.programme.rates import rate_from_row
from adapters.postgres.programme.rows import ChildRow, PaymentRateRow, ProviderRow
from adapters.postgres.raw_pool import RawPool
from adapters.postgres.raw_rows import PooledReads, PoolReader, columns, fields
from domain.programme.families import Child
from domain.programme.providers import Provider
from domain.programme.rates import PaymentRate

FAMILY_CHILDREN_STATEMENT = (
    f"SELECT {columns(ChildRow.__table__)} FROM children WHERE family_id = $1 ORDER BY created_at, id"
)
CARING_PROVIDERS_STATEMENT = (
    f"SELECT {columns(ProviderRow.__table__, 'providers.')} FROM providers"
    " JOIN provider_child_links ON provider_child_links.provider_id = providers.id"
    " WHERE provider_child_links.child_id = $1 ORDER BY providers.id"
)
PROVIDER_STATEMENT = f"SELECT {columns(ProviderRow.__table__)} FROM providers WHERE id = $1"
CARED_FOR_CHILDREN_STATEMENT = (
    f"SELECT {columns(ChildRow.__table__, 'children.')} FROM children"
    " JOIN provider_child_links ON provider_child_links.child_id = children.id"
    " WHERE provider_child_links.provider_id = $1 ORDER BY children.id"
)
PROVIDER_RATES_STATEMENT = (
    f"SELECT {columns(PaymentRateRow.__table__)} FROM payment_rates WHERE provider_id = $1 ORDER BY id"
)


class _Children(PoolReader):
    async def list_for_family(self, family_id: str) -> list[Child]:
        return await self._list(FAMILY_CHILDREN_STATEMENT, family_id)

    async def list_cared_for_by(self, provider_id: str) -> list[Child]:
        return await self._list(CARED_FOR_CHILDREN_STATEMENT, provider_id)

    async def _list(self, statement: str, owner_id: str) -> list[Child]:
        key = parse_id(owner_id)
        rows = [] if key is None else await self._pool.fetch(statement, key)
        return [child_from_row(fields(row)) for row in rows]


class _Providers(PoolReader):
    async def get(self, provider_id: str) -> Provider | None:
        key = parse_id(provider_id)
        rows = [] if key is None else await self._pool.fetch(PROVIDER_STATEMENT, key)
        return provider_from_row(fields(rows[0])) if rows else None

    async def list_caring_for(self, child_id: str) -> list[Provider]:
        key = parse_id(child_id)
        rows = [] if key is None else await self._pool.fetch(CARING_PROVIDERS_STATEMENT, key)
        return [provider_from_row(fields(row)) for row in rows]


class _Rates(PoolReader):
    async def list_for_provider(self, provider_id: str) -> list[PaymentRate]:
        key = parse_id(provider_id)
        rows = [] if key is None else await self._pool.fetch(PROVIDER_RATES_STATEMENT, key)
        return [rate_from_row(fields(row)) for row in rows]


class RawFamilyHomeReads(PooledReads):
    """Satisfies ``FamilyHomeReads``."""

    def __init__(self, pool: RawPool) -> None:
        self.children = _Children(pool)
        self.providers = _Providers(pool)


class RawProviderHomeReads(PooledReads):
    """Satisfies ``ProviderHomeReads``."""

    def __init__(self, pool: RawPool) -> None:
        self.providers = _Providers(pool)
        self.children = _Children(pool)
        self.rates = _Rates(pool)
