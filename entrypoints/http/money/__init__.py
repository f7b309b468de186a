"""Money's HTTP routes: a provider's payment settings, allocation funding for operators, the sandbox
gateway's failure controls, paying providers (submit, lump sums), the payment history, and payment intents for
operators."""

from __future__ import annotations

from entrypoints.http.money import (
    fundings,
    history,
    lump_sums,
    payment_intents,
    payment_settings,
    sandbox,
    submit,
)

ROUTES = [
    *payment_settings.ROUTES,
    *fundings.ROUTES,
    *sandbox.ROUTES,
    *submit.ROUTES,
    *lump_sums.ROUTES,
    *history.ROUTES,
    *payment_intents.ROUTES,
]
