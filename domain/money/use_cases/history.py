"""A family's and a provider's payment history (frontend-contract §2.3, §2.14)."""

from __future__ import annotations

from domain.money.history import History
from domain.money.ports import PaymentHistoryReads
from domain.programme.actors import Actor
from domain.programme.errors import FamilyNotFound, ProviderNotFound

HISTORY_LIMIT = 500  # a year of weekly payments for several children, several times over


async def family_payments(reads: PaymentHistoryReads, actor: Actor, *, limit: int = HISTORY_LIMIT) -> History:
    if actor.family_id is None:
        raise FamilyNotFound()
    return History(tuple(await reads.for_family(actor.family_id, limit=limit)))


async def provider_payments(
    reads: PaymentHistoryReads, actor: Actor, *, limit: int = HISTORY_LIMIT
) -> History:
    if actor.provider_id is None:
        raise ProviderNotFound()
    return History(tuple(await reads.for_provider(actor.provider_id, limit=limit)))
