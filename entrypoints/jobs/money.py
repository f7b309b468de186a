"""Money's jobs: opening wallets (asked for at onboarding), refreshing them (on each change, every 15
minutes for providers waiting on the gateway, daily for all), funding allocations (a subscriber of
``programme.allocation_created``).

Gateway outages are retried with backoff — 30 s doubling up to an hour, twelve retries, roughly seven
hours — and each failure is recorded on the record it concerns (the wallet's row, the allocation's funding)
before the job fails, so it is visible while it waits; a job that runs out of retries stays ``failed`` in
``jobs`` (``POST /jobs/{id}/retry``, or ``cap-portal payments …`` to sweep). A refusal that retrying cannot
fix (a family with no email) is recorded and ends the job.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.errors import DomainError
from domain.money.errors import GatewayDeclined, GatewayUnavailable, WalletDetailsInvalid
from domain.money.funding import AllocationFunding
from domain.money.payments import PaymentIntent
from domain.money.use_cases import jobs as names
from domain.money.use_cases.funding import fund_allocation
from domain.money.use_cases.paying import RetrySummary, due_intents, pay_intent, retry_intents
from domain.money.use_cases.refresh import ask_for_pending_refresh, ask_for_wallet_refresh
from domain.money.use_cases.wallets import (
    open_family_wallet,
    open_provider_wallet,
    record_wallet_error,
    sync_family_wallet,
    sync_provider_wallet,
)
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import job_context
from entrypoints.jobs.programme import subscribe_to_allocation_created

MONEY_RETRIES: dict[str, Any] = {
    "max_retries": 12,
    "min_backoff": timedelta(seconds=30),
    "max_backoff": timedelta(hours=1),
    "time_limit": timedelta(minutes=2),
}


@job_manager.job(name=names.OPEN_FAMILY_WALLET, **MONEY_RETRIES)
async def open_family_wallet_job(family_id: str) -> dict[str, Any]:
    context = job_context()
    try:
        settings = await open_family_wallet(context.money_unit_of_work(), context.gateway, family_id)
    except (WalletDetailsInvalid, GatewayDeclined) as refused:
        await record_wallet_error(context.money_unit_of_work(), family_id=family_id, error=refused.message)
        return {"family_id": family_id, "opened": False, "reason": refused.code, "error": refused.message}
    except GatewayUnavailable as down:
        await record_wallet_error(context.money_unit_of_work(), family_id=family_id, error=down.message)
        raise
    return {"family_id": family_id, "opened": True, "gateway_user_id": settings.gateway_user_id}


@job_manager.job(name=names.OPEN_PROVIDER_WALLET, **MONEY_RETRIES)
async def open_provider_wallet_job(provider_id: str) -> dict[str, Any]:
    context = job_context()
    try:
        settings = await open_provider_wallet(context.money_unit_of_work(), context.gateway, provider_id)
    except (WalletDetailsInvalid, GatewayDeclined) as refused:
        await record_wallet_error(
            context.money_unit_of_work(), provider_id=provider_id, error=refused.message
        )
        return {"provider_id": provider_id, "opened": False, "reason": refused.code, "error": refused.message}
    except GatewayUnavailable as down:
        await record_wallet_error(context.money_unit_of_work(), provider_id=provider_id, error=down.message)
        raise
    return {"provider_id": provider_id, "opened": True, "gateway_user_id": settings.gateway_user_id}


# A sync is cheap and the periodic refresh asks for it again, so a few quick retries suffice: during a
# gateway outage, sweeps do not pile up hours of retrying jobs.
SYNC_RETRIES: dict[str, Any] = {
    "max_retries": 3,
    "min_backoff": timedelta(seconds=30),
    "max_backoff": timedelta(minutes=5),
    "time_limit": timedelta(minutes=1),
}
# The two sweeps of domain/money/use_cases/refresh.py, in BUSINESS_TIMEZONE.
REFRESH_PENDING_CRON = "*/15 * * * *"
REFRESH_WALLETS_CRON = "30 3 * * *"


@job_manager.job(name=names.SYNC_PROVIDER_WALLET, **SYNC_RETRIES)
async def sync_provider_wallet_job(provider_id: str) -> dict[str, Any]:
    context = job_context()
    try:
        synced = await sync_provider_wallet(
            context.money_unit_of_work(), context.gateway, context.clock, provider_id
        )
    except GatewayDeclined as refused:
        await record_wallet_error(
            context.money_unit_of_work(), provider_id=provider_id, error=refused.message
        )
        return {"provider_id": provider_id, "synced": False, "reason": refused.code, "error": refused.message}
    except GatewayUnavailable as down:
        await record_wallet_error(context.money_unit_of_work(), provider_id=provider_id, error=down.message)
        raise
    if synced is None:
        return {"provider_id": provider_id, "synced": False, "reason": "no_wallet"}
    return {
        "provider_id": provider_id,
        "synced": True,
        "card_status": synced.card.status if synced.card else None,
        "ach_status": synced.ach.status if synced.ach else None,
        "wallet_balance_cents": synced.wallet_balance_cents,
    }


@job_manager.job(name=names.SYNC_FAMILY_WALLET, **SYNC_RETRIES)
async def sync_family_wallet_job(family_id: str) -> dict[str, Any]:
    context = job_context()
    try:
        synced = await sync_family_wallet(
            context.money_unit_of_work(), context.gateway, context.clock, family_id
        )
    except GatewayDeclined as refused:
        await record_wallet_error(context.money_unit_of_work(), family_id=family_id, error=refused.message)
        return {"family_id": family_id, "synced": False, "reason": refused.code, "error": refused.message}
    except GatewayUnavailable as down:
        await record_wallet_error(context.money_unit_of_work(), family_id=family_id, error=down.message)
        raise
    if synced is None:
        return {"family_id": family_id, "synced": False, "reason": "no_wallet"}
    return {"family_id": family_id, "synced": True, "wallet_balance_cents": synced.wallet_balance_cents}


@job_manager.job(name=names.REFRESH_PENDING, cron=REFRESH_PENDING_CRON, time_limit=timedelta(minutes=5))
async def refresh_pending_instruments() -> dict[str, Any]:
    """A sync job for every provider waiting on the gateway (a bank link not finished, a wallet never
    synced): a linked bank reaches our records, and so the pages, within 15 minutes."""
    return {"providers": await ask_for_pending_refresh(job_context().money_unit_of_work())}


@job_manager.job(name=names.REFRESH_WALLETS, cron=REFRESH_WALLETS_CRON, time_limit=timedelta(minutes=10))
async def refresh_wallets() -> dict[str, Any]:
    """A sync job for every wallet we know of, once a day (balances, settled instruments)."""
    asked = await ask_for_wallet_refresh(job_context().money_unit_of_work())
    return {"families": asked.families, "providers": asked.providers}


@subscribe_to_allocation_created
@job_manager.job(name=names.FUND_ALLOCATION, **MONEY_RETRIES)
async def fund_allocation_job(
    *, allocation_id: int, child_id: str, family_id: str, month: str, allocation_cents: int, occurred_at: str
) -> dict[str, Any]:
    """Fund a new allocation's family wallet from the programme, once (the allocation is the key).

    The amount and the family are read from our records, not from the event. No wallet yet (its job
    has not run) and gateway failures are recorded on the allocation's funding and raised: retried.
    """
    context = job_context()
    result = await fund_allocation(
        context.money_unit_of_work(), context.gateway, context.clock, allocation_id
    )
    return {**funding_json(result.funding), "step": result.step.value}


def funding_json(funding: AllocationFunding) -> dict[str, Any]:
    """An allocation's funding as job results and ``payments … --json`` show it."""
    return {
        "allocation_id": funding.allocation_id,
        "family_id": funding.family_id,
        "amount_cents": funding.amount_cents,
        "status": funding.status.value,
        "attempts": funding.attempts,
        "last_error": funding.last_error,
        "last_attempt_at": funding.last_attempt_at.isoformat() if funding.last_attempt_at else None,
        "gateway_transfer_id": funding.gateway_transfer_id,
        "ledger_transaction_id": funding.ledger_transaction_id,
        "funded_at": funding.funded_at.isoformat() if funding.funded_at else None,
    }


def error_json(error: DomainError) -> dict[str, Any]:
    return {"code": error.code, "error": error.message}


# --- Paying providers ----------------------------------------------------------------------------------
# The intent keeps its own tries and backoff (domain/money/use_cases/paying.py): a failed try is recorded
# and the next one enqueued at its time in the same transaction, so this job does not raise for a gateway
# failure (its own retries are for a database outage only). The sweep every five minutes resumes what a
# lost job or a killed worker left behind.
PAY_RETRIES: dict[str, Any] = {
    "max_retries": 5,
    "min_backoff": timedelta(seconds=30),
    "max_backoff": timedelta(minutes=10),
    "time_limit": timedelta(minutes=2),
}
RETRY_PAYMENT_INTENTS_CRON = "*/5 * * * *"
SWEEP_LIMIT = 200


@job_manager.job(name=names.PAY_INTENT, **PAY_RETRIES)
async def pay_intent_job(intent_id: str) -> dict[str, Any]:
    """One try of the payment intent, resuming where the last one stopped (a paid one is left alone)."""
    context = job_context()
    outcome = await pay_intent(
        context.money_unit_of_work(), context.gateway, context.clock, context.payment_rules, intent_id
    )
    return intent_json(outcome.intent) | {"tried": outcome.tried}


@job_manager.job(
    name=names.RETRY_PAYMENT_INTENTS, cron=RETRY_PAYMENT_INTENTS_CRON, time_limit=timedelta(minutes=10)
)
async def retry_payment_intents() -> dict[str, Any]:
    """Tries every open intent that is due: retrying ones whose time has come (their job was lost) and
    ones a dead process left pending or processing."""
    context = job_context()
    uow = context.money_unit_of_work()
    due = await due_intents(uow, context.clock, limit=SWEEP_LIMIT)
    summary = await retry_intents(uow, context.gateway, context.clock, context.payment_rules, due)
    return retry_summary_json(summary)


def intent_json(intent: PaymentIntent) -> dict[str, Any]:
    """A payment intent as job results and ``payments retry --json`` show it."""
    return {
        "intent_id": intent.id,
        "kind": intent.kind.value,
        "allocation_id": intent.allocation_id,
        "provider_id": intent.provider_id,
        "amount_cents": intent.amount_cents,
        "status": intent.status.value,
        "attempts": intent.attempts,
        "next_attempt_at": intent.next_attempt_at.isoformat() if intent.next_attempt_at else None,
        "last_error_code": intent.last_error_code,
        "last_error": intent.last_error,
    }


def retry_summary_json(summary: RetrySummary) -> dict[str, Any]:
    return {
        "paid": summary.paid,
        "retrying": summary.retrying,
        "failed": summary.failed,
        "skipped": summary.skipped,
    }
