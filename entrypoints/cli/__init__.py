"""`cap-portal`: the one console command (web, worker, scheduler, dev, migrations, shells).

Each subcommand's module is imported only when that subcommand runs: `cap-portal --help` and
`cap-portal dev-token` must not pay for litestar, advanced-alchemy, alembic and the job stack
(seconds without cached bytecode). The help lines are listed here for the same reason; a test
checks them against the commands' own docstrings.
"""

from __future__ import annotations

import importlib
import sys

import click

# name -> (module, attribute, the one line `--help` shows)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("entrypoints.cli.processes", "run", "Run the web API server."),
    "worker": ("entrypoints.cli.processes", "worker", "Run the background job worker (Dramatiq)."),
    "scheduler": (
        "entrypoints.cli.processes",
        "scheduler",
        "Run the delayed/cron job scheduler (one leads; others stand by).",
    ),
    "dev": (
        "entrypoints.cli.dev",
        "dev",
        "Run web, worker and scheduler on embedded Postgres and Redis (no Docker needed).",
    ),
    "dev-token": (
        "entrypoints.cli.dev_token",
        "dev_token",
        "Print a development session token for `Authorization: Bearer …`.",
    ),
    "config": (
        "entrypoints.cli.config",
        "config",
        "Print the settings (secrets hidden); --check also tries them.",
    ),
    "db": ("entrypoints.cli.db", "db", "Database migrations (alembic)."),
    "shell": (
        "entrypoints.cli.shell",
        "shell",
        "A Python shell with settings, the database session factory and the use cases loaded.",
    ),
    "db-shell": ("entrypoints.cli.shell", "db_shell", "Open psql on the configured database."),
    "import": (
        "entrypoints.cli.import_command",
        "import_file",
        "Import families, providers and provider↔child links from FILE (.json or .csv).",
    ),
    "messages": ("entrypoints.cli.messages", "messages", "Messages: bulk runs (batches) and their progress."),
    "mail": ("entrypoints.cli.mail", "mail", "The development mailbox: what `cap-portal dev` sent."),
    "allocations": ("entrypoints.cli.allocations", "allocations", "Monthly allocations."),
    "attendance": ("entrypoints.cli.attendance", "attendance", "Weekly attendance records and reminders."),
    "invitations": (
        "entrypoints.cli.invitations",
        "invitations",
        "Invitations between families and providers.",
    ),
    "ledger": ("entrypoints.cli.ledger", "ledger", "Our double-entry ledger: the reconciliation check."),
    "payments": (
        "entrypoints.cli.payments",
        "payments",
        "Wallets, allocation funding, ledgers and the sandbox gateway.",
    ),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module when the subcommand is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return None
        module, attribute, _ = SUBCOMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_line) for name, (_, _, help_line) in sorted(SUBCOMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """CAP Colorado Childcare Portal backend."""


def main() -> None:
    from entrypoints.settings_errors import SettingsError

    try:
        cli(standalone_mode=True)
    except SettingsError as exc:
        # One clear line, no traceback: the operator fixes the variable and starts again.
        click.echo(f"cap-portal: configuration error: {exc}", err=True)
        sys.exit(2)
