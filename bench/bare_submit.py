"""The reference for submit = pay: a bare Litestar + asyncpg + PyJWT app answering
``POST /child/{child_id}/provider/{provider_id}/allocation/{month}/{year}/submit`` with our JSON.

It sends our submit's statements, written out here in plain SQL in the same order and in the same
transactions (``tests/e2e/test_payment_query_counts.py`` lists ours): the sign-in's account lookup;
the claim (the child, the provider, the link, open attendance, the month's allocation found and locked,
its days, what is claimed already, the family's wallet locked, its ledger balance and unmoved claims,
the provider's settings, the intent, its items, the days marked); the attempt opened; each gateway step
as the sandbox gateway makes it (its fault check, then the move in a transaction of its own); each
step's record (the intent locked, its ledger transaction, the accounts locked, the entries); the
payment, the days and the allocation's ``paid_cents``; the provider's and the staff's messages with their
send jobs; and after the commit the jobs' messages to Redis (our job sender, the same commands). The
rules are the same domain functions as ours (``payable_days``, the remainder and wallet checks,
``payability_problem``), the messages the same builders, the JSON the same view structs; what it leaves
out is everything around the work: guards, middleware, the units of work and their repositories, error
handling. A rule that refuses answers a bare 400. Served through ``entrypoints.cli.processes.serve`` on
the settings of ``cap-portal run``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID

import asyncpg
from litestar import Litestar, Request, Response, post
from litestar.exceptions import ValidationException
from redis.asyncio import Redis

from adapters.jobs.async_sender import AsyncJobSender
from adapters.jobs.dispatch_store import OutgoingJob
from adapters.postgres.attendance import AttendanceRow
from adapters.postgres.money.payments import SETTLED_STATUSES, intent_from_row
from adapters.postgres.money.rows import (
    FamilyPaymentSettingsRow,
    PaymentIntentItemRow,
    PaymentIntentRow,
    ProviderPaymentSettingsRow,
    SandboxTransferRow,
    SandboxWalletRow,
)
from adapters.postgres.money.sandbox_gateway import PROGRAMME_USER_ID
from adapters.postgres.money.settings import _provider as provider_settings_from_row
from adapters.postgres.programme.allocations import allocation_from_row
from adapters.postgres.programme.care_days import care_day_from_row
from adapters.postgres.programme.families import _family as family_from_row
from adapters.postgres.programme.families import child_from_row
from adapters.postgres.programme.month_reads import (
    ALLOCATION_BY_ID_STATEMENT,
    ALLOCATION_STATEMENT,
    CARE_DAYS_STATEMENT,
    CHILD_STATEMENT,
)
from adapters.postgres.programme.providers import provider_from_row
from adapters.postgres.programme.rows import FamilyRow, GuardianRow, ProviderRow
from adapters.postgres.raw_rows import columns, fields
from bench.bare_programme import LINK_STATEMENT, _account, _resources, health
from bench.bare_programme import _lifespan as _programme_lifespan
from domain.money.ledger import LedgerTransaction
from domain.money.payment_messages import payment_received, staff_payment_processed
from domain.money.payments import (
    PaymentIntent,
    PaymentRules,
    PaymentStep,
    family_to_provider_transaction,
    payout_transaction,
    step_key,
)
from domain.money.use_cases.submit import payable_days
from domain.money.wallets import PaymentMethod, payability_problem
from domain.notifications.delivery import SEND_MESSAGE_JOB
from domain.notifications.model import Message
from domain.programme.allocations import selected_cents
from domain.programme.business_time import BusinessCalendar
from domain.programme.care_days import CareDay
from domain.programme.use_cases.care_day_access import view_care_day
from entrypoints.http.money.submit import SubmitJson, dollars
from entrypoints.http.programme.views import care_day_json

PROVIDER_STATEMENT = f"SELECT {columns(ProviderRow.__table__)} FROM providers WHERE id = $1"
OPEN_ATTENDANCE = (
    f"SELECT {columns(AttendanceRow.__table__, 'attendance.')}, providers.type FROM attendance"
    " JOIN providers ON providers.id = attendance.provider_id WHERE attendance.child_id = ANY($1::uuid[])"
    " AND (attendance.family_entered_at IS NULL OR attendance.provider_entered_at IS NULL)"
    " ORDER BY attendance.week, attendance.child_id, attendance.provider_id"
)
CLAIMED_FOR_ALLOCATION = (
    "SELECT coalesce(sum(amount_cents), 0) FROM payment_intents"
    " WHERE allocation_id = $1 AND status <> ALL($2::varchar[])"
)
FAMILY_WALLET_FOR_UPDATE = (
    f"SELECT {columns(FamilyPaymentSettingsRow.__table__)} FROM family_payment_settings"
    " WHERE family_id = $1 FOR UPDATE"
)
FAMILY_WALLET = (
    f"SELECT {columns(FamilyPaymentSettingsRow.__table__)} FROM family_payment_settings WHERE family_id = $1"
)
LEDGER_BALANCE = (
    "SELECT kind, owner_id, balance_cents FROM ledger_accounts WHERE (kind, owner_id) IN (($1, $2))"
)
UNMOVED_CLAIMS = (
    "SELECT coalesce(sum(amount_cents), 0) FROM payment_intents WHERE family_id = $1"
    " AND status <> ALL($2::varchar[]) AND family_to_provider_transfer_id IS NULL"
)
PROVIDER_SETTINGS = (
    f"SELECT {columns(ProviderPaymentSettingsRow.__table__)} FROM provider_payment_settings"
    " WHERE provider_id = ANY($1::uuid[])"
)
INSERT_INTENT = (
    "INSERT INTO payment_intents (id, kind, family_id, child_id, provider_id, allocation_id, amount_cents,"
    " status, attempts, created_at, updated_at) VALUES ($1, 'care_days', $2, $3, $4, $5, $6, 'pending', 0,"
    " $7, $7)"
)
INSERT_ITEMS = (
    "INSERT INTO payment_intent_items (intent_id, care_day_id, amount_cents)"
    " SELECT $1, day, cents FROM unnest($2::bigint[], $3::bigint[]) AS claimed(day, cents)"
)
MARK_SUBMITTED = (
    "UPDATE care_days SET payment_distribution_requested = true, last_submitted_at = $1, updated_at = $1"
    " WHERE id = ANY($2::bigint[])"
)
INTENT_FOR_UPDATE = (
    f"SELECT {columns(PaymentIntentRow.__table__)} FROM payment_intents WHERE id = $1 FOR UPDATE"
)
INTENT_ITEMS = (
    f"SELECT {columns(PaymentIntentItemRow.__table__)} FROM payment_intent_items WHERE intent_id = $1"
    " ORDER BY id"
)
SAVE_INTENT = (
    "UPDATE payment_intents SET status = $1, attempts = $2, next_attempt_at = NULL,"
    " family_to_provider_transfer_id = $3, payout_transfer_id = $4, payment_method = $5, paid_at = $6,"
    " updated_at = $7 WHERE id = $8"
)
INSERT_ATTEMPT = (
    "INSERT INTO payment_attempts (intent_id, number, outcome, payment_method, family_gateway_user_id,"
    " provider_gateway_user_id, card_id, started_at) VALUES ($1, $2, 'processing', $3, $4, $5, $6, $7)"
    " RETURNING id"
)
SAVE_ATTEMPT = (
    "UPDATE payment_attempts SET outcome = $1, family_to_provider_transfer_id = $2, payout_transfer_id = $3,"
    " ended_at = $4 WHERE id = $5"
)
# The sandbox gateway's books (adapters/postgres/money/sandbox_gateway.py).
SANDBOX_FAULT = (
    "SELECT id, operation, fault, remaining, created_at FROM sandbox_faults"
    " WHERE operation = ANY($1::varchar[]) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
)
SANDBOX_PROGRAMME = (
    "INSERT INTO sandbox_wallets (user_id, first_name, last_name, balance_cents) VALUES ($1, 'Programme',"
    " 'Balance', $2) ON CONFLICT (user_id) DO NOTHING"
)
SANDBOX_WALLET_FOR_UPDATE = (
    f"SELECT {columns(SandboxWalletRow.__table__)} FROM sandbox_wallets WHERE user_id = $1 FOR UPDATE"
)
SANDBOX_EARLIER = (
    f"SELECT {columns(SandboxTransferRow.__table__)} FROM sandbox_transfers WHERE idempotency_key = $1"
)
SANDBOX_TRANSFER = (
    "INSERT INTO sandbox_transfers (transfer_id, idempotency_key, operation, from_user_id, to_user_id,"
    " amount_cents) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at"
)
SANDBOX_BALANCES = (
    "UPDATE sandbox_wallets SET balance_cents = moved.balance FROM unnest($1::varchar[], $2::bigint[])"
    " AS moved(user_id, balance) WHERE sandbox_wallets.user_id = moved.user_id"
)
# The ledger's record (adapters/postgres/money/ledger.py); the balances follow by the entries' trigger.
LEDGER_TRANSACTION = (
    "INSERT INTO ledger_transactions (kind, record_type, record_id, idempotency_key, description)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, created_at"
)
LEDGER_ACCOUNTS = (
    "INSERT INTO ledger_accounts (kind, owner_id) VALUES ($1, $2), ($3, $4)"
    " ON CONFLICT ON CONSTRAINT uq_ledger_accounts_kind_owner_id DO NOTHING"
)
LEDGER_ACCOUNTS_FOR_UPDATE = (
    "SELECT id, kind, owner_id, balance_cents FROM ledger_accounts"
    " WHERE (kind, owner_id) IN (($1, $2), ($3, $4)) ORDER BY id FOR UPDATE"
)
LEDGER_ENTRIES = (
    "INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)"
    " SELECT $1, account, cents FROM unnest($2::bigint[], $3::bigint[]) AS entry(account, cents)"
)
INSERT_PAYMENT = (
    "INSERT INTO payments (id, intent_id, attempt_id, family_id, child_id, provider_id, allocation_id,"
    " amount_cents, payment_method, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    " ON CONFLICT (intent_id) DO NOTHING RETURNING id"
)
DAYS_PAID = (
    "UPDATE care_days SET payment_id = $1, updated_at = $2 WHERE id IN (SELECT care_day_id FROM"
    " payment_intent_items WHERE intent_id = $3 AND care_day_id IS NOT NULL) RETURNING id"
)
ALLOCATION_PAID = "UPDATE month_allocations SET paid_cents = paid_cents + $1, updated_at = $2 WHERE id = $3"
FAMILY_STATEMENT = f"SELECT {columns(FamilyRow.__table__)} FROM families WHERE id = $1"
GUARDIANS_STATEMENT = (
    f"SELECT {columns(GuardianRow.__table__)} FROM guardians WHERE family_id = $1 ORDER BY position"
)
INSERT_MESSAGE = (
    "INSERT INTO messages (channel, kind, recipient, recipient_name, language, data, about_type, about_id,"
    " idempotency_key, status) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, 'pending')"
    " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)
INSERT_JOBS = (
    "INSERT INTO jobs (id, name, queue, args, kwargs, status, attempts, queued_at, created_at, updated_at)"
    " SELECT job, $2, 'default', args::jsonb, '{}', 'queued', 0, $3, $3, $3"
    " FROM unnest($1::uuid[], $4::text[]) AS n(job, args)"
)


class Refused(ValidationException):
    """A rule said no: a bare 400."""


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    family_user_id: str
    provider_user_id: str
    card_id: str


@post("/child/{child_id:str}/provider/{provider_id:str}/allocation/{month:int}/{year:int}/submit")
async def submit(
    request: Request[Any, Any, Any], child_id: str, provider_id: str, month: int, year: int
) -> Response[SubmitJson]:
    pool: asyncpg.Pool = _resources["pool"]
    calendar: BusinessCalendar = _resources["calendar"]
    account = await _account(request, "family")
    now = datetime.now(UTC)
    async with pool.acquire() as connection:
        intent_id, paying = await _claim(
            connection, account.family_id, child_id, provider_id, month, year, now
        )
        intent, attempt = await _start_attempt(connection, intent_id)
        step = PaymentStep.FAMILY_TO_PROVIDER
        moved = await _sandbox_move(
            connection, "transfer_to_provider", intent, step, attempt.family_user_id, attempt.provider_user_id
        )
        intent = await _record_move(connection, intent, moved, attempt)
        paid_out = await _sandbox_move(
            connection, "pay_out_by_card", intent, PaymentStep.PAYOUT, attempt.provider_user_id, None
        )
        payment_id, jobs = await _record_payout(connection, intent, paid_out, attempt)
    await _resources["sender"].send(jobs)
    claimed = [
        care_day_json(
            view_care_day(
                replace(
                    day,
                    last_submitted_at=now,
                    payment_distribution_requested=True,
                    payment_id=payment_id,
                    updated_at=now,
                ),
                calendar,
            )
        )
        for day in paying
    ]
    amount = intent.amount_cents
    body = SubmitJson("Payment processed", "paid", intent_id, payment_id, dollars(amount), amount, claimed)
    return Response(body, status_code=200)


async def _claim(
    connection: asyncpg.Connection, family_id: str | None, child_id: str, provider_id: str, month: int,
    year: int, now: datetime,
) -> tuple[str, list[CareDay]]:  # fmt: skip
    calendar: BusinessCalendar = _resources["calendar"]
    rules: PaymentRules = _resources["payment_rules"]
    async with connection.transaction():
        child = await connection.fetchrow(CHILD_STATEMENT, UUID(child_id))
        if child is None or str(child["family_id"]) != family_id or not child["payment_enabled"]:
            raise Refused("child")
        provider = await connection.fetchrow(PROVIDER_STATEMENT, UUID(provider_id))
        if provider is None or not provider["payment_enabled"]:
            raise Refused("provider")
        if await connection.fetchrow(LINK_STATEMENT, provider["id"], child["id"]) is None:
            raise Refused("not linked")
        if await connection.fetch(OPEN_ATTENDANCE, [child["id"]]):
            raise Refused("attendance")  # the benchmark's months have none; ours weighs the weeks
        found = await connection.fetchrow(ALLOCATION_STATEMENT, child["id"], date(year, month, 1))
        if found is None:
            raise Refused("allocation")
        locked = await connection.fetchrow(ALLOCATION_BY_ID_STATEMENT + " FOR UPDATE", found["id"])
        allocation = allocation_from_row(fields(locked))
        days = [
            care_day_from_row(fields(r), r["allocation_child_id"])
            for r in await connection.fetch(CARE_DAYS_STATEMENT, allocation.id)
        ]
        if selected_cents(allocation, days) > allocation.net_allocation_cents:
            raise Refused("over the allocation")
        paying = payable_days(days, provider_id, calendar)
        amount = sum(day.amount_cents for day in paying)
        if not paying or amount > rules.max_payment_cents:
            raise Refused("nothing to pay")
        claimed = await connection.fetchval(CLAIMED_FOR_ALLOCATION, allocation.id, list(SETTLED_STATUSES))
        if amount > allocation.net_allocation_cents - allocation.paid_cents - claimed:
            raise Refused("over the remainder")
        family = UUID(family_id)
        wallet = await connection.fetchrow(FAMILY_WALLET_FOR_UPDATE, family)
        if wallet is None or wallet["gateway_user_id"] is None:
            raise Refused("no wallet")
        balance = await connection.fetchrow(LEDGER_BALANCE, "family_wallet", family)
        unmoved = await connection.fetchval(UNMOVED_CLAIMS, family, list(SETTLED_STATUSES))
        if balance is None or amount > balance["balance_cents"] - unmoved:
            raise Refused("wallet short")
        settings = await connection.fetch(PROVIDER_SETTINGS, [provider["id"]])
        if payability_problem(provider_settings_from_row(fields(settings[0])) if settings else None):
            raise Refused("provider not payable")
        intent_id = uuid.uuid4()
        await connection.execute(
            INSERT_INTENT, intent_id, family, child["id"], provider["id"], allocation.id, amount, now
        )
        ids = [day.id for day in paying]
        await connection.execute(INSERT_ITEMS, intent_id, ids, [day.amount_cents for day in paying])
        await connection.execute(MARK_SUBMITTED, now, ids)
    return str(intent_id), paying


async def _start_attempt(connection: asyncpg.Connection, intent_id: str) -> tuple[PaymentIntent, Attempt]:
    now = datetime.now(UTC)
    async with connection.transaction():
        intent = await _locked_intent(connection, intent_id)
        family = await connection.fetchrow(FAMILY_WALLET, UUID(intent.family_id))
        settings = await connection.fetchrow(PROVIDER_SETTINGS, [UUID(intent.provider_id)])
        started = intent.started(now)
        await _save(connection, started)
        attempt_id = await connection.fetchval(
            INSERT_ATTEMPT, UUID(intent.id), started.attempts, settings["payment_method"],
            family["gateway_user_id"], settings["gateway_user_id"], settings["card_id"], now,
        )  # fmt: skip
    attempt = Attempt(attempt_id, family["gateway_user_id"], settings["gateway_user_id"], settings["card_id"])
    return started, attempt


async def _locked_intent(connection: asyncpg.Connection, intent_id: str) -> PaymentIntent:
    row = await connection.fetchrow(INTENT_FOR_UPDATE, UUID(intent_id))
    items = await connection.fetch(INTENT_ITEMS, UUID(intent_id))
    return intent_from_row(fields(row), [fields(item) for item in items])


async def _save(connection: asyncpg.Connection, intent: PaymentIntent) -> None:
    method = intent.payment_method.value if intent.payment_method is not None else None
    await connection.execute(
        SAVE_INTENT, intent.status.value, intent.attempts, intent.family_to_provider_transfer_id,
        intent.payout_transfer_id, method, intent.paid_at, intent.updated_at, UUID(intent.id),
    )  # fmt: skip


async def _sandbox_move(
    connection: asyncpg.Connection,
    operation: str,
    intent: PaymentIntent,
    step: PaymentStep,
    source: str,
    destination: str | None,
) -> str:
    """The sandbox gateway's move: its fault check in a transaction of its own, then the move."""
    key = step_key(intent.id, step)
    async with connection.transaction():
        if await connection.fetchrow(SANDBOX_FAULT, [operation, "*"]) is not None:
            raise Refused("a sandbox fault is set")
    async with connection.transaction():
        await connection.execute(SANDBOX_PROGRAMME, PROGRAMME_USER_ID, _resources["programme_cents"])
        wallet = await connection.fetchrow(SANDBOX_WALLET_FOR_UPDATE, source)
        if await connection.fetchrow(SANDBOX_EARLIER, key) is not None:
            raise Refused("a retry: not in this benchmark")
        if wallet["balance_cents"] < intent.amount_cents:
            raise Refused("insufficient funds")
        balances = [(source, wallet["balance_cents"] - intent.amount_cents)]
        if destination is not None:
            receiving = await connection.fetchrow(SANDBOX_WALLET_FOR_UPDATE, destination)
            balances.append((destination, receiving["balance_cents"] + intent.amount_cents))
        transfer_id = f"sbx_tr_{uuid.uuid4().hex}"
        await connection.fetchval(
            SANDBOX_TRANSFER, transfer_id, key, operation, source, destination, intent.amount_cents
        )
        await connection.execute(SANDBOX_BALANCES, [b[0] for b in balances], [b[1] for b in balances])
    return transfer_id


async def _record_ledger(connection: asyncpg.Connection, transaction: LedgerTransaction) -> None:
    row = await connection.fetchrow(
        LEDGER_TRANSACTION, transaction.kind.value, transaction.record_type.value, transaction.record_id,
        transaction.idempotency_key, transaction.description,
    )  # fmt: skip
    pairs: list[Any] = []
    for entry in transaction.entries:
        owner = entry.account.owner_id
        pairs += [entry.account.kind.value, UUID(owner) if owner is not None else None]
    await connection.execute(LEDGER_ACCOUNTS, *pairs)
    ids = {
        (r["kind"], str(r["owner_id"])): r["id"]
        for r in await connection.fetch(LEDGER_ACCOUNTS_FOR_UPDATE, *pairs)
    }
    accounts = [ids[(e.account.kind.value, str(e.account.owner_id))] for e in transaction.entries]
    amounts = [e.amount_cents for e in transaction.entries]
    await connection.execute(LEDGER_ENTRIES, row["id"], accounts, amounts)


async def _record_move(
    connection: asyncpg.Connection, intent: PaymentIntent, transfer_id: str, attempt: Attempt
) -> PaymentIntent:
    async with connection.transaction():
        current = await _locked_intent(connection, intent.id)
        await _record_ledger(connection, family_to_provider_transaction(current))
        current = replace(current, family_to_provider_transfer_id=transfer_id, updated_at=datetime.now(UTC))
        await _save(connection, current)
        await connection.execute(SAVE_ATTEMPT, "processing", transfer_id, None, None, attempt.id)
    return current


async def _record_payout(
    connection: asyncpg.Connection, intent: PaymentIntent, transfer_id: str, attempt: Attempt
) -> tuple[str, list[OutgoingJob]]:
    now = datetime.now(UTC)
    async with connection.transaction():
        current = await _locked_intent(connection, intent.id)
        await _record_ledger(connection, payout_transaction(current, PaymentMethod.CARD))
        payment_id = uuid.uuid4()
        await connection.fetchval(
            INSERT_PAYMENT, payment_id, UUID(current.id), attempt.id, UUID(current.family_id),
            UUID(current.child_id), UUID(current.provider_id), current.allocation_id, current.amount_cents,
            "card", now,
        )  # fmt: skip
        await connection.fetch(DAYS_PAID, payment_id, now, UUID(current.id))
        await connection.execute(ALLOCATION_PAID, current.amount_cents, now, current.allocation_id)
        jobs = []
        for message in await _messages(connection, current):
            message_id = await connection.fetchval(
                INSERT_MESSAGE, message.channel.value, message.kind.value, message.recipient.address,
                message.recipient.name, message.recipient.language.value, json.dumps(message.data),
                message.about.type, message.about.id, message.idempotency_key,
            )  # fmt: skip
            jobs.append(OutgoingJob(str(uuid.uuid4()), SEND_MESSAGE_JOB, "default", [message_id], {}))
        await _save(connection, current.paid(PaymentMethod.CARD, transfer_id, now))
        await connection.execute(
            SAVE_ATTEMPT, "succeeded", current.family_to_provider_transfer_id, transfer_id, now, attempt.id
        )
        args = [json.dumps(job.args) for job in jobs]
        await connection.execute(INSERT_JOBS, [UUID(job.id) for job in jobs], SEND_MESSAGE_JOB, now, args)
    return str(payment_id), jobs


async def _messages(connection: asyncpg.Connection, intent: Any) -> list[Message]:
    provider = provider_from_row(
        fields(await connection.fetchrow(PROVIDER_STATEMENT, UUID(intent.provider_id)))
    )
    child = child_from_row(fields(await connection.fetchrow(CHILD_STATEMENT, UUID(intent.child_id))))
    row = await connection.fetchrow(ALLOCATION_BY_ID_STATEMENT, intent.allocation_id)
    allocation = allocation_from_row(fields(row))
    family_row = await connection.fetchrow(FAMILY_STATEMENT, UUID(intent.family_id))
    guardians = [fields(g) for g in await connection.fetch(GUARDIANS_STATEMENT, UUID(intent.family_id))]
    family = family_from_row(cast(Any, SimpleNamespace(**dict(family_row), guardians=guardians)))
    label = allocation.month.isoformat()[:7]
    received = payment_received(intent, PaymentMethod.CARD, provider, child, family, label)
    staff = staff_payment_processed(intent, PaymentMethod.CARD, provider, child, family, label)
    return [m for m in (received, staff) if m is not None]


@asynccontextmanager
async def _lifespan(app: Litestar) -> AsyncIterator[None]:
    async with _programme_lifespan(app):
        redis = Redis.from_url(os.environ["REDIS_URL"])
        _resources["sender"] = AsyncJobSender(redis, timeout=5)
        _resources["payment_rules"] = PaymentRules()
        _resources["programme_cents"] = int(os.environ.get("SANDBOX_PROGRAMME_BALANCE_CENTS", "1000000000"))
        try:
            yield
        finally:
            await redis.aclose()


def create_app() -> Litestar:
    return Litestar(route_handlers=[submit, health], lifespan=[_lifespan])


def main() -> None:
    """``python -m bench.bare_submit PORT WORKERS SERVER``."""
    import sys

    from entrypoints.cli.processes import serve

    port, workers, server = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    serve("bench.bare_submit:create_app", host="127.0.0.1", port=port, workers=workers, server=server)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
