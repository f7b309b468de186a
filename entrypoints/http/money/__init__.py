"""Money's HTTP routes: a provider's payment settings."""

from __future__ import annotations

from entrypoints.http.money import payment_settings

ROUTES = [*payment_settings.ROUTES]
