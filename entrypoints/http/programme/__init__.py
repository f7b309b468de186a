"""The programme's HTTP routes: admin reference data, onboarding, dashboards, rates and care days."""

from __future__ import annotations

from entrypoints.http.programme import (
    admin_families,
    admin_providers,
    care_days,
    dashboards,
    onboarding,
    rates,
)

ROUTES = [
    *admin_families.ROUTES,
    *admin_providers.ROUTES,
    *onboarding.ROUTES,
    *dashboards.ROUTES,
    *rates.ROUTES,
    *care_days.ROUTES,
]
