"""JWKS mode against a local JWKS server: cache, unknown-kid cooldown, outages (clerk.md §5.1 #8-11, #30)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.clerk.keys import JwksKeys
from adapters.clerk.session_tokens import ClerkSessionVerifier
from domain.errors import DependencyUnavailable, Unauthenticated
from tests.fake_clerk import FakeClerk
from tests.tokens import DROP, ISSUER, TokenMinter, jwk, new_key


class Ticks:
    """A hand-moved monotonic clock for the cooldown and cache age (no sleeping in tests)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
async def keys(fake_clerk: FakeClerk, minter: TokenMinter, ticks: Ticks) -> AsyncIterator[JwksKeys]:
    fake_clerk.jwks = {"keys": [jwk(minter.key)]}
    source = JwksKeys(fake_clerk.jwks_url, cooldown_seconds=30, max_age_seconds=600, clock=ticks)
    yield source
    await source.close()


@pytest.fixture
def verifier(keys: JwksKeys) -> ClerkSessionVerifier:
    return ClerkSessionVerifier(keys, issuer=ISSUER)


async def test_a_valid_token_is_verified_with_one_fetch_then_from_cache(
    verifier: ClerkSessionVerifier, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    for _ in range(5):
        assert (await verifier.verify(minter.token())).user_id == "user_alice"
    assert fake_clerk.jwks_fetches == 1


async def test_twenty_unknown_kids_cost_at_most_one_fetch(
    verifier: ClerkSessionVerifier, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    for n in range(20):
        with pytest.raises(Unauthenticated):
            await verifier.verify(minter.token(headers={"kid": f"ins_made_up_{n}"}))
    assert fake_clerk.jwks_fetches == 1
    assert (await verifier.verify(minter.token())).user_id == "user_alice"  # cached set still good
    assert fake_clerk.jwks_fetches == 1


async def test_a_missing_kid_is_refused_without_a_fetch(
    verifier: ClerkSessionVerifier, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    with pytest.raises(Unauthenticated):
        await verifier.verify(minter.token(headers={"kid": DROP}))
    assert fake_clerk.jwks_fetches == 0


async def test_a_forged_signature_with_the_real_kid_does_not_refetch(
    verifier: ClerkSessionVerifier, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    await verifier.verify(minter.token())
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            await verifier.verify(minter.token(key=new_key()))
    assert fake_clerk.jwks_fetches == 1


async def test_a_rotated_in_key_is_picked_up_once_the_cooldown_has_passed(
    verifier: ClerkSessionVerifier, minter: TokenMinter, fake_clerk: FakeClerk, ticks: Ticks
) -> None:
    await verifier.verify(minter.token())
    rotated = TokenMinter(new_key(), kid="ins_rotated")
    fake_clerk.jwks = {"keys": [jwk(minter.key), jwk(rotated.key, "ins_rotated")]}
    ticks.now += 10
    with pytest.raises(Unauthenticated):  # inside the cooldown: no fetch yet
        await verifier.verify(rotated.token())
    ticks.now += 25
    assert (await verifier.verify(rotated.token())).user_id == "user_alice"
    assert fake_clerk.jwks_fetches == 2


async def test_endpoint_down_on_a_cold_start_is_unavailable_not_unauthenticated(
    verifier: ClerkSessionVerifier, minter: TokenMinter, fake_clerk: FakeClerk, ticks: Ticks
) -> None:
    fake_clerk.down = True
    with pytest.raises(DependencyUnavailable):
        await verifier.verify(minter.token())
    with pytest.raises(DependencyUnavailable):  # within the cooldown: answered without hammering
        await verifier.verify(minter.token())
    assert fake_clerk.jwks_fetches == 1
    fake_clerk.down = False
    ticks.now += 31
    assert (await verifier.verify(minter.token())).user_id == "user_alice"


async def test_endpoint_down_with_a_warm_cache_keeps_verifying(
    verifier: ClerkSessionVerifier, minter: TokenMinter, fake_clerk: FakeClerk, ticks: Ticks
) -> None:
    await verifier.verify(minter.token())
    fake_clerk.down = True
    ticks.now += 3600  # the cache is old: a refresh is tried, fails, and the last good keys stay
    assert (await verifier.verify(minter.token())).user_id == "user_alice"
    assert fake_clerk.jwks_fetches == 2


async def test_a_jwks_without_usable_keys_counts_as_unavailable(
    verifier: ClerkSessionVerifier, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    fake_clerk.jwks = {"keys": [{"kty": "oct", "kid": "x", "k": "c2VjcmV0"}]}
    with pytest.raises(DependencyUnavailable):
        await verifier.verify(minter.token())
