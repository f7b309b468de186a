"""Migrations, as the original system's `flask db ...` commands: `cap-portal db ...`.

Every command says what it did in one line, and a bad revision is one line too (exit 2), not
alembic's traceback. New migrations are numbered like the others: ``000N_slug.py``.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from alembic import command
from alembic.config import Config
from alembic.script.revision import RevisionError
from alembic.util import CommandError

from adapters.postgres.migrations import MIGRATIONS_DIR, alembic_config
from entrypoints.settings import load_settings


def _config() -> Config:
    return alembic_config(load_settings().require_database_url())


@contextmanager
def _one_line_errors() -> Iterator[None]:
    try:
        yield
    except (CommandError, RevisionError) as exc:
        click.echo(f"cap-portal db: {str(exc).splitlines()[0]}", err=True)
        sys.exit(2)


def _current(config: Config) -> str:
    """The revision the database is at (``0007_ledger_and_wallets (head)``), or ``empty``."""
    captured, shown = io.StringIO(), config.stdout
    config.stdout = captured
    try:
        command.current(config)
    finally:
        config.stdout = shown
    lines = [line for line in captured.getvalue().splitlines() if line.strip()]
    return ", ".join(lines) or "empty (no migration applied)"


def _moved(action: Callable[[Config, str], None], revision: str) -> None:
    config = _config()
    with _one_line_errors():
        before = _current(config)
        action(config, revision)
        after = _current(config)
    click.echo(f"database at {after}" + ("" if after == before else f" (was {before})"))


@click.group()
def db() -> None:
    """Database migrations (alembic)."""


@db.command()
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option("--empty", is_flag=True, help="Write an empty migration instead of comparing the models.")
def migrate(message: str, empty: bool) -> None:
    """Generate a migration from the difference between the models and the database."""
    config = _config()
    revision = next_revision_id(message, [p.stem for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py")])
    config.set_main_option("file_template", "%%(rev)s")  # the id is already 000N_slug
    with _one_line_errors():
        script = command.revision(config, message=message, autogenerate=not empty, rev_id=revision)
    path = getattr(script, "path", None)
    click.echo(f"wrote {path or revision}")


def next_revision_id(message: str, existing: list[str]) -> str:
    """``000N_slug``: one more than the highest number among ``existing`` file stems."""
    numbers = [int(match[1]) for stem in existing if (match := re.match(r"(\d+)_", stem))]
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40].rstrip("_") or "migration"
    return f"{max(numbers, default=0) + 1:04d}_{slug}"


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    _moved(command.upgrade, revision)


@db.command()
@click.argument("revision", default="-1")
def downgrade(revision: str) -> None:
    """Downgrade the database by one step, or to REVISION."""
    _moved(command.downgrade, revision)


@db.command()
def history() -> None:
    """List every migration, newest first."""
    with _one_line_errors():
        command.history(_config(), indicate_current=True)


@db.command()
def current() -> None:
    """Show the revision the database is at."""
    with _one_line_errors():
        click.echo(_current(_config()))


COMMANDS = [db]
