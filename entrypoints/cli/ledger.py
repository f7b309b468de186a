"""`cap-portal ledger check`: prove the books, as the nightly job does, and say so.

Exit status: 0 when the books are clean (a short summary), 1 on any drift (each problem listed with the
record involved, and one message sent to Sentry when SENTRY_DSN is set), 2 for a refused command.
"""

from __future__ import annotations

import sys

import click
import sentry_sdk

from adapters.sentry import init_sentry
from domain.money.reconciliation import ReconciliationReport
from entrypoints.cli.payments import _dollars, _emit, _run, _settings
from entrypoints.http.errors import is_expected
from entrypoints.jobs.books import drift_line, reconcile, report_json


@click.group()
def ledger() -> None:
    """Our double-entry ledger: the reconciliation check."""


@ledger.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def check(as_json: bool) -> None:
    """Prove allocation = paid + reclaimed + unpaid remainder for every allocation, that every ledger
    transaction balances and that the gateway holds what our ledger says (exit 1 on any drift)."""
    settings = _settings()
    reporting = init_sentry(
        dsn=settings.sentry_dsn,
        environment=settings.app_env,
        release=settings.app_version,
        traces_sample_rate=0.0,
        is_expected=is_expected,
    )
    report = _run(settings, reconcile)
    if reporting:
        sentry_sdk.flush()  # the process ends next: the drift message must have left first
    _emit(as_json, report_json(report), _report_text(report))
    sys.exit(0 if report.clean else 1)


def _report_text(report: ReconciliationReport) -> str:
    totals = report.totals
    lines = [
        "Ledger check: " + ("clean" if report.clean else f"DRIFT ({len(report.drift)})"),
        f"  allocations: {totals.allocations}, {_dollars(totals.allocated_cents)} allocated, "
        f"{_dollars(totals.funded_cents)} funded",
        f"  = paid {_dollars(totals.paid_cents)} + reclaimed {_dollars(totals.reclaimed_cents)} "
        f"+ unpaid remainder {_dollars(totals.unpaid_remainder_cents)}",
        f"  ledger transactions: {report.transactions_checked}",
        f"  wallets compared with the gateway: {report.wallets_checked}",
    ]
    lines += [f"  {drift_line(d)}" for d in report.drift]
    return "\n".join(lines)


COMMANDS = [ledger]
