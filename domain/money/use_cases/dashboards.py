"""What the family's and the provider's home pages say about money: whether the family can pay
(``can_make_payments``: a wallet, and money in it by our ledger) and whether each provider can be paid
(``is_payable``: a method chosen whose instrument is ``Active`` in our last copy of the gateway's state).

From our records only, in a fixed number of queries whatever the number of providers shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.money.ledger import Account
from domain.money.ports import PaymentFlagReads
from domain.money.wallets import can_make_payments, is_payable


@dataclass(frozen=True, slots=True)
class FamilyPaymentFlags:
    can_make_payments: bool
    payable_provider_ids: frozenset[str]


async def family_payment_flags(
    uow: PaymentFlagReads, family_id: str, provider_ids: Sequence[str]
) -> FamilyPaymentFlags:
    async with uow:
        family = await uow.payment_settings.family(family_id)
        balance = await uow.ledger.balance(Account.family_wallet(family_id))
        providers = await uow.payment_settings.providers(provider_ids)
    return FamilyPaymentFlags(
        can_make_payments=can_make_payments(family, balance),
        payable_provider_ids=frozenset(p for p in provider_ids if is_payable(providers.get(p))),
    )


async def provider_is_payable(uow: PaymentFlagReads, provider_id: str) -> bool:
    async with uow:
        return is_payable(await uow.payment_settings.provider(provider_id))
