"""`cap-portal payments …`: the operator's money commands, on the gateway ``PAYMENT_GATEWAY`` names.

- ``onboard``: a wallet for every family and provider without one (what the onboarding jobs missed);
- ``unfunded``: allocations whose funding has not succeeded yet, with each one's last error;
- ``fund``: fund them (or the ``--allocation`` ids named), each exactly once by its idempotency key;
- ``retry``: try payment intents again (``--intent ID`` or ``--all``), each resuming where it stopped;
- ``ledger``: a family's or a provider's lines in our ledger, with the running balance;
- ``reclaim``: unpaid allocation money back to the programme, once per allocation (cli/reclaim.py);
- ``remind``: next week's payment reminders now, as Friday's job asks for them (cli/remind.py);
- ``sandbox …``: make the sandbox's next calls fail, clear that, link a provider's bank, show its books
  (refused unless PAYMENT_GATEWAY is sandbox).

The use cases are the jobs' own, run in this process with a progress bar on batches. ``--dry-run`` says
what would be done and asks the gateway nothing (money moved at a gateway cannot be rolled back).
Exit status: 0 when everything asked for was done, 1 when some of it failed (listed), 2 for bad input
or a refused command.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

from adapters.postgres.money.sandbox_gateway import OPERATIONS, Fault, SandboxGateway
from domain.audit import AuditStamp, who
from domain.errors import DomainError
from domain.money.funding import AllocationFunding
from domain.money.ledger import Account, AccountLine
from domain.money.payments import IntentStatus, PaymentIntent
from domain.money.use_cases.funding import FundingRunSummary, fund_unfunded_allocations, unfunded_allocations
from domain.money.use_cases.paying import (
    RetrySummary,
    cancel_intent,
    due_intents,
    intent_with_attempts,
    intents_by_status,
    retry_intents,
)
from domain.money.use_cases.sweeps import Holder, WalletSweepSummary, open_missing_wallets
from domain.ports import JobQueue
from entrypoints.jobs.context import JobContext, build_job_context
from entrypoints.jobs.money import funding_json, intent_json, retry_summary_json
from entrypoints.settings import Settings, load_settings

T = TypeVar("T")
DEFAULT_LIMIT = 1000


@click.group()
def payments() -> None:
    """Wallets, allocation funding, ledgers and the sandbox gateway."""


# --- running a use case in this process --------------------------------------------------------------


def _settings() -> Settings:
    settings = load_settings()
    settings.require_database_url()  # one line before anything starts, not after a progress bar
    settings.require_payment_gateway()
    return settings


def _run(settings: Settings, work: Callable[[JobContext], Awaitable[T]]) -> T:
    """Runs ``work`` with the jobs' own context. With REDIS_URL set, a use case that asks for background
    work writes it through the job outbox, as in the worker; without it (a ledger, the sandbox's controls
    on a machine with no Redis) asking for a job is refused."""
    runtime = None
    queue: JobQueue = _NoJobs()
    if settings.redis_url:
        from entrypoints.jobs import job_manager
        from entrypoints.jobs.runtime import build_job_runtime

        runtime = build_job_runtime(settings, job_manager)
        queue = runtime.queue

    async def run() -> T:
        context = build_job_context(settings, queue)
        try:
            return await work(context)
        finally:
            await context.close()

    try:
        return asyncio.run(run())
    finally:
        if runtime is not None:
            runtime.close()


class _NoJobs:
    """Satisfies ``JobQueue`` without Redis: asking for a job says so at once instead of losing it."""

    def _refuse(self, *_args: Any, **_kwargs: Any) -> str:
        raise RuntimeError("this needs REDIS_URL: it asks for a background job")

    enqueue = enqueue_at = schedule_cron = _refuse


def _progress(label: str) -> Any:
    return click.progressbar(length=0, label=label, file=sys.stderr)


def _bar_callback(bar: Any) -> Callable[[int, int], None]:
    def done(_done: int, total: int) -> None:
        bar.length = total
        bar.update(1)

    return done


def _user() -> str:
    """Who runs the command, for the audit log: the operating-system user."""
    return getpass.getuser()


def _by_me(context: JobContext) -> AuditStamp:
    return AuditStamp(who("cli", _user()), context.clock.now())


def _refuse(message: str) -> NoReturn:
    click.echo(f"cap-portal: {message}", err=True)
    sys.exit(2)


def _emit(as_json: bool, data: Any, text: str) -> None:
    click.echo(json.dumps(data) if as_json else text)


# --- wallets ------------------------------------------------------------------------------------------


@payments.command()
@click.option("--families/--no-families", default=True, help="Families without a wallet (default: yes).")
@click.option("--providers/--no-providers", default=True, help="Providers without a wallet (default: yes).")
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--dry-run", is_flag=True, help="List who has no wallet; ask the gateway nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def onboard(families: bool, providers: bool, limit: int, dry_run: bool, as_json: bool) -> None:
    """Open a wallet at the gateway for every family and provider that has none (safe to run again)."""
    holders = frozenset(
        h for h, wanted in ((Holder.FAMILY, families), (Holder.PROVIDER, providers)) if wanted
    )
    if not holders:
        _refuse("nothing to onboard: --no-families and --no-providers together leave no one")
    settings = _settings()

    async def work(context: JobContext) -> WalletSweepSummary:
        with _progress("Wallets") as bar:
            return await open_missing_wallets(
                context.money_unit_of_work(),
                context.gateway,
                holders=holders,
                limit=limit,
                dry_run=dry_run,
                on_wallet_done=_bar_callback(bar),
            )

    summary = _run(settings, work)
    result = {
        "dry_run": summary.dry_run,
        "missing": [{"holder": m.holder.value, "id": m.owner_id} for m in summary.missing],
        "opened": len(summary.opened),
        "failed": [
            {"holder": f.holder.value, "id": f.owner_id, "code": f.code, "message": f.message}
            for f in summary.failed
        ],
    }
    _emit(as_json, result, _wallets_report(summary))
    sys.exit(1 if summary.failed else 0)


def _wallets_report(summary: WalletSweepSummary) -> str:
    if summary.dry_run:
        lines = [f"Wallets to open (dry run: the gateway was not asked): {len(summary.missing)}"]
        return "\n".join(lines + [f"  {m.holder.value} {m.owner_id}" for m in summary.missing])
    lines = ["Wallets", f"  opened: {len(summary.opened)}", f"  failed: {len(summary.failed)}"]
    lines += [f"    {f.holder.value} {f.owner_id}: {f.code}: {f.message}" for f in summary.failed]
    return "\n".join(lines)


# --- allocation funding -------------------------------------------------------------------------------


@payments.command()
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="Print the allocations as one JSON array.")
def unfunded(limit: int, as_json: bool) -> None:
    """List allocations whose funding has not succeeded yet (exit 1 when there are any)."""
    settings = _settings()
    found = _run(settings, lambda context: unfunded_allocations(context.money_unit_of_work(), limit=limit))
    _emit(as_json, [funding_json(f) for f in found], _unfunded_report(found))
    sys.exit(1 if found else 0)


def _unfunded_report(found: list[AllocationFunding]) -> str:
    lines = [f"Unfunded allocations: {len(found)}"]
    for f in found:
        tried = f"{f.attempts} attempt{'' if f.attempts == 1 else 's'}" if f.attempts else "not tried yet"
        line = f"  allocation {f.allocation_id} family {f.family_id} {_dollars(f.amount_cents)} ({tried})"
        lines.append(line + (f": {f.last_error}" if f.last_error else ""))
    return "\n".join(lines)


@payments.command()
@click.option(
    "--allocation", "allocation_ids", multiple=True, type=click.IntRange(1, 2**63 - 1),
    help="Fund this allocation (repeatable); default: every unfunded one.",
)  # fmt: skip
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--dry-run", is_flag=True, help="List what would be funded; move no money.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def fund(allocation_ids: tuple[int, ...], limit: int, dry_run: bool, as_json: bool) -> None:
    """Fund unfunded allocations' family wallets, each once (its key is the allocation)."""
    settings = _settings()
    if dry_run:
        found = _run(settings, lambda c: unfunded_allocations(c.money_unit_of_work(), limit=limit))
        if allocation_ids:
            found = [f for f in found if f.allocation_id in set(allocation_ids)]
        data = {"dry_run": True, "unfunded": [funding_json(f) for f in found]}
        _emit(as_json, data, "Dry run: no money moved.\n" + _unfunded_report(found))
        sys.exit(0)

    async def work(context: JobContext) -> FundingRunSummary:
        with _progress("Funding") as bar:
            return await fund_unfunded_allocations(
                context.money_unit_of_work(),
                context.gateway,
                context.clock,
                limit=limit,
                allocation_ids=list(allocation_ids) or None,
                on_allocation_done=_bar_callback(bar),
            )

    summary = _run(settings, work)
    result = {
        "dry_run": False,
        "funded": [funding_json(f) for f in summary.funded],
        "already_settled": [f.allocation_id for f in summary.already_settled],
        "failed": [
            {"allocation_id": f.allocation_id, "code": f.code, "message": f.message} for f in summary.failed
        ],
    }
    _emit(as_json, result, _funding_report(summary))
    sys.exit(1 if summary.failed else 0)


def _funding_report(summary: FundingRunSummary) -> str:
    lines = ["Funding", f"  funded: {len(summary.funded)}"]
    lines += [
        f"    allocation {f.allocation_id}: {f.status.value} {_dollars(f.amount_cents)}"
        + (f" (transfer {f.gateway_transfer_id})" if f.gateway_transfer_id else "")
        for f in summary.funded
    ]
    lines.append(f"  already settled: {len(summary.already_settled)}")
    lines.append(f"  failed: {len(summary.failed)}")
    lines += [f"    allocation {f.allocation_id}: {f.code}: {f.message}" for f in summary.failed]
    return "\n".join(lines)


# --- payment intents ----------------------------------------------------------------------------------


@payments.command()
@click.option(
    "--intent", "intent_ids", multiple=True, metavar="ID",
    help="Retry this payment intent (repeatable), a failed one too.",
)  # fmt: skip
@click.option("--all", "every", is_flag=True, help="Every failed or retrying intent, and abandoned ones.")
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--dry-run", is_flag=True, help="List what would be retried; move no money.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def retry(intent_ids: tuple[str, ...], every: bool, limit: int, dry_run: bool, as_json: bool) -> None:
    """Try payment intents again now, each resuming where its last try stopped (nothing moves twice)."""
    if bool(intent_ids) == every:
        _refuse("name the intents to retry with --intent ID, or --all (not both)")
    settings = _settings()

    async def chosen(context: JobContext) -> list[PaymentIntent]:
        uow = context.money_unit_of_work()
        if intent_ids:
            found = [(await intent_with_attempts(uow, intent_id))[0] for intent_id in intent_ids]
        else:
            found = await intents_by_status(uow, [IntentStatus.FAILED, IntentStatus.RETRYING], limit=limit)
            abandoned = set(await due_intents(uow, context.clock, limit=limit)) - {i.id for i in found}
            found += [(await intent_with_attempts(uow, intent_id))[0] for intent_id in sorted(abandoned)]
        return found

    try:
        intents = _run(settings, chosen)
    except DomainError as refused:
        _refuse(refused.message)
    if dry_run:
        data = {"dry_run": True, "intents": [intent_json(i) for i in intents]}
        _emit(as_json, data, "Dry run: no money moved.\n" + _intents_report(intents))
        sys.exit(0)

    async def work(context: JobContext) -> RetrySummary:
        with _progress("Retrying") as bar:
            return await retry_intents(
                context.money_unit_of_work(),
                context.gateway,
                context.clock,
                context.payment_rules,
                [i.id for i in intents],
                operator=True,
                on_intent_done=_bar_callback(bar),
            )

    summary = _run(settings, work)
    _emit(as_json, {"dry_run": False, **retry_summary_json(summary)}, _retry_report(summary))
    sys.exit(1 if summary.failed or summary.retrying else 0)


def _intents_report(intents: list[PaymentIntent]) -> str:
    lines = [f"Payment intents to retry: {len(intents)}"]
    lines += [
        f"  {i.id}: {i.status.value} {_dollars(i.amount_cents)}, {i.attempts} tries"
        + (f", last error {i.last_error_code}: {i.last_error}" if i.last_error_code else "")
        for i in intents
    ]
    return "\n".join(lines)


def _retry_report(summary: RetrySummary) -> str:
    lines = ["Retried payment intents"]
    for label, ids in (
        ("paid", summary.paid),
        ("retrying (the gateway did not answer; a job tries again)", summary.retrying),
        ("failed", summary.failed),
        ("skipped (paid already)", summary.skipped),
    ):
        lines.append(f"  {label}: {len(ids)}")
        lines += [f"    {intent_id}" for intent_id in ids]
    return "\n".join(lines)


@payments.command()
@click.argument("intent_id")
@click.option("--json", "as_json", is_flag=True, help="Print the cancelled intent as one JSON object.")
def cancel(intent_id: str, as_json: bool) -> None:
    """Cancel a failed payment intent that moved no money, releasing its care days or lump sum."""
    settings = _settings()
    try:
        intent = _run(
            settings,
            lambda c: cancel_intent(
                c.money_unit_of_work(),
                c.clock,
                intent_id,
                audit=AuditStamp(who("cli", _user()), c.clock.now()),
            ),
        )
    except DomainError as refused:
        _refuse(refused.message)
    released = (
        f"{len(intent.care_day_ids)} care days can be submitted again"
        if intent.care_day_ids
        else "its lump sum no longer counts; the family can pay a new one"
    )
    _emit(
        as_json,
        intent_json(intent),
        f"Cancelled payment intent {intent.id} ({_dollars(intent.amount_cents)}): {released}.",
    )


# --- ledgers ------------------------------------------------------------------------------------------


@payments.command()
@click.option("--family", "family_id", help="A family's wallet.")
@click.option("--provider", "provider_id", help="A provider's wallet and payouts.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print the statement as one JSON object.")
def ledger(family_id: str | None, provider_id: str | None, limit: int, as_json: bool) -> None:
    """Show a family's or a provider's lines in our ledger, oldest first, with the running balance."""
    if (family_id is None) == (provider_id is None):
        _refuse("give exactly one of --family ID and --provider ID")
    accounts = (
        [Account.family_wallet(family_id)]
        if family_id is not None
        else [Account.provider_wallet(provider_id or ""), Account.provider_payout(provider_id or "")]
    )
    settings = _settings()

    async def work(context: JobContext) -> list[tuple[Account, int, list[AccountLine]]]:
        uow = context.money_unit_of_work()
        async with uow:
            balances = await uow.ledger.balances(accounts)
            return [(a, balances[a], await uow.ledger.statement(a, limit=limit)) for a in accounts]

    try:
        statements = _run(settings, work)
    except ValueError:  # not an id the ledger could hold
        _refuse(f"{family_id or provider_id!r} is not a family or provider id")
    data = {
        str(account): {"balance_cents": balance, "lines": [_line_json(line) for line in lines]}
        for account, balance, lines in statements
    }
    _emit(as_json, data, _ledger_report(statements))


def _line_json(line: AccountLine) -> dict[str, Any]:
    return {
        "transaction_id": line.transaction_id,
        "kind": line.kind.value,
        "record": f"{line.record_type.value}:{line.record_id}",
        "amount_cents": line.amount_cents,
        "balance_after_cents": line.balance_after_cents,
        "created_at": line.created_at.isoformat(),
        "description": line.description,
    }


def _ledger_report(statements: list[tuple[Account, int, list[AccountLine]]]) -> str:
    lines = []
    for account, balance, entries in statements:
        lines.append(f"{account}: balance {_dollars(balance)}")
        lines += [
            f"  {e.created_at:%Y-%m-%d %H:%M} #{e.transaction_id} {e.kind.value} "
            f"{e.record_type.value}:{e.record_id} {_dollars(e.amount_cents, sign=True)} "
            f"→ {_dollars(e.balance_after_cents)}"
            for e in entries
        ]
        if not entries:
            lines.append("  (no entries)")
    return "\n".join(lines)


def _dollars(cents: int, *, sign: bool = False) -> str:
    text = f"${abs(cents) / 100:,.2f}"
    return ("-" if cents < 0 else "+" if sign else "") + text


# --- the sandbox gateway ------------------------------------------------------------------------------


@payments.group()
def sandbox() -> None:
    """The sandbox gateway's controls (PAYMENT_GATEWAY=sandbox only)."""


def _on_sandbox(settings: Settings, work: Callable[[SandboxGateway], Awaitable[T]]) -> T:
    if settings.payment_gateway != "sandbox":
        _refuse(f"the sandbox controls need PAYMENT_GATEWAY=sandbox (this is {settings.payment_gateway})")

    async def run(context: JobContext) -> T:
        gateway = context.gateway
        assert isinstance(gateway, SandboxGateway)
        return await work(gateway)

    return _run(settings, run)


@sandbox.command()
@click.argument("fault", type=click.Choice([f.value for f in Fault]))
@click.option(
    "--operation", default="*", show_default=True, type=click.Choice([*OPERATIONS, "*"]),
    help="Only this gateway operation (* for any).",
)  # fmt: skip
@click.option("--times", default=1, show_default=True, type=click.IntRange(1, 1000), help="How many calls.")
def fail(fault: str, operation: str, times: int) -> None:
    """Make the sandbox's next calls fail: declined, timeout, or error_after_move (moved, answer lost)."""
    settings = _settings()
    _on_sandbox(settings, lambda gateway: gateway.fail_next(Fault(fault), operation=operation, times=times))
    calls = "call" if times == 1 else f"{times} calls"
    click.echo(f"The sandbox's next {calls} to {operation} will fail: {fault}.")


@sandbox.command()
def clear() -> None:
    """Forget every failure asked for that has not happened yet."""
    cleared = _on_sandbox(_settings(), lambda gateway: gateway.clear_faults())
    click.echo(f"Cleared {cleared} pending sandbox fault{'' if cleared == 1 else 's'}.")


@sandbox.command("link-bank")
@click.argument("user_id")
def link_bank(user_id: str) -> None:
    """Say the provider (by gateway user id) finished linking their bank: their ACH becomes Active."""
    try:
        instrument = _on_sandbox(_settings(), lambda gateway: gateway.link_bank(user_id))
    except DomainError as refused:
        _refuse(refused.message)
    click.echo(f"{user_id}: ACH {instrument.id} is {instrument.status}.")


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="Print the books as one JSON object.")
def show(as_json: bool) -> None:
    """The sandbox's books: the programme's balance, its transfers and the failures still to come."""

    async def books(gateway: SandboxGateway) -> dict[str, Any]:
        return {
            "programme_balance_cents": await gateway.programme_balance(),
            "transfers": [
                {
                    "transfer_id": t.transfer_id,
                    "operation": t.operation,
                    "idempotency_key": t.idempotency_key,
                    "from": t.from_user_id,
                    "to": t.to_user_id,
                    "amount_cents": t.amount_cents,
                }
                for t in await gateway.transfers()
            ],
            "faults": [
                {"fault": f.fault.value, "operation": f.operation, "remaining": f.remaining}
                for f in await gateway.pending_faults()
            ],
        }

    data = _on_sandbox(_settings(), books)
    lines = [f"Sandbox programme balance: {_dollars(data['programme_balance_cents'])}"]
    lines.append(f"Transfers: {len(data['transfers'])}")
    lines += [
        f"  {t['transfer_id']} {t['operation']} {_dollars(t['amount_cents'])} key {t['idempotency_key']}"
        for t in data["transfers"]
    ]
    lines.append(f"Pending faults: {len(data['faults'])}")
    lines += [f"  {f['fault']} on {f['operation']} × {f['remaining']}" for f in data["faults"]]
    _emit(as_json, data, "\n".join(lines))


COMMANDS = [payments]


# Below everything it uses from this module: the reclaim command lives in its own.
from entrypoints.cli.reclaim import reclaim  # noqa: E402
from entrypoints.cli.remind import remind  # noqa: E402

payments.add_command(reclaim)
payments.add_command(remind)
