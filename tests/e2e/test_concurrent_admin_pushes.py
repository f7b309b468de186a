"""Two (or ten) pushes of the same NEW external_id at once: the push is idempotent, so one request creates
the record (201) and every other one ends up updating it (200) — never a 500 from the unique constraint."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from entrypoints.settings import Settings
from tests.e2e.concurrency import count, overlapping_client
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import family_body, provider_body

AT_ONCE = 10


async def _push_at_once(settings: Settings, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    async with overlapping_client(settings) as client:
        return list(await asyncio.gather(*(client.post(path, json=b, headers=OPERATOR) for b in bodies)))


async def test_concurrent_family_pushes_create_one_family_and_update_it(
    settings: Settings, database_url: str
) -> None:
    bodies = [family_body("race", children=2, zip=f"8020{i}") for i in range(AT_ONCE)]

    responses = await _push_at_once(settings, "/admin/families", bodies)

    assert Counter(r.status_code for r in responses) == {201: 1, 200: AT_ONCE - 1}, [
        r.text for r in responses
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({tuple(c["id"] for c in r.json()["children"]) for r in responses}) == 1
    assert await count(database_url, "SELECT count(*) FROM families") == 1
    assert await count(database_url, "SELECT count(*) FROM children") == 2
    assert await count(database_url, "SELECT count(*) FROM guardians") == 1


async def test_concurrent_provider_pushes_create_one_provider_and_update_it(
    settings: Settings, database_url: str
) -> None:
    bodies = [provider_body("race", name=f"Care {i}") for i in range(AT_ONCE)]

    responses = await _push_at_once(settings, "/admin/providers", bodies)

    assert Counter(r.status_code for r in responses) == {201: 1, 200: AT_ONCE - 1}, [
        r.text for r in responses
    ]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count(database_url, "SELECT count(*) FROM providers") == 1


async def test_two_families_racing_for_one_child_external_id_get_a_409_not_a_500(
    settings: Settings, database_url: str
) -> None:
    # Different families claiming the same new child: that is a real conflict, not a repeat of one push.
    bodies = [family_body(f"claim{i}") for i in range(AT_ONCE)]
    for body in bodies:
        body["children"][0]["external_id"] = "kid-contested"

    responses = await _push_at_once(settings, "/admin/families", bodies)

    assert Counter(r.status_code for r in responses) == {201: 1, 409: AT_ONCE - 1}, [
        r.text for r in responses
    ]
    refused = [r.json() for r in responses if r.status_code == 409]
    assert all(body["code"] == "external_id_taken" for body in refused)
    assert all(body["details"] == {"field": "children[0].external_id"} for body in refused)
    assert await count(database_url, "SELECT count(*) FROM families") == 1
    assert await count(database_url, "SELECT count(*) FROM children") == 1
