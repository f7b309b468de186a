"""The sandbox gateway on its own tables: balances enforced, one move per idempotency key (also under
concurrency), cards active at once, ACH pending until linked, and every injected failure."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from domain.money.errors import GatewayDeclined, GatewayUnavailable
from domain.money.wallet_details import HolderKind, WalletHolder, wallet_holder

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def sandbox(session_factory: Sessions) -> SandboxGateway:
    return SandboxGateway(session_factory, programme_balance_cents=100_000)  # a small programme, to run dry


def holder(email: str) -> WalletHolder:
    return wallet_holder(
        HolderKind.FAMILY, "f", email=email, phone_number=None, first_name="A", last_name="B"
    )


async def test_wallets_are_found_by_email(sandbox: SandboxGateway) -> None:
    first = await sandbox.ensure_wallet(holder("a@example.org"))
    assert await sandbox.ensure_wallet(holder("A@example.org ".strip().lower())) == first
    assert await sandbox.ensure_wallet(holder("b@example.org")) != first


async def test_balances_are_enforced_from_the_programme_down(sandbox: SandboxGateway) -> None:
    family = await sandbox.ensure_wallet(holder("f@example.org"))
    provider = await sandbox.ensure_wallet(holder("p@example.org"))
    with pytest.raises(GatewayDeclined, match="Insufficient"):
        await sandbox.fund_family_wallet(family, 100_001, idempotency_key="too-much")
    await sandbox.fund_family_wallet(family, 60_000, idempotency_key="fund")
    with pytest.raises(GatewayDeclined, match="Insufficient"):
        await sandbox.transfer_to_provider(family, provider, 60_001, idempotency_key="pay")
    await sandbox.transfer_to_provider(family, provider, 50_000, idempotency_key="pay")
    await sandbox.reclaim(family, 10_000, idempotency_key="reclaim")
    assert (await sandbox.wallet_state(family)).balance_cents == 0
    assert (await sandbox.wallet_state(provider)).balance_cents == 50_000
    assert await sandbox.programme_balance() == 50_000


async def test_one_key_moves_money_once_even_twenty_at_a_time(sandbox: SandboxGateway) -> None:
    family = await sandbox.ensure_wallet(holder("f@example.org"))
    transfers = await asyncio.gather(
        *(
            sandbox.fund_family_wallet(family, 1_000, idempotency_key="allocation:7:funding")
            for _ in range(20)
        )
    )
    assert len(set(transfers)) == 1
    assert (await sandbox.wallet_state(family)).balance_cents == 1_000
    assert len(await sandbox.transfers()) == 1
    with pytest.raises(GatewayDeclined, match="another transfer"):
        await sandbox.fund_family_wallet(family, 2_000, idempotency_key="allocation:7:funding")


async def test_cards_are_active_at_once_and_ach_waits_for_the_bank(sandbox: SandboxGateway) -> None:
    provider = await sandbox.ensure_wallet(holder("p@example.org"))
    await sandbox.fund_family_wallet(provider, 5_000, idempotency_key="seed")
    card = await sandbox.create_card(provider)
    assert card.status == "Active"
    assert await sandbox.create_card(provider) == card
    await sandbox.pay_out_by_card(provider, card.id, 1_000, idempotency_key="c1")
    with pytest.raises(GatewayDeclined):
        await sandbox.pay_out_by_card(provider, "sbx_card_other", 1_000, idempotency_key="c2")

    invitation = await sandbox.start_ach_linking(provider)
    assert (invitation.instrument.status, invitation.invite_sent_to) == ("Pending", "p@example.org")
    with pytest.raises(GatewayDeclined, match="no linked bank"):
        await sandbox.pay_out_by_ach(provider, 1_000, idempotency_key="a1")
    assert (await sandbox.link_bank(provider)).status == "Active"
    await sandbox.pay_out_by_ach(provider, 1_000, idempotency_key="a1")
    state = await sandbox.wallet_state(provider)
    assert (state.balance_cents, state.card, state.ach and state.ach.status) == (3_000, card, "Active")


async def test_declined_and_timeout_move_nothing(sandbox: SandboxGateway) -> None:
    family = await sandbox.ensure_wallet(holder("f@example.org"))
    await sandbox.fail_next(Fault.DECLINED, operation="fund_family_wallet")
    with pytest.raises(GatewayDeclined, match="injected"):
        await sandbox.fund_family_wallet(family, 1_000, idempotency_key="k")
    await sandbox.fail_next(Fault.TIMEOUT, times=2)
    for _ in range(2):
        with pytest.raises(GatewayUnavailable, match="timed out"):
            await sandbox.fund_family_wallet(family, 1_000, idempotency_key="k")
    assert (await sandbox.wallet_state(family)).balance_cents == 0
    await sandbox.fund_family_wallet(family, 1_000, idempotency_key="k")  # the faults are used up
    assert (await sandbox.wallet_state(family)).balance_cents == 1_000


async def test_an_error_after_the_move_is_safe_to_retry_with_the_same_key(sandbox: SandboxGateway) -> None:
    family = await sandbox.ensure_wallet(holder("f@example.org"))
    await sandbox.fail_next(Fault.ERROR_AFTER_MOVE)
    with pytest.raises(GatewayUnavailable, match="answer was lost"):
        await sandbox.fund_family_wallet(family, 1_000, idempotency_key="k")
    assert (await sandbox.wallet_state(family)).balance_cents == 1_000  # it did move
    retried = await sandbox.fund_family_wallet(family, 1_000, idempotency_key="k")
    assert [t.transfer_id for t in await sandbox.transfers()] == [retried.transfer_id]
    assert (await sandbox.wallet_state(family)).balance_cents == 1_000


async def test_faults_can_be_cleared_and_unknown_operations_are_refused(sandbox: SandboxGateway) -> None:
    await sandbox.fail_next(Fault.DECLINED, times=5)
    assert await sandbox.clear_faults() == 1
    await sandbox.ensure_wallet(holder("f@example.org"))
    with pytest.raises(ValueError, match="unknown operation"):
        await sandbox.fail_next(Fault.DECLINED, operation="print_money")
