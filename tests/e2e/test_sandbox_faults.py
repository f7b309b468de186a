"""The sandbox's failure controls over HTTP (API key): failures asked for, listed and forgotten; an
unknown operation is a 400; on any other gateway the routes refuse (409) and touch nothing."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.e2e.identity_support import OPERATOR

Client = AsyncTestClient[Litestar]


async def test_failures_are_asked_for_listed_and_forgotten(client: Client) -> None:
    asked = await client.post(
        "/sandbox/faults",
        json={"fault": "error_after_move", "operation": "fund_family_wallet", "times": 2},
        headers=OPERATOR,
    )
    assert asked.status_code == 201, asked.text
    await client.post("/sandbox/faults", json={"fault": "timeout"}, headers=OPERATOR)
    listed = await client.get("/sandbox/faults", headers=OPERATOR)
    assert listed.json() == {
        "faults": [
            {"fault": "error_after_move", "operation": "fund_family_wallet", "remaining": 2},
            {"fault": "timeout", "operation": "*", "remaining": 1},
        ]
    }
    cleared = await client.delete("/sandbox/faults", headers=OPERATOR)
    assert (cleared.status_code, cleared.json()) == (200, {"cleared": 2})
    assert (await client.get("/sandbox/faults", headers=OPERATOR)).json() == {"faults": []}


async def test_an_unknown_operation_or_fault_is_refused(client: Client) -> None:
    unknown = await client.post(
        "/sandbox/faults", json={"fault": "timeout", "operation": "print_money"}, headers=OPERATOR
    )
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_operation")
    assert (
        await client.post("/sandbox/faults", json={"fault": "meteor"}, headers=OPERATOR)
    ).status_code == 400
    assert (await client.get("/sandbox/faults", headers=OPERATOR)).json() == {"faults": []}


async def test_on_another_gateway_the_controls_refuse(
    client_with: Callable[..., AbstractAsyncContextManager[Client]],
) -> None:
    chek: dict[str, Any] = {
        "payment_gateway": "chek",
        "chek_base_url": "http://127.0.0.1:9",
        "chek_account_id": "acct",
        "chek_program_id": "prog",
        "chek_api_key": "key",
        "chek_write_key": "write",
    }
    async with client_with(**chek) as client:
        for response in (
            await client.post("/sandbox/faults", json={"fault": "timeout"}, headers=OPERATOR),
            await client.get("/sandbox/faults", headers=OPERATOR),
            await client.delete("/sandbox/faults", headers=OPERATOR),
        ):
            assert (response.status_code, response.json()["code"]) == (409, "sandbox_not_in_use")
