"""Money's HTTP routes: a provider's payment settings, and the sandbox gateway's failure controls."""

from __future__ import annotations

from entrypoints.http.money import payment_settings, sandbox

ROUTES = [*payment_settings.ROUTES, *sandbox.ROUTES]
