"""`cap-portal payments reclaim`: the monthly reclamation by hand, for one month or every reclaimable one.

The job's own use case in this process, with a progress bar on stderr. ``--dry-run`` lists the
allocations and their unpaid remainders and asks the gateway nothing. Exit status: 0 when everything was
reclaimed (or there was nothing to), 1 when some allocations failed (listed; each is recorded on its row
and the next run retries it under the same key), 2 for a month that is not reclaimable yet.
"""

from __future__ import annotations

import sys
from datetime import date

import click

from domain.money.use_cases.reclamation import (
    MonthNotReclaimable,
    ReclaimRunSummary,
    reclaim_unpaid_allocations,
)
from entrypoints.cli.payments import _bar_callback, _dollars, _emit, _progress, _refuse, _run, _settings
from entrypoints.jobs.books import reclaim_json
from entrypoints.jobs.context import JobContext


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month (YYYY-MM)") from None


@click.command()
@click.option("--month", callback=_month, help="Only this month (YYYY-MM); default: every reclaimable one.")
@click.option("--limit", default=100_000, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option("--dry-run", is_flag=True, help="List what would be reclaimed; move no money.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def reclaim(month: date | None, limit: int, dry_run: bool, as_json: bool) -> None:
    """Give unpaid allocation money back to the programme, each allocation once (months ≥ 2 old)."""
    settings = _settings()

    async def work(context: JobContext) -> ReclaimRunSummary:
        with _progress("Reclaiming") as bar:
            return await reclaim_unpaid_allocations(
                context.money_unit_of_work(),
                context.gateway,
                context.calendar,
                month=month,
                dry_run=dry_run,
                limit=limit,
                on_allocation_done=_bar_callback(bar),
            )

    try:
        summary = _run(settings, work)
    except MonthNotReclaimable as refused:
        _refuse(f"{refused.message} (latest: {refused.details['latest']})")
    _emit(as_json, reclaim_json(summary), _report(summary))
    sys.exit(1 if summary.failed else 0)


def _report(summary: ReclaimRunSummary) -> str:
    which = summary.month.isoformat()[:7] if summary.month else f"months through {summary.through:%Y-%m}"
    if summary.dry_run:
        total = sum(c.unpaid_remainder_cents for c in summary.candidates)
        lines = [
            f"Dry run: no money moved. To reclaim ({which}): {len(summary.candidates)}, {_dollars(total)}"
        ]
        lines += [
            f"  allocation {c.allocation_id} ({c.month:%Y-%m}) family {c.family_id}: "
            f"{_dollars(c.unpaid_remainder_cents)}"
            for c in summary.candidates
        ]
        return "\n".join(lines)
    lines = [
        f"Reclamation ({which})",
        f"  reclaimed: {len(summary.reclaimed)}, {_dollars(summary.reclaimed_cents)}",
    ]
    lines += [f"    allocation {r.allocation_id}: {_dollars(r.amount_cents)}" for r in summary.reclaimed]
    lines.append(f"  already reclaimed: {len(summary.already_reclaimed)}")
    lines.append(f"  nothing to reclaim: {len(summary.nothing_to_reclaim)}")
    lines.append(f"  failed: {len(summary.failed)}")
    lines += [f"    allocation {f.allocation_id}: {f.code}: {f.message}" for f in summary.failed]
    return "\n".join(lines)
