"""Setting up people for the e2e identity tests, through the admin API as an operator would."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import TEST_API_KEY
from tests.tokens import TokenMinter

Client = AsyncTestClient[Litestar]
OPERATOR = {"X-API-Key": TEST_API_KEY}


async def create_account(client: Client, user_id: str, *roles: str, **extra: Any) -> dict[str, Any]:
    body = {"clerk_user_id": user_id, "email": f"{user_id}@x.org", "roles": list(roles), **extra}
    response = await client.post("/admin/accounts", json=body, headers=OPERATOR)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deactivate(client: Client, user_id: str) -> None:
    response = await client.patch(f"/admin/accounts/{user_id}", json={"deactivated": True}, headers=OPERATOR)
    assert response.status_code == 200, response.text


def signed_in_as(minter: TokenMinter, user_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {minter.token(user_id)}"}
