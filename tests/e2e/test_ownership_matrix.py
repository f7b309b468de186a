"""Whose records may each caller touch: every programme route called by nobody, another family, another
provider and the right owner. Another's ids answer as if missing (404; "Allocation not found" is 400 by
the frontend contract), a wrong kind of caller gets 403, never 401 (which signs the person out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.programme_support import FIRST_OPEN_DAY, Client, Household, household
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter

Request = Callable[[Household], tuple[str, str, Any]]
OWNER_FAMILY, OWNER_PROVIDER = "family", "provider"


def _day(h: Household) -> dict[str, Any]:
    date = FIRST_OPEN_DAY.isoformat()
    return {"allocation_id": h.allocation_id, "provider_id": h.provider_id, "date": date, "type": "Half Day"}


# route → (the request against household A, who owns it, expected status for
#          (anonymous, other family, other provider, owner))
CASES: dict[str, tuple[Request, str, tuple[int, int, int, int]]] = {
    "GET /family/{child_id}": (
        lambda h: ("GET", f"/family/{h.child_id}", None),
        OWNER_FAMILY,
        (401, 404, 403, 200),
    ),
    "GET /child/{id}/allocation/{m}/{y}": (
        lambda h: ("GET", f"/child/{h.child_id}/allocation/1/2025", None),
        OWNER_FAMILY,
        (401, 404, 404, 200),
    ),
    "GET /payment-rates/{p}/{c} (family)": (
        lambda h: ("GET", f"/payment-rates/{h.provider_id}/{h.child_id}", None),
        OWNER_FAMILY,
        (401, 404, 404, 200),
    ),
    "GET /payment-rates/{p}/{c} (provider)": (
        lambda h: ("GET", f"/payment-rates/{h.provider_id}/{h.child_id}", None),
        OWNER_PROVIDER,
        (401, 404, 404, 200),
    ),
    "POST /payment-rates/{child_id}": (
        lambda h: (
            "POST",
            f"/payment-rates/{h.child_id}",
            {"half_day_rate_cents": 100, "full_day_rate_cents": 200},
        ),
        OWNER_PROVIDER,
        (401, 403, 404, 201),
    ),
    "POST /care-days": (lambda h: ("POST", "/care-days", _day(h)), OWNER_FAMILY, (401, 400, 403, 201)),
    "GET /provider/{id}/allocated_care_days": (
        lambda h: ("GET", f"/provider/{h.provider_id}/allocated_care_days", None),
        OWNER_PROVIDER,
        (401, 404, 404, 200),
    ),
}


async def _scheduled_day(client: Client, h: Household) -> int:
    response = await client.post("/care-days", json=_day(h), headers=h.family_headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize("case", list(CASES))
async def test_only_the_owner_reaches_its_records(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, case: str
) -> None:
    request, owner, expected = CASES[case]
    # Household A without rates, so the provider's first POST of rates is the owner's success.
    a = await household(
        programme_client, minter, fake_clerk, "a", rates=case != "POST /payment-rates/{child_id}"
    )
    b = await household(programme_client, minter, fake_clerk, "b")
    method, path, body = request(a)
    callers: tuple[dict[str, str], ...] = (
        {},
        b.family_headers,
        b.provider_headers,
        a.family_headers if owner == OWNER_FAMILY else a.provider_headers,
    )
    statuses = []
    for headers in callers:
        response = await programme_client.request(
            method, path, headers=headers, **({"json": body} if body else {})
        )
        statuses.append(response.status_code)
        if response.status_code >= 400:
            assert response.json()["error"], response.text
    assert tuple(statuses) == expected


@pytest.mark.parametrize(
    ("method", "body", "owner_status"), [("PUT", {"type": "Full Day"}, 200), ("DELETE", None, 204)]
)
async def test_only_the_owning_family_changes_its_care_days(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    method: str,
    body: Any,
    owner_status: int,
) -> None:
    a = await household(programme_client, minter, fake_clerk, "a")
    b = await household(programme_client, minter, fake_clerk, "b")
    path = f"/care-days/{await _scheduled_day(programme_client, a)}"
    statuses = []
    for headers in ({}, b.family_headers, b.provider_headers, a.provider_headers, a.family_headers):
        response = await programme_client.request(
            method, path, headers=headers, **({"json": body} if body else {})
        )
        statuses.append(response.status_code)
    # A provider (even the child's own) is the wrong kind of caller for a family's schedule: 403.
    assert statuses == [401, 404, 403, 403, owner_status]
