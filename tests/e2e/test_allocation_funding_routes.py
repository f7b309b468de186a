"""Allocation funding as operators see it over HTTP: onboarding's allocations listed unfunded until
funded, a failed funding showing its attempts and error, one allocation's funding read by id."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from domain.money.errors import GatewayUnavailable
from domain.money.use_cases.funding import fund_allocation
from domain.money.use_cases.wallets import open_family_wallet
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import NOW, family_body, post_ok
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock

Client = AsyncTestClient[Litestar]


async def test_unfunded_allocations_are_listed_until_funded_with_their_errors(
    programme_client: Client, fake_clerk: FakeClerk, sessions: async_sessionmaker[AsyncSession]
) -> None:
    family = await post_ok(programme_client, "/admin/families", family_body("funds"))
    fake_clerk.add_user("user_funds", "ana.funds@x.org")
    body = {"clerk_user_id": "user_funds", "family_id": family["id"]}
    await post_ok(programme_client, "/family/onboard", body, 200)

    listed = await programme_client.get("/admin/allocations/unfunded", headers=OPERATOR)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["amount_cents"], i["status"], i["attempts"], i["funded"]) for i in items] == [
        (60_000, "pending", 0, False),  # January, prorated: never tried (no worker runs here)
        (120_000, "pending", 0, False),
    ]
    january, february = (i["allocation_id"] for i in items)

    # The funding jobs' use case, run here: January funded; February meets a gateway that times out.
    gateway, clock = SandboxGateway(sessions), FixedClock(NOW)
    uow = SqlAlchemyMoneyUnitOfWork(sessions)
    await open_family_wallet(uow, gateway, family["id"])
    await fund_allocation(uow, gateway, clock, january)
    await gateway.fail_next(Fault.TIMEOUT, operation="fund_family_wallet")
    with pytest.raises(GatewayUnavailable):
        await fund_allocation(uow, gateway, clock, february)

    funded = (await programme_client.get(f"/admin/allocations/{january}/funding", headers=OPERATOR)).json()
    [transfer] = await gateway.transfers()
    assert (funded["status"], funded["funded"], funded["gateway_transfer_id"]) == (
        "funded",
        True,
        transfer.transfer_id,
    )
    assert funded["funded_at"] == NOW.isoformat().replace("+00:00", "Z")
    [waiting] = (await programme_client.get("/admin/allocations/unfunded", headers=OPERATOR)).json()["items"]
    assert (waiting["allocation_id"], waiting["status"], waiting["attempts"]) == (february, "pending", 1)
    assert "timed out" in waiting["last_error"]

    missing = await programme_client.get("/admin/allocations/999999/funding", headers=OPERATOR)
    assert (missing.status_code, missing.json()["code"]) == (400, "allocation_not_found")
    too_many = await programme_client.get("/admin/allocations/unfunded?limit=0", headers=OPERATOR)
    assert too_many.status_code == 400
