"""A PATCH that gives a family, child or provider an external_id another record holds is a 409
``external_id_taken`` naming the field — whether the other record held it already or a concurrent
PATCH takes it at the same moment — never a 500 from the unique constraint; the refused PATCH changes
nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from entrypoints.settings import Settings
from tests.e2e.concurrency import count, overlapping_client, writes_held
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import family_body, provider_body

AT_ONCE = 10
Create = Callable[[httpx.AsyncClient, int], Awaitable[str]]


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, object]) -> dict[str, object]:
    response = await client.post(path, json=body, headers=OPERATOR)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _family(client: httpx.AsyncClient, n: int) -> str:
    return str((await _created(client, "/admin/families", family_body(f"f{n}", children=0)))["id"])


async def _child(client: httpx.AsyncClient, n: int) -> str:
    family = await _created(client, "/admin/families", family_body(f"c{n}"))
    children = family["children"]
    assert isinstance(children, list)
    return str(children[0]["id"])


async def _provider(client: httpx.AsyncClient, n: int) -> str:
    return str((await _created(client, "/admin/providers", provider_body(f"p{n}")))["id"])


@dataclass(frozen=True)
class Kind:
    """One kind of record: how to make one, where to PATCH it, and one other column the PATCH changes."""

    table: str
    path: str
    create: Create
    field: str
    column: str

    def patch(self, client: httpx.AsyncClient, record_id: str, external_id: str) -> Awaitable[httpx.Response]:
        body = {"external_id": external_id, self.field: "Changed"}
        return client.patch(f"{self.path}/{record_id}", json=body, headers=OPERATOR)


KINDS = [
    Kind("families", "/admin/families", _family, "zip", "zip_code"),
    Kind("children", "/admin/children", _child, "first_name", "first_name"),
    Kind("providers", "/admin/providers", _provider, "name", "name"),
]


def _refused_as_taken(response: httpx.Response) -> bool:
    body = response.json()
    return (response.status_code, body["code"], body["details"]) == (
        409,
        "external_id_taken",
        {"field": "external_id"},
    )


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_an_external_id_another_record_holds_is_refused(
    settings: Settings, database_url: str, kind: Kind
) -> None:
    async with overlapping_client(settings) as client:
        first, second = [await kind.create(client, n) for n in range(2)]
        taken = await kind.patch(client, first, "site-42")
        assert taken.status_code == 200, taken.text

        refused = await kind.patch(client, second, "site-42")

    assert _refused_as_taken(refused), refused.text
    assert await count(database_url, f"SELECT count(*) FROM {kind.table} WHERE external_id = 'site-42'") == 1
    changed = f"SELECT count(*) FROM {kind.table} WHERE {kind.column} = 'Changed'"
    assert await count(database_url, changed) == 1  # the first record's, not the refused one's


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.table)
async def test_concurrent_patches_to_one_new_external_id_leave_one_holder(
    settings: Settings, database_url: str, kind: Kind
) -> None:
    async with overlapping_client(settings) as client:
        ids = [await kind.create(client, n) for n in range(AT_ONCE)]

        async with writes_held(database_url, kind.table) as held:
            patches = [asyncio.ensure_future(kind.patch(client, i, "site-new")) for i in ids]
            await held.until_waiting(AT_ONCE)  # all have seen "site-new" free
        responses = await asyncio.gather(*patches)

    assert Counter(r.status_code for r in responses) == {200: 1, 409: AT_ONCE - 1}, [
        r.text for r in responses
    ]
    assert all(_refused_as_taken(r) for r in responses if r.status_code == 409)
    assert await count(database_url, f"SELECT count(*) FROM {kind.table} WHERE external_id = 'site-new'") == 1
    changed = f"SELECT count(*) FROM {kind.table} WHERE {kind.column} = 'Changed'"
    assert await count(database_url, changed) == 1  # only the winner's PATCH changed anything
