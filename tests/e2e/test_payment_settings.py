"""A provider's payment settings through the real routes, with the frontend's JSON (frontend-contract
§2.9–§2.11): reading them from our records, setting up a card or ACH once (``already_exists`` after),
choosing only an instrument that exists, who may call what, and the refresh asked for on each change.
The gateway is the sandbox (its books in the test database), or Chek through the local fake server."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import build_job_context, use_job_context
from entrypoints.jobs.money import sync_provider_wallet_job
from entrypoints.jobs.runtime import build_job_runtime
from entrypoints.settings import Settings
from tests.e2e.concurrency import count, overlapping_client
from tests.e2e.identity_support import OPERATOR
from tests.e2e.programme_support import Client, Household, app_at, household
from tests.e2e.test_bad_input import Fingerprints
from tests.fake_chek import ACCOUNT_ID, API_KEY, PROGRAM_ID, WRITE_KEY, FakeChek, running_fake_chek
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
SETTINGS_KEYS = {
    "provider_id", "chek_user_id", "payment_method", "payment_method_updated_at", "is_payable",
    "needs_refresh", "last_sync", "last_synced_at", "wallet_balance_cents", "card", "ach", "validation",
}  # fmt: skip
SETUP_KEYS = {
    "message", "payment_method", "provider_id", "chek_user_id", "card_id", "direct_pay_id",
    "invite_sent_to", "already_exists",
}  # fmt: skip


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = build_engine(settings.require_database_url(), pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
def sandbox(engine: AsyncEngine) -> SandboxGateway:
    """The sandbox's controls, on the same books the app's sandbox keeps."""
    return SandboxGateway(build_session_factory(engine))


@asynccontextmanager
async def _job_context(settings: Settings, clock: FixedClock) -> AsyncIterator[None]:
    """Jobs called in this block run as the worker would run them, on the gateway ``settings`` name."""
    runtime = build_job_runtime(settings, job_manager)
    context = build_job_context(settings, runtime.queue, clock=clock)
    use_job_context(context)
    try:
        yield
    finally:
        use_job_context(None)
        await context.close()
        runtime.close()


async def _home(client: Client, minter: TokenMinter, fake_clerk: FakeClerk, tag: str = "ps") -> Household:
    return await household(client, minter, fake_clerk, tag, rates=False)


async def _settings(client: Client, home: Household) -> dict[str, Any]:
    response = await client.get("/provider/payment-settings", headers=home.provider_headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == SETTINGS_KEYS
    return body


async def _set_up(client: Client, home: Household, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post(
        "/provider/initialize-my-payment", json=body or {}, headers=home.provider_headers
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert set(answer) == SETUP_KEYS
    return answer


async def _sync_jobs(client: Client, provider_id: str) -> list[dict[str, Any]]:
    listed = await client.get("/jobs?name=money.sync_provider_wallet&limit=200", headers=OPERATOR)
    assert listed.status_code == 200, listed.text
    return [job for job in listed.json()["jobs"] if job["args"] == [provider_id]]


async def test_before_any_setup_the_settings_say_so_without_asking_the_gateway(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, sandbox: SandboxGateway
) -> None:
    home = await _home(programme_client, minter, fake_clerk)
    # A read never reaches the gateway: with every gateway call failing, it still answers.
    await sandbox.fail_next(Fault.TIMEOUT, times=100)
    body = await _settings(programme_client, home)
    assert body == {
        "provider_id": home.provider_id,
        "chek_user_id": None,  # the onboarding job has not run: the frontend says "setup required"
        "payment_method": None,
        "payment_method_updated_at": None,
        "is_payable": False,
        "needs_refresh": False,
        "last_sync": None,
        "last_synced_at": None,
        "wallet_balance_cents": None,
        "card": {"available": False, "status": None, "id": None},
        "ach": {"available": False, "status": None, "id": None},
        "validation": {"is_valid": False, "message": "The provider has no wallet yet"},
    }


async def test_a_card_is_set_up_once_and_the_settings_show_it_active(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, sandbox: SandboxGateway
) -> None:
    home = await _home(programme_client, minter, fake_clerk)
    first = await _set_up(programme_client, home)  # no method named: a card
    assert first["payment_method"] == "card"
    assert first["already_exists"] is False
    assert first["message"] == "Your virtual card is ready."
    assert first["card_id"]
    assert first["chek_user_id"]
    assert (first["direct_pay_id"], first["invite_sent_to"]) == (None, None)

    # Again: nothing is asked of the gateway (its next card call would fail) and nothing changes.
    await sandbox.fail_next(Fault.DECLINED, operation="create_card")
    again = await _set_up(programme_client, home, {"payment_method": "card"})
    assert again == {**first, "already_exists": True, "message": "Your virtual card is already set up."}
    await sandbox.clear_faults()

    body = await _settings(programme_client, home)
    assert body["card"] == {"available": True, "status": "Active", "id": first["card_id"]}
    assert body["ach"] == {"available": False, "status": None, "id": None}
    assert (body["payment_method"], body["is_payable"], body["chek_user_id"]) == (
        "card",
        True,
        first["chek_user_id"],
    )
    assert body["validation"] == {"is_valid": True, "message": None}
    assert UTC_Z.match(body["payment_method_updated_at"])
    assert len(await _sync_jobs(programme_client, home.provider_id)) == 1  # asked for by the change


async def test_ach_shows_invited_until_the_bank_is_linked_and_a_refresh_brings_it_active(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sandbox: SandboxGateway,
    clock: FixedClock,
) -> None:
    home = await _home(programme_client, minter, fake_clerk)
    done = await _set_up(programme_client, home, {"payment_method": "ach"})
    assert (done["payment_method"], done["already_exists"], done["card_id"]) == ("ach", False, None)
    assert done["direct_pay_id"]
    assert done["invite_sent_to"] == "pat.ps@x.org"

    body = await _settings(programme_client, home)
    # The gateway says Pending; the frontend shows "Invited" in yellow (and Pending as "not available").
    assert body["ach"] == {"available": True, "status": "Invited", "id": done["direct_pay_id"]}
    assert (body["payment_method"], body["is_payable"]) == ("ach", False)
    assert body["validation"]["message"] == "The provider's ach is Pending, not Active"

    await sandbox.link_bank(done["chek_user_id"])
    assert (await _settings(programme_client, home))["ach"]["status"] == "Invited"  # not until the refresh

    async with _job_context(settings, clock):
        synced = await sync_provider_wallet_job(home.provider_id)
    assert synced["ach_status"] == "Active"

    body = await _settings(programme_client, home)
    assert body["ach"]["status"] == "Active"
    assert body["is_payable"] is True
    assert body["last_sync"] == body["last_synced_at"]
    assert UTC_Z.match(body["last_sync"])
    assert (body["needs_refresh"], body["wallet_balance_cents"]) == (False, 0)


async def test_switching_needs_the_instrument_and_a_refusal_changes_nothing(
    settings: Settings, programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await _home(programme_client, minter, fake_clerk)
    prints = Fingerprints(settings.require_database_url())
    try:
        for before_setup in (True, False):
            if not before_setup:
                await _set_up(programme_client, home)  # a card, and only a card
            snapshot = await prints.take()
            refused = await programme_client.put(
                "/provider/payment-settings", json={"payment_method": "ach"}, headers=home.provider_headers
            )
            assert refused.status_code == 400, refused.text
            assert refused.json()["code"] == "payment_instrument_missing"
            assert refused.json()["details"] == {"payment_method": "ach"}
            assert await prints.take() == snapshot
    finally:
        await prints.engine.dispose()

    bad = await programme_client.put(
        "/provider/payment-settings", json={"payment_method": "cash"}, headers=home.provider_headers
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "validation_error")


async def test_switching_between_instruments_that_exist(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await _home(programme_client, minter, fake_clerk)
    await _set_up(programme_client, home, {"payment_method": "ach"})
    await _set_up(programme_client, home, {"payment_method": "card"})
    assert (await _settings(programme_client, home))["payment_method"] == "card"

    switched = await programme_client.put(
        "/provider/payment-settings", json={"payment_method": "ach"}, headers=home.provider_headers
    )
    assert switched.status_code == 200, switched.text
    answer = switched.json()
    assert set(answer) == {
        "message",
        "provider_id",
        "payment_method",
        "payment_method_updated_at",
        "is_payable",
    }
    assert (answer["provider_id"], answer["payment_method"], answer["is_payable"]) == (
        home.provider_id,
        "ach",
        False,  # the bank is not linked yet
    )
    assert UTC_Z.match(answer["payment_method_updated_at"])
    body = await _settings(programme_client, home)
    assert (body["payment_method"], body["card"]["available"], body["ach"]["available"]) == (
        "ach",
        True,
        True,
    )
    jobs = await _sync_jobs(programme_client, home.provider_id)
    assert len(jobs) == 3  # two set-ups and one switch

    same = await programme_client.put(
        "/provider/payment-settings", json={"payment_method": "ach"}, headers=home.provider_headers
    )
    assert same.json()["payment_method_updated_at"] == answer["payment_method_updated_at"]
    assert len(await _sync_jobs(programme_client, home.provider_id)) == 3  # no change, no refresh


async def test_a_provider_whose_payments_are_not_enabled_cannot_set_up_payment(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await _home(programme_client, minter, fake_clerk)
    disabled = await programme_client.patch(
        f"/admin/providers/{home.provider_id}", json={"payment_enabled": False}, headers=OPERATOR
    )
    assert disabled.status_code == 200, disabled.text
    for path, headers in (
        ("/provider/initialize-my-payment", home.provider_headers),
        (f"/provider/{home.provider_id}/initialize-payment", OPERATOR),
    ):
        refused = await programme_client.post(path, json={"payment_method": "card"}, headers=headers)
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "provider_payments_not_enabled"
    assert (await _settings(programme_client, home))["card"]["available"] is False


async def test_operators_set_up_a_provider_s_payment_with_an_api_key(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await _home(programme_client, minter, fake_clerk)
    path = f"/provider/{home.provider_id}/initialize-payment"
    first = await programme_client.post(path, json={"payment_method": "card"}, headers=OPERATOR)
    assert first.status_code == 200, first.text
    assert set(first.json()) == SETUP_KEYS
    again = await programme_client.post(path, json={}, headers=OPERATOR)
    assert again.json()["already_exists"] is True
    assert again.json()["card_id"] == first.json()["card_id"]
    # The provider sees what the operator set up.
    assert (await _settings(programme_client, home))["card"]["id"] == first.json()["card_id"]

    missing = await programme_client.post(
        "/provider/00000000-0000-4000-8000-000000000000/initialize-payment", json={}, headers=OPERATOR
    )
    assert missing.status_code == 404, missing.text


async def test_who_may_call_the_payment_settings_routes(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await _home(programme_client, minter, fake_clerk)
    other = await _home(programme_client, minter, fake_clerk, "other")
    people_routes = (
        ("GET", "/provider/payment-settings", None),
        ("PUT", "/provider/payment-settings", {"payment_method": "card"}),
        ("POST", "/provider/initialize-my-payment", {"payment_method": "card"}),
    )
    for method, path, body in people_routes:
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        as_family = await programme_client.request(method, path, headers=home.family_headers, **kwargs)
        assert (as_family.status_code, as_family.json()["code"]) == (403, "wrong_role"), (method, path)
        with_key = await programme_client.request(method, path, headers=OPERATOR, **kwargs)
        assert with_key.status_code == 401, (method, path)
        anonymous = await programme_client.request(method, path, **kwargs)
        assert anonymous.status_code == 401, (method, path)

    operator_route = f"/provider/{other.provider_id}/initialize-payment"
    as_provider = await programme_client.post(operator_route, json={}, headers=home.provider_headers)
    assert as_provider.status_code == 401  # a provider's sign-in is not an API key
    assert (await _settings(programme_client, other))["card"]["available"] is False

    # Each provider sees and changes only its own settings.
    mine = await _set_up(programme_client, home)
    theirs = await _settings(programme_client, other)
    assert theirs["provider_id"] == other.provider_id
    assert theirs["card"]["id"] is None
    assert mine["card_id"] not in str(theirs)


@pytest.mark.books_unchecked("the wallets are on the fake Chek server, not the sandbox the check asks")
async def test_concurrent_set_ups_create_one_card_at_chek(
    settings: Settings, minter: TokenMinter, fake_clerk: FakeClerk, clock: FixedClock
) -> None:
    with running_fake_chek() as chek:
        on_chek = _on_chek(settings, chek)
        async with AsyncTestClient(app_at(on_chek, clock)) as client:
            home = await _home(client, minter, fake_clerk)
        async with overlapping_client(on_chek) as concurrent:
            answers = await asyncio.gather(
                *(
                    concurrent.post(
                        "/provider/initialize-my-payment",
                        json={"payment_method": "card"},
                        headers=home.provider_headers,
                    )
                    for _ in range(5)
                )
            )
        assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
        cards = {a.json()["card_id"] for a in answers}
        assert len(cards) == 1
        assert sorted(a.json()["already_exists"] for a in answers) == [False] + [True] * 4
        assert sum(len(user["cards"]) for user in chek.users.values()) == 1
        assert len(chek.users) == 1  # one wallet for the provider, found by email after the first
    assert await count(settings.require_database_url(), "SELECT count(*) FROM provider_payment_settings") == 1


@pytest.mark.books_unchecked("the wallets are on the fake Chek server, not the sandbox the check asks")
async def test_a_gateway_outage_during_set_up_is_a_503_and_changes_nothing(
    settings: Settings, minter: TokenMinter, fake_clerk: FakeClerk, clock: FixedClock
) -> None:
    with running_fake_chek() as chek:
        on_chek = _on_chek(settings, chek)
        async with AsyncTestClient(app_at(on_chek, clock)) as client:
            home = await _home(client, minter, fake_clerk)
            chek.down = True
            down = await client.post(
                "/provider/initialize-my-payment",
                json={"payment_method": "card"},
                headers=home.provider_headers,
            )
            assert (down.status_code, down.json()["code"]) == (503, "gateway_unavailable")
            assert (await _settings(client, home))["card"]["available"] is False
            chek.down = False
            assert (await _set_up(client, home))["already_exists"] is False


@pytest.mark.books_unchecked("the wallets are on the fake Chek server, not the sandbox the check asks")
async def test_a_refresh_against_chek_brings_a_linked_bank_to_the_settings(
    settings: Settings, minter: TokenMinter, fake_clerk: FakeClerk, clock: FixedClock
) -> None:
    with running_fake_chek() as chek:
        on_chek = _on_chek(settings, chek)
        async with AsyncTestClient(app_at(on_chek, clock)) as client:
            home = await _home(client, minter, fake_clerk)
            done = await _set_up(client, home, {"payment_method": "ach"})
            assert done["invite_sent_to"] == "pat.ps@x.org"
            assert (await _settings(client, home))["ach"]["status"] == "Invited"
            user = chek.users[done["chek_user_id"]]
            user["directpay"]["status"], user["balance"] = "Active", 2_500  # the provider linked the bank
            async with _job_context(on_chek, clock):
                await sync_provider_wallet_job(home.provider_id)
            body = await _settings(client, home)
    assert body["ach"] == {"available": True, "status": "Active", "id": done["direct_pay_id"]}
    assert (body["is_payable"], body["wallet_balance_cents"]) == (True, 2_500)


def _on_chek(settings: Settings, chek: FakeChek) -> Settings:
    return replace(
        settings,
        payment_gateway="chek",
        chek_base_url=chek.url,
        chek_account_id=ACCOUNT_ID,
        chek_program_id=PROGRAM_ID,
        chek_api_key=API_KEY,
        chek_write_key=WRITE_KEY,
    )
