"""Money's HTTP routes: a provider's payment settings, allocation funding for operators, and the sandbox
gateway's failure controls."""

from __future__ import annotations

from entrypoints.http.money import fundings, payment_settings, sandbox

ROUTES = [*payment_settings.ROUTES, *fundings.ROUTES, *sandbox.ROUTES]
