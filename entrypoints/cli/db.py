"""Migrations, as the original system's `flask db ...` commands: `cap-portal db ...`."""

from __future__ import annotations

import click
from alembic import command
from alembic.config import Config

from adapters.postgres.migrations import alembic_config
from entrypoints.settings import load_settings


def _config() -> Config:
    return alembic_config(load_settings().require_database_url())


@click.group()
def db() -> None:
    """Database migrations (alembic)."""


@db.command()
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option("--empty", is_flag=True, help="Write an empty migration instead of comparing the models.")
def migrate(message: str, empty: bool) -> None:
    """Generate a migration from the difference between the models and the database."""
    command.revision(_config(), message=message, autogenerate=not empty)


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    command.upgrade(_config(), revision)


@db.command()
@click.argument("revision", default="-1")
def downgrade(revision: str) -> None:
    """Downgrade the database by one step, or to REVISION."""
    command.downgrade(_config(), revision)


@db.command()
def history() -> None:
    """List every migration, newest first."""
    command.history(_config(), indicate_current=True)


@db.command()
def current() -> None:
    """Show the revision the database is at."""
    command.current(_config(), verbose=True)


COMMANDS = [db]
