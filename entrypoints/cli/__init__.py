"""`cap-portal`: the one console command (web, worker, scheduler, dev, migrations, shells)."""

from __future__ import annotations

import sys

import click

from entrypoints.cli import allocations, db, dev, dev_token, import_command, processes, shell
from entrypoints.settings import SettingsError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """CAP Colorado Childcare Portal backend."""


for module in (processes, dev, dev_token, db, shell, import_command, allocations):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except SettingsError as exc:
        # One clear line, no traceback: the operator fixes the variable and starts again.
        click.echo(f"cap-portal: configuration error: {exc}", err=True)
        sys.exit(2)
