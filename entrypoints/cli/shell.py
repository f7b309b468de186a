"""`cap-portal shell` (Python with the app's pieces at hand) and `cap-portal db-shell` (psql)."""

from __future__ import annotations

import code
import os
import shutil
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

import click

from entrypoints.settings import load_settings


@click.command()
def shell() -> None:
    """A Python shell with settings, the database session factory and the use cases loaded."""
    namespace = _shell_namespace()
    banner = "CAP Portal shell. In scope: " + ", ".join(sorted(namespace))
    try:
        from IPython import start_ipython

        start_ipython(argv=[], user_ns=namespace, display_banner=False)
    except ImportError:
        code.interact(banner=banner, local=namespace)


def _shell_namespace() -> dict[str, Any]:
    import domain.health as health
    from adapters.postgres.engine import build_engine, build_session_factory
    from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork

    settings = load_settings()
    engine = build_engine(settings.require_database_url())
    session_factory = build_session_factory(engine)
    return {
        "settings": settings,
        "engine": engine,
        "session_factory": session_factory,
        "unit_of_work": lambda: SqlAlchemyUnitOfWork(session_factory),
        "health": health,
    }


@click.command("db-shell")
def db_shell() -> None:
    """Open psql on the configured database."""
    psql = shutil.which("psql")
    if psql is None:
        click.echo(
            "cap-portal: psql is not installed; install the PostgreSQL client "
            "(Debian: apt-get install postgresql-client) and try again.",
            err=True,
        )
        sys.exit(1)
    args, password = psql_arguments(load_settings().require_database_url())
    env = {**os.environ, "PGPASSWORD": password} if password else dict(os.environ)
    os.execvpe(psql, [psql, *args], env)


def psql_arguments(database_url: str) -> tuple[list[str], str | None]:
    """psql flags for an SQLAlchemy URL; the password travels in PGPASSWORD, not argv."""
    parts = urlsplit(database_url.replace("+asyncpg", ""))
    args = ["-h", parts.hostname or "localhost", "-p", str(parts.port or 5432)]
    if parts.username:
        args += ["-U", unquote(parts.username)]
    args.append(parts.path.lstrip("/") or "postgres")
    return args, unquote(parts.password) if parts.password else None


COMMANDS = [shell, db_shell]
