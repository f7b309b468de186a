"""The Chek adapter against a local fake Chek server: every operation over real HTTP, Chek's error bodies,
a timeout, retries only where the call is idempotent, and no key ever in a log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.chek.gateway import ChekGateway, ChekSettings
from domain.money.errors import GatewayDeclined, GatewayUnavailable
from domain.money.wallet_details import HolderKind, WalletHolder, wallet_holder
from tests.fake_chek import ACCOUNT_ID, API_KEY, PROGRAM_ID, WRITE_KEY, FakeChek, running_fake_chek


@pytest.fixture(scope="module")
def _server() -> Iterator[FakeChek]:
    with running_fake_chek() as fake:
        yield fake


@pytest.fixture
def chek(_server: FakeChek) -> Iterator[FakeChek]:
    _server.reset()
    yield _server
    _server.reset()


def settings(fake: FakeChek, *, timeout: float = 5.0) -> ChekSettings:
    return ChekSettings(fake.url, ACCOUNT_ID, PROGRAM_ID, API_KEY, WRITE_KEY, timeout_seconds=timeout)


@pytest.fixture
async def gateway(chek: FakeChek) -> AsyncIterator[ChekGateway]:
    gateway = ChekGateway(settings(chek))
    yield gateway
    await gateway.close()


def holder(email: str = "ana@example.org") -> WalletHolder:
    return wallet_holder(
        HolderKind.FAMILY,
        "f1",
        email=email,
        phone_number="(303) 555-0100",
        first_name="Ana",
        last_name="Lopez",
        state="Colorado",
        city="Denver",
        zip_code="80202",
    )


async def test_a_wallet_is_created_once_and_found_again_by_exact_email(
    gateway: ChekGateway, chek: FakeChek
) -> None:
    await gateway.ensure_wallet(holder("xana@example.org"))  # Chek's loose filter also returns this one
    user_id = await gateway.ensure_wallet(holder())
    assert await gateway.ensure_wallet(holder()) == user_id
    created = [
        body for method, path, _, body in chek.requests if method == "POST" and path.endswith("/users/")
    ]
    assert len(created) == 2
    assert created[1]["phone"] == "+13035550100"
    assert created[1]["address"]["state"] == "CO"
    headers = chek.requests[-1][2]
    assert headers["API-Key"] == API_KEY


async def test_money_moves_carry_the_idempotency_key_and_move_once(
    gateway: ChekGateway, chek: FakeChek
) -> None:
    family = await gateway.ensure_wallet(holder())
    provider = await gateway.ensure_wallet(holder("care@example.org"))
    first = await gateway.fund_family_wallet(family, 5_000, idempotency_key="allocation:1:funding")
    again = await gateway.fund_family_wallet(family, 5_000, idempotency_key="allocation:1:funding")
    assert first == again
    assert (await gateway.wallet_state(family)).balance_cents == 5_000
    moves = [(h, b) for m, p, h, b in chek.requests if p.endswith("transfer_balance/")]
    assert moves[0][0]["Idempotency-Key"] == "allocation:1:funding"
    assert moves[0][0]["Write-Key"] == WRITE_KEY
    assert moves[0][1]["flow_direction"] == "program_to_wallet"
    assert moves[0][1]["program_id"] == PROGRAM_ID

    await gateway.transfer_to_provider(family, provider, 3_000, idempotency_key="p1")
    await gateway.reclaim(family, 1_000, idempotency_key="r1")
    assert (await gateway.wallet_state(family)).balance_cents == 1_000
    card = await gateway.create_card(provider)
    assert card.status == "Active"
    await gateway.pay_out_by_card(provider, card.id, 2_000, idempotency_key="p1:card")
    state = await gateway.wallet_state(provider)
    assert (state.balance_cents, state.card) == (1_000, card)


async def test_ach_linking_is_pending_until_the_bank_is_linked(gateway: ChekGateway, chek: FakeChek) -> None:
    provider = await gateway.ensure_wallet(holder("care@example.org"))
    invitation = await gateway.start_ach_linking(provider)
    assert (invitation.instrument.status, invitation.invite_sent_to) == ("Pending", "care@example.org")
    with pytest.raises(GatewayDeclined, match="not active"):
        await gateway.pay_out_by_ach(provider, 100, idempotency_key="a1")
    chek.users[provider]["directpay"]["status"] = "Active"
    await gateway.fund_family_wallet(provider, 500, idempotency_key="seed")
    await gateway.pay_out_by_ach(provider, 100, idempotency_key="a1")
    assert (await gateway.wallet_state(provider)).ach == invitation.instrument.__class__(
        invitation.instrument.id, "Active"
    )


async def test_chek_error_bodies_become_declines_with_chek_s_words(
    gateway: ChekGateway, chek: FakeChek
) -> None:
    family = await gateway.ensure_wallet(holder())
    with pytest.raises(GatewayDeclined, match="Insufficient wallet balance"):
        await gateway.reclaim(family, 1, idempotency_key="r")
    chek.refuse_next = {"amount": ["Ensure this value is greater than 0."]}
    with pytest.raises(GatewayDeclined, match="amount: "):
        await gateway.fund_family_wallet(family, 5, idempotency_key="f")
    with pytest.raises(GatewayDeclined, match="User not found"):
        await gateway.wallet_state("usr_missing")


async def test_an_outage_is_retried_for_idempotent_calls_then_reported(
    gateway: ChekGateway, chek: FakeChek
) -> None:
    family = await gateway.ensure_wallet(holder())
    chek.down = True
    chek.requests.clear()
    with pytest.raises(GatewayUnavailable, match="503"):
        await gateway.fund_family_wallet(family, 5, idempotency_key="f")
    assert len(chek.requests) == 3  # the call and its two retries, each with the same key
    chek.requests.clear()
    with pytest.raises(GatewayUnavailable):
        await gateway.create_card(family)
    assert len(chek.requests) == 1  # not idempotent at Chek: never retried


async def test_wrong_keys_are_an_outage_of_ours_not_a_decline(chek: FakeChek) -> None:
    gateway = ChekGateway(ChekSettings(chek.url, ACCOUNT_ID, PROGRAM_ID, "wrong-key", WRITE_KEY))
    try:
        with pytest.raises(GatewayUnavailable, match="401"):
            await gateway.wallet_state("usr_1")
    finally:
        await gateway.close()


async def test_a_slow_chek_times_out(chek: FakeChek) -> None:
    gateway = ChekGateway(settings(chek, timeout=0.2))
    try:
        chek.slow_seconds = 0.5
        with pytest.raises(GatewayUnavailable, match="ReadTimeout"):
            await gateway.wallet_state("usr_1")
    finally:
        chek.slow_seconds = 0.0
        await gateway.close()


async def test_keys_never_reach_the_logs(
    gateway: ChekGateway, chek: FakeChek, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    family = await gateway.ensure_wallet(holder())
    await gateway.fund_family_wallet(family, 5, idempotency_key="f")
    chek.down = True
    with pytest.raises(GatewayUnavailable):
        await gateway.wallet_state(family)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "chek call" in logged
    assert API_KEY not in logged
    assert WRITE_KEY not in logged
    assert API_KEY not in repr(settings(chek))
