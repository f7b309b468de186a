"""The books' jobs: the nightly reconciliation (``cap-portal ledger check`` on a schedule) and the
monthly reclamation of unpaid remainders (``cap-portal payments reclaim`` on a schedule), and Friday's
payment reminders.

Drift is not an exception to retry: the job finishes with the report as its result and sends one
captured message to Sentry naming the records involved, so an operator is told once per night, with
the list, until the books are put right.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from adapters.chek.gateway import ChekGateway
from adapters.postgres.money.books import PostgresBooks
from adapters.postgres.money.sandbox_gateway import SandboxGateway
from adapters.sentry import report_drift
from domain.money.reconciliation import Drift, ReconciliationReport
from domain.money.reconciliation_ports import GatewayBalances
from domain.money.use_cases import jobs as names
from domain.money.use_cases.reclamation import ReclaimRunSummary, reclaim_unpaid_allocations
from domain.money.use_cases.reconciliation import check_books
from domain.money.use_cases.reminders import send_payment_reminders
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import JobContext, job_context
from entrypoints.jobs.money import MONEY_RETRIES

# 02:15 in BUSINESS_TIMEZONE: after the day's payments, before the 03:30 wallet refresh.
CHECK_BOOKS_CRON = "15 2 * * *"


def gateway_balances(context: JobContext) -> GatewayBalances:
    gateway = context.gateway
    if not isinstance(gateway, SandboxGateway | ChekGateway):
        raise TypeError(f"{type(gateway).__name__} cannot tell wallet balances")
    return gateway


async def reconcile(context: JobContext) -> ReconciliationReport:
    """Checks the books; drift is reported to Sentry before the report is returned."""
    report = await check_books(PostgresBooks(context.session_factory), gateway_balances(context))
    if not report.clean:
        report_drift(drift_summary(report), [drift_line(d) for d in report.drift])
    return report


def drift_summary(report: ReconciliationReport) -> str:
    return (
        f"Ledger drift: {len(report.drift)} problem{'' if len(report.drift) == 1 else 's'} in "
        f"{report.totals.allocations} allocations, {report.transactions_checked} transactions, "
        f"{report.wallets_checked} wallets"
    )


def drift_line(drift: Drift) -> str:
    details = " ".join(f"{key}={value}" for key, value in drift.details.items())
    return f"{drift.rule.value} {drift.record}" + (f" {details}" if details else "")


def report_json(report: ReconciliationReport) -> dict[str, Any]:
    totals = report.totals
    return {
        "clean": report.clean,
        "allocations": totals.allocations,
        "allocated_cents": totals.allocated_cents,
        "funded_cents": totals.funded_cents,
        "paid_cents": totals.paid_cents,
        "reclaimed_cents": totals.reclaimed_cents,
        "unpaid_remainder_cents": totals.unpaid_remainder_cents,
        "transactions": report.transactions_checked,
        "wallets": report.wallets_checked,
        "drift": [
            {"rule": d.rule.value, "record": d.record, "details": dict(d.details)} for d in report.drift
        ],
    }


@job_manager.job(
    name=names.CHECK_BOOKS, cron=CHECK_BOOKS_CRON, max_retries=0, time_limit=timedelta(minutes=10)
)
async def check_books_job() -> dict[str, Any]:
    """Every night: every allocation = paid + reclaimed + unpaid remainder, every transaction balances,
    every wallet at the gateway holds what our ledger says."""
    return report_json(await reconcile(job_context()))


# 08:00 on the 2nd in BUSINESS_TIMEZONE: the month before last has had a whole month for late payments.
RECLAIM_CRON = "0 8 2 * *"


class ReclamationIncomplete(Exception):
    """Some allocations could not be reclaimed (each is recorded on its row): the job is retried, and
    the ones already reclaimed are skipped by their keys."""


@job_manager.job(name=names.RECLAIM_UNPAID, cron=RECLAIM_CRON, **MONEY_RETRIES)
async def reclaim_unpaid_allocations_job(month: str | None = None) -> dict[str, Any]:
    """Every funded allocation two or more months old gives its unpaid remainder back, once."""
    context = job_context()
    summary = await reclaim_unpaid_allocations(
        context.money_unit_of_work(),
        context.gateway,
        context.calendar,
        month=None if month is None else date.fromisoformat(f"{month}-01"),
    )
    result = reclaim_json(summary)
    if summary.failed:
        raise ReclamationIncomplete(json.dumps(result["failed"]))
    return result


def reclaim_json(summary: ReclaimRunSummary) -> dict[str, Any]:
    return {
        "through": summary.through.isoformat()[:7],
        "month": None if summary.month is None else summary.month.isoformat()[:7],
        "dry_run": summary.dry_run,
        "candidates": [
            {
                "allocation_id": c.allocation_id,
                "family_id": c.family_id,
                "month": c.month.isoformat()[:7],
                "unpaid_remainder_cents": c.unpaid_remainder_cents,
            }
            for c in summary.candidates
        ],
        "reclaimed": [
            {
                "allocation_id": r.allocation_id,
                "amount_cents": r.amount_cents,
                "gateway_transfer_id": r.gateway_transfer_id,
                "ledger_transaction_id": r.ledger_transaction_id,
            }
            for r in summary.reclaimed
        ],
        "reclaimed_cents": summary.reclaimed_cents,
        "already_reclaimed": summary.already_reclaimed,
        "nothing_to_reclaim": summary.nothing_to_reclaim,
        "failed": [
            {"allocation_id": f.allocation_id, "code": f.code, "message": f.message} for f in summary.failed
        ],
    }


# Friday 08:00 in BUSINESS_TIMEZONE (upstream: 15:00 UTC): next week's care days lock Monday night.
PAYMENT_REMINDERS_CRON = "0 8 * * 5"


@job_manager.job(name=names.SEND_PAYMENT_REMINDERS, cron=PAYMENT_REMINDERS_CRON, max_retries=3)
async def send_payment_reminders_job() -> dict[str, Any]:
    """Families who could pay for next week and have paid nothing of it yet: "pay your provider by Monday"."""
    context = job_context()
    summary = await send_payment_reminders(context.money_unit_of_work(), context.calendar, context.rules)
    return {
        "week_start": summary.week.monday.isoformat(),
        "stopped": summary.stopped,
        "reminded": len(summary.reminded),
        "already_reminded": len(summary.already_reminded),
        "batch_id": summary.batch_id,
    }
