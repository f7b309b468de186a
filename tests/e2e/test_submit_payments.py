"""Submit = pay through the real route (frontend-contract §2.17) on the sandbox gateway: the days paid once,
shown submitted and frozen, the ledger balanced; the pre-checks refusing with 400 and claiming nothing;
and the gateway failing in each way it can (declined, timed out, failed after the first step, the worker
killed between the steps), each resumed to exactly one payment."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from adapters.postgres.money.unit_of_work import SqlAlchemyMoneyUnitOfWork
from domain.money.ledger import Account
from domain.money.payments import ABANDONED_AFTER, PaymentRules
from domain.money.use_cases.funding import fund_allocation
from domain.money.use_cases.paying import due_intents, pay_intent, retry_intents
from domain.money.use_cases.reclamation import reclaim_allocation
from domain.money.use_cases.wallets import open_family_wallet, sync_provider_wallet
from domain.programme.business_time import BusinessCalendar
from entrypoints.cli import cli
from entrypoints.jobs.money import pay_intent_job, retry_payment_intents
from entrypoints.settings import Settings
from tests.e2e.concurrency import writes_held
from tests.e2e.identity_support import OPERATOR, signed_in_as
from tests.e2e.payment_support import (
    JANUARY_CENTS,
    balance,
    days_from,
    ledger_is_balanced,
    month_view,
    overlapping_client_at,
    payable_household,
    scalar,
    schedule,
    submit_path,
    worker_jobs,
)
from tests.e2e.programme_support import (
    FIRST_OPEN_DAY,
    HALF,
    NOW,
    Client,
    Household,
    app_at,
    family_body,
    household,
    post_ok,
    provider_body,
)
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

NO_ID = "00000000-0000-4000-8000-000000000000"
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
SUBMIT_KEYS = {
    "message",
    "status",
    "intent_id",
    "payment_id",
    "total_amount",
    "total_amount_cents",
    "care_days",
}


@pytest.fixture
def sandbox(sessions: async_sessionmaker[AsyncSession]) -> SandboxGateway:
    return SandboxGateway(sessions)


async def _operations(sandbox: SandboxGateway) -> list[str]:
    return [t.operation for t in await sandbox.transfers() if t.operation != "fund_family_wallet"]


async def test_submit_pays_the_days_once_and_freezes_them(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "pay")
    ids = await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 3))

    response = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SUBMIT_KEYS
    assert (body["status"], body["total_amount"], body["total_amount_cents"]) == ("paid", "$120.00", 3 * HALF)
    assert isinstance(body["payment_id"], str)
    assert [day["id"] for day in body["care_days"]] == ids
    for day in body["care_days"]:
        assert (day["status"], day["payment_distribution_requested"]) == ("submitted", True)
        assert UTC_Z.match(day["last_submitted_at"]), day["last_submitted_at"]

    # The month view agrees: the days are submitted, and the unpaid remainder is real.
    view = await month_view(programme_client, home)
    assert view["remaining_unpaid_cents"] == JANUARY_CENTS - 3 * HALF
    assert {day["status"] for day in view["care_days"]} == {"submitted"}
    assert all(UTC_Z.match(day["last_submitted_at"]) for day in view["care_days"])

    # Paid days can no longer change or go.
    changed = await programme_client.put(
        f"/care-days/{ids[0]}", json={"type": "Full Day"}, headers=home.family_headers
    )
    assert (changed.status_code, changed.json()["code"]) == (403, "care_day_submitted")
    removed = await programme_client.delete(f"/care-days/{ids[1]}", headers=home.family_headers)
    assert removed.status_code == 403, removed.text

    # Nothing is left to pay: a second submit refuses with the frontend's 400.
    again = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert (again.status_code, again.json()["code"]) == (400, "nothing_to_pay")
    assert isinstance(again.json()["error"], str)

    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await balance(sessions, Account.family_wallet(home.family_id)) == JANUARY_CENTS - 3 * HALF
    assert await balance(sessions, Account.provider_wallet(home.provider_id)) == 0
    assert await balance(sessions, Account.provider_payout(home.provider_id)) == 3 * HALF
    assert await ledger_is_balanced(sessions)
    paid = await scalar(sessions, "SELECT count(*) FROM care_days WHERE payment_id IS NOT NULL")
    assert paid == 3
    # The provider is told, once, in the payment's transaction (sent by the notifications' job).
    told = await scalar(
        sessions,
        "SELECT array_agg(recipient) FROM messages WHERE kind = 'payment_received' AND about_id = :i",
        i=body["intent_id"],
    )
    assert told == ["pat.pay@x.org"]
    staff = await scalar(
        sessions,
        "SELECT array_agg(data->>'what') FROM messages"
        " WHERE kind = 'staff_payment_processed' AND about_id = :i",
        i=body["intent_id"],
    )
    assert staff == ["Care days"]


async def test_twenty_concurrent_submits_pay_once(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "race")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 5))
    async with overlapping_client_at(settings, FixedClock(NOW)) as client:
        answers = await asyncio.gather(
            *(client.post(submit_path(home), headers=home.family_headers) for _ in range(20))
        )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [400] * 19, [a.text for a in answers if a.status_code not in (200, 400)]
    assert {a.json()["code"] for a in answers if a.status_code == 400} == {"nothing_to_pay"}
    assert await scalar(sessions, "SELECT count(*) FROM payment_intents") == 1
    assert await scalar(sessions, "SELECT count(*) FROM payments") == 1
    assert await scalar(sessions, "SELECT count(*) FROM messages WHERE kind = 'payment_received'") == 1
    assert await scalar(sessions, "SELECT count(*) FROM messages WHERE kind = 'staff_payment_processed'") == 1
    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await scalar(
        sessions, "SELECT paid_cents FROM month_allocations WHERE id = :a", a=home.allocation_id
    ) == (5 * HALF)
    assert await ledger_is_balanced(sessions)


async def test_a_submit_and_a_removal_of_the_same_day_never_pay_a_removed_day(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "del")
    days = days_from(FIRST_OPEN_DAY, 8)
    async with overlapping_client_at(settings, FixedClock(NOW)) as client:
        for day in days:
            [care_day] = await schedule(programme_client, home, [day])
            submitted, removed = await asyncio.gather(
                client.post(submit_path(home), headers=home.family_headers),
                client.delete(f"/care-days/{care_day}", headers=home.family_headers),
            )
            # One of them wins: paid and kept (the removal refused), or removed and not paid.
            outcomes = (submitted.status_code, removed.status_code)
            assert outcomes in ((200, 403), (400, 204)), (submitted.text, removed.text)
    wrong = await scalar(
        sessions,
        "SELECT count(*) FROM care_days WHERE deleted_at IS NOT NULL AND last_submitted_at IS NOT NULL",
    )
    assert wrong == 0
    claimed_removed = await scalar(
        sessions,
        "SELECT count(*) FROM payment_intent_items i JOIN care_days d ON d.id = i.care_day_id"
        " WHERE d.deleted_at IS NOT NULL",
    )
    assert claimed_removed == 0
    assert await ledger_is_balanced(sessions)


async def test_pre_checks_refuse_with_400_and_claim_nothing(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "pre")
    other = await household(programme_client, minter, fake_clerk, "pre2")  # no wallet, no card
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 3))
    await schedule(programme_client, other, days_from(FIRST_OPEN_DAY, 1))

    async def refused(
        path: str, headers: dict[str, str], code: str, client: Client = programme_client
    ) -> None:
        response = await client.post(path, headers=headers)
        assert (response.status_code, response.json()["code"]) == (400, code), response.text
        assert isinstance(response.json()["error"], str)

    # Another family's child, and a provider not linked to the child: 400 (the frontend's only failure).
    await refused(submit_path(home), other.family_headers, "child_not_found")
    await refused(
        f"/child/{home.child_id}/provider/{other.provider_id}/allocation/1/2025/submit",
        home.family_headers,
        "provider_not_linked",
    )
    await refused(submit_path(home, month=3), home.family_headers, "allocation_not_found")
    await refused(submit_path(home, month=13), home.family_headers, "invalid_field")
    await refused(
        f"/child/{home.child_id}/provider/{home.provider_id}/allocation/x/2025/submit",
        home.family_headers,
        "invalid_field",
    )
    # The other household: its family has no wallet at the gateway yet, its provider no card.
    await refused(submit_path(other), other.family_headers, "family_cannot_pay")

    # Above MAX_PAYMENT_CENTS.
    app = app_at(replace(settings, max_payment_cents=HALF * 2), FixedClock(NOW))
    async with AsyncTestClient(app) as capped:
        await refused(submit_path(home), home.family_headers, "payment_above_maximum", capped)
    assert await scalar(sessions, "SELECT count(*) FROM payment_intents") == 0
    view = await month_view(programme_client, home)
    assert {day["status"] for day in view["care_days"]} == {"needs_submission"}


async def test_a_provider_who_cannot_be_paid_is_refused_before_any_claim(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "nopay")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 1))
    # The provider switches to ACH, whose bank link never finished: not payable.
    ach = await programme_client.post(
        "/provider/initialize-my-payment", json={"payment_method": "ach"}, headers=home.provider_headers
    )
    assert ach.status_code == 200, ach.text
    response = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert (response.status_code, response.json()["code"]) == (400, "provider_not_payable"), response.text
    assert await scalar(sessions, "SELECT count(*) FROM payment_intents") == 0
    assert await _operations(sandbox) == []


async def test_a_declined_payment_is_failed_for_an_operator_and_its_days_stay_claimed(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "decl")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    await sandbox.fail_next(Fault.DECLINED, operation="transfer_to_provider")

    response = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert (response.status_code, response.json()["code"]) == (400, "payment_failed"), response.text
    details = response.json()["details"]
    assert (details["status"], details["reason"]) == ("failed", "gateway_declined")
    # The days stay claimed: submitting again cannot start a second payment of them (upstream ⚠ §2.6).
    again = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert (again.status_code, again.json()["code"]) == (400, "nothing_to_pay")
    view = await month_view(programme_client, home)
    assert {day["status"] for day in view["care_days"]} == {"submitted"}
    assert view["remaining_unpaid_cents"] == JANUARY_CENTS  # nothing was paid
    # The jobs leave a failed intent to an operator; the operator's retry pays it, once.
    uow = SqlAlchemyMoneyUnitOfWork(sessions)
    assert await due_intents(uow, FixedClock(NOW + ABANDONED_AFTER * 2), limit=10) == []
    retried = await programme_client.post(
        f"/admin/payment-intents/{details['intent_id']}/retry", headers=OPERATOR
    )
    assert (retried.status_code, retried.json()["status"]) == (200, "paid"), retried.text
    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await scalar(sessions, "SELECT count(*) FROM payment_attempts") == 2
    assert await ledger_is_balanced(sessions)


async def test_a_timeout_answers_202_retrying_and_the_job_pays_once(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "tmo")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    await sandbox.fail_next(Fault.TIMEOUT, operation="transfer_to_provider")

    response = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["status"], body["payment_id"], body["total_amount"]) == ("retrying", None, "$80.00")
    assert {day["status"] for day in body["care_days"]} == {"submitted"}
    # The next try is a job, asked for in the transaction that recorded the failure, 30 s later.
    retry_at = await scalar(
        sessions,
        "SELECT scheduled_for FROM jobs WHERE name = 'money.pay_intent' AND args->>0 = :i",
        i=body["intent_id"],
    )
    assert retry_at == NOW + timedelta(seconds=30)
    async with worker_jobs(settings, FixedClock(NOW)):
        result = await pay_intent_job(body["intent_id"])
        assert (result["status"], result["attempts"]) == ("paid", 2)
        again = await pay_intent_job(body["intent_id"])  # a duplicate delivery: nothing moves
        assert again["tried"] is False
    assert await scalar(sessions, "SELECT count(*) FROM messages WHERE kind = 'payment_received'") == 1
    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await scalar(sessions, "SELECT count(*) FROM payments") == 1
    assert await ledger_is_balanced(sessions)


async def test_a_failure_after_the_first_step_resumes_with_the_payout_only(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "half")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    # The payout moves the money, then its answer is lost: the worst case for a retry.
    await sandbox.fail_next(Fault.ERROR_AFTER_MOVE, operation="pay_out_by_card")

    response = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert response.status_code == 202, response.text
    intent_id = response.json()["intent_id"]
    # The first step is recorded: the family's money is with the provider.
    assert await balance(sessions, Account.provider_wallet(home.provider_id)) == 2 * HALF
    async with worker_jobs(settings, FixedClock(NOW)):
        assert (await pay_intent_job(intent_id))["status"] == "paid"
    # One move per step at the gateway (the payout's retry got the first transfer back), once in the books.
    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await balance(sessions, Account.provider_payout(home.provider_id)) == 2 * HALF
    assert await balance(sessions, Account.provider_wallet(home.provider_id)) == 0
    assert await ledger_is_balanced(sessions)


class WorkerKilled(BaseException):
    """The process dies here: no handler of ours runs (as with SIGKILL)."""


class DiesAfterTransfer:
    """The sandbox, in a worker that is killed right after the family → provider move went through."""

    def __init__(self, sandbox: SandboxGateway) -> None:
        self._sandbox = sandbox

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sandbox, name)

    async def transfer_to_provider(self, *args: Any, **kwargs: Any) -> Any:
        await self._sandbox.transfer_to_provider(*args, **kwargs)
        raise WorkerKilled()


async def test_a_worker_killed_mid_payment_is_resumed_by_the_sweep_once(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "kill")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    await sandbox.fail_next(Fault.TIMEOUT, operation="transfer_to_provider")
    response = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert response.status_code == 202, response.text
    intent_id = response.json()["intent_id"]

    # The retry's worker dies between the gateway's move and our record of it.
    uow, rules = SqlAlchemyMoneyUnitOfWork(sessions), PaymentRules()
    with pytest.raises(WorkerKilled):
        await pay_intent(uow, DiesAfterTransfer(sandbox), FixedClock(NOW), rules, intent_id)
    assert await scalar(sessions, "SELECT status FROM payment_intents") == "processing"
    # While the dead try could still be alive, the sweep leaves it; once abandoned, it resumes it.
    assert await due_intents(uow, FixedClock(NOW), limit=10) == []
    later = FixedClock(NOW + ABANDONED_AFTER * 2)
    async with worker_jobs(settings, later):
        summary = await retry_payment_intents()
    assert summary["paid"] == [intent_id]
    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await scalar(sessions, "SELECT count(*) FROM payments") == 1
    assert await balance(sessions, Account.provider_payout(home.provider_id)) == 2 * HALF
    assert await ledger_is_balanced(sessions)
    # Nothing is due any more.
    assert (
        await retry_intents(uow, sandbox, later, rules, await due_intents(uow, later, limit=10))
    ).paid == []


async def test_operators_list_intents_by_status_read_their_attempts_and_retry_them(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "ops")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    await sandbox.fail_next(Fault.DECLINED, operation="pay_out_by_card")
    declined = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert declined.status_code == 400, declined.text
    intent_id = declined.json()["details"]["intent_id"]

    listed = await programme_client.get("/admin/payment-intents?status=failed", headers=OPERATOR)
    assert listed.status_code == 200, listed.text
    [failed] = listed.json()["items"]
    assert (failed["id"], failed["status"], failed["attempts"], failed["last_error_code"]) == (
        intent_id,
        "failed",
        1,
        "gateway_declined",
    )
    assert failed["family_to_provider_transfer_id"] is not None  # the first step went through
    assert failed["payout_transfer_id"] is None
    assert len(failed["care_day_ids"]) == 2
    assert UTC_Z.match(failed["created_at"])
    none_paid = await programme_client.get("/admin/payment-intents?status=paid,retrying", headers=OPERATOR)
    assert none_paid.json()["items"] == []
    bad = await programme_client.get("/admin/payment-intents?status=lost", headers=OPERATOR)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_field")

    retried = await programme_client.post(f"/admin/payment-intents/{intent_id}/retry", headers=OPERATOR)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("paid", 2)
    detail = await programme_client.get(f"/admin/payment-intents/{intent_id}", headers=OPERATOR)
    attempts = detail.json()["attempts"]
    assert [(a["number"], a["outcome"], a["error_code"]) for a in attempts] == [
        (1, "failed", "gateway_declined"),
        (2, "succeeded", None),
    ]
    again = await programme_client.post(f"/admin/payment-intents/{intent_id}/retry", headers=OPERATOR)
    assert (again.status_code, again.json()["code"]) == (409, "payment_intent_not_retryable")
    audited = "SELECT actor FROM audit_log WHERE action = 'payment_intent.retried' AND record_id = :id"
    assert (
        await scalar(sessions, audited, id=intent_id) == "admin-api:api-key"
    )  # once: the 409 changed nothing
    missing = await programme_client.get(f"/admin/payment-intents/{NO_ID}", headers=OPERATOR)
    assert missing.status_code == 404
    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await ledger_is_balanced(sessions)


async def test_payments_retry_command_lists_retries_and_pays_failed_intents_once(
    database_url: str,
    redis_url: str,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "cli")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    await sandbox.fail_next(Fault.DECLINED, operation="transfer_to_provider")
    declined = await programme_client.post(submit_path(home), headers=home.family_headers)
    intent_id = declined.json()["details"]["intent_id"]
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}

    def payments(*args: str) -> Any:
        return CliRunner().invoke(cli, ["payments", "retry", *args], env=environment, catch_exceptions=False)

    neither = await asyncio.to_thread(payments)
    assert neither.exit_code == 2
    assert "--intent ID, or --all" in neither.stderr
    dry = await asyncio.to_thread(payments, "--all", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    listed = json.loads(dry.stdout)
    assert [(i["intent_id"], i["status"]) for i in listed["intents"]] == [(intent_id, "failed")]
    assert await _operations(sandbox) == []  # a dry run moves nothing

    run = await asyncio.to_thread(payments, "--all")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines()[:3] == ["Retried payment intents", "  paid: 1", f"    {intent_id}"]
    again = await asyncio.to_thread(payments, "--intent", intent_id, "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["skipped"] == [intent_id]
    unknown = await asyncio.to_thread(payments, "--intent", NO_ID)
    assert unknown.exit_code == 2
    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_card"]
    assert await ledger_is_balanced(sessions)


async def test_reclamation_leaves_the_money_of_paid_and_claimed_days_alone(
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "recl")
    first, second, third = days_from(FIRST_OPEN_DAY, 3)
    await schedule(programme_client, home, [first, second])
    assert (await programme_client.post(submit_path(home), headers=home.family_headers)).status_code == 200
    await schedule(programme_client, home, [third])
    await sandbox.fail_next(Fault.TIMEOUT, operation="transfer_to_provider")
    retrying = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert retrying.status_code == 202, retrying.text

    # March: January's remainder goes back, but not the money its claimed (still unpaid) day needs.
    march = FixedClock(datetime(2025, 3, 5, 17, 0, tzinfo=UTC))
    calendar = BusinessCalendar(march, settings.business_timezone)
    await reclaim_allocation(SqlAlchemyMoneyUnitOfWork(sessions), sandbox, calendar, home.allocation_id)
    reclaimed = await scalar(sessions, "SELECT amount_cents FROM fund_reclamations")
    assert reclaimed == JANUARY_CENTS - 3 * HALF
    async with worker_jobs(settings, march):
        assert (await pay_intent_job(retrying.json()["intent_id"]))["status"] == "paid"
    view = await month_view(programme_client, home)
    assert (view["net_allocation_cents"], view["remaining_unpaid_cents"]) == (3 * HALF, 0)
    assert await balance(sessions, Account.family_wallet(home.family_id)) == 0
    assert await ledger_is_balanced(sessions)


async def test_a_provider_paid_by_ach_is_paid_out_to_the_bank_once(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "ach")
    ach = await programme_client.post(
        "/provider/initialize-my-payment", json={"payment_method": "ach"}, headers=home.provider_headers
    )
    assert ach.status_code == 200, ach.text
    await sandbox.link_bank(ach.json()["chek_user_id"])
    await sync_provider_wallet(
        SqlAlchemyMoneyUnitOfWork(sessions), sandbox, FixedClock(NOW), home.provider_id
    )
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))

    response = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert response.status_code == 200, response.text
    assert await _operations(sandbox) == ["transfer_to_provider", "pay_out_by_ach"]
    history = (await programme_client.get("/provider/payments", headers=home.provider_headers)).json()
    assert [p["payment_method"] for p in history["payments"]] == ["ach"]
    assert await balance(sessions, Account.provider_payout(home.provider_id)) == 2 * HALF
    assert await ledger_is_balanced(sessions)


async def test_two_childrens_months_cannot_spend_one_wallet_twice(
    database_url: str,
    settings: Settings,
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    sandbox: SandboxGateway,
) -> None:
    # Ana's two children share one wallet; only the first child's January has been funded into it.
    family = await post_ok(programme_client, "/admin/families", family_body("sib", children=2))
    provider = await post_ok(programme_client, "/admin/providers", provider_body("sib"))
    children = [child["id"] for child in family["children"]]
    for child_id in children:
        linked = await programme_client.put(
            f"/admin/providers/{provider['id']}/children/{child_id}", headers=OPERATOR
        )
        assert linked.status_code == 200, linked.text
    fake_clerk.add_user("user_famsib", "ana.sib@x.org")
    fake_clerk.add_user("user_provsib", "pat.sib@x.org")
    await post_ok(
        programme_client, "/family/onboard", {"clerk_user_id": "user_famsib", "family_id": family["id"]}, 200
    )
    body = {"clerk_user_id": "user_provsib", "provider_id": provider["id"]}
    await post_ok(programme_client, "/provider/onboard", body, 200)
    ana, pat = signed_in_as(minter, "user_famsib"), signed_in_as(minter, "user_provsib")
    rates = {"half_day_rate_cents": HALF, "full_day_rate_cents": 2 * HALF}
    homes = []
    for child_id in children:
        await post_ok(programme_client, f"/payment-rates/{child_id}", rates, headers=pat)
        month = await programme_client.get(f"/child/{child_id}/allocation/1/2025", headers=ana)
        homes.append(
            Household(
                family["id"],
                child_id,
                provider["id"],
                "user_famsib",
                "user_provsib",
                ana,
                pat,
                month.json()["id"],
            )
        )
    card = await programme_client.post("/provider/initialize-my-payment", json={}, headers=pat)
    assert card.status_code == 200, card.text
    uow = SqlAlchemyMoneyUnitOfWork(sessions)
    await open_family_wallet(uow, sandbox, family["id"])
    await fund_allocation(uow, sandbox, FixedClock(NOW), homes[0].allocation_id)
    for home in homes:
        await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, JANUARY_CENTS // HALF))

    async with overlapping_client_at(settings, FixedClock(NOW)) as client:
        # The worst interleaving, forced: the first submit waits to insert its intent after its checks;
        # the second then runs its checks too (unless the family's lock makes it wait for the first).
        async with writes_held(database_url, "payment_intents") as held:
            submits = [asyncio.create_task(client.post(submit_path(home), headers=ana)) for home in homes]
            await held.until_waiting(1)
            await asyncio.sleep(1)  # lets the second reach its own wait, wherever that is
        answers = await asyncio.gather(*submits)
    outcomes = sorted((a.status_code, a.json().get("code")) for a in answers)
    # One pays the whole wallet; the other is refused before it claims anything (not declined later).
    assert outcomes == [(200, None), (400, "family_wallet_short")], [a.text for a in answers]
    assert await scalar(sessions, "SELECT count(*) FROM payment_intents") == 1
    assert await balance(sessions, Account.family_wallet(family["id"])) == 0
    assert await ledger_is_balanced(sessions)
