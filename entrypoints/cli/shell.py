"""`cap-portal shell` (Python with the app's pieces at hand) and `cap-portal db-shell` (psql)."""

from __future__ import annotations

import ast
import asyncio
import code
import inspect
import os
import shutil
import sys
import types
from typing import Any
from urllib.parse import unquote, urlsplit

import click

from entrypoints.settings import load_settings


@click.command()
def shell() -> None:
    """A Python shell with settings, the database session factory and the use cases loaded."""
    ipython = _ipython_loop() if sys.stdin.isatty() else None
    # One loop for the whole session (IPython's own when it runs): the engine's connections belong to it.
    loop = ipython or asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    namespace, close = _shell_namespace()
    banner = "CAP Portal shell; top-level await works (await sql('select 1')). In scope: " + ", ".join(
        sorted(namespace)
    )
    try:
        if ipython is not None:
            from IPython import start_ipython

            print(banner)
            start_ipython(argv=[], user_ns=namespace, display_banner=False)
        else:
            _AsyncConsole(namespace, loop).interact(banner=banner, exitmsg="")
    finally:
        loop.run_until_complete(close())


def _ipython_loop() -> asyncio.AbstractEventLoop | None:
    """IPython's event loop, on which its autoawait runs every cell; None without IPython."""
    try:
        from IPython.core.async_helpers import get_asyncio_loop
    except ImportError:
        return None
    loop: asyncio.AbstractEventLoop = get_asyncio_loop()  # type: ignore[no-untyped-call]
    return loop


class _AsyncConsole(code.InteractiveConsole):
    """The standard console with top-level ``await`` (as ``python -m asyncio``), on one loop."""

    def __init__(self, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(namespace)
        self.compile.compiler.flags |= ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        self._loop = loop

    def runcode(self, code_object: types.CodeType) -> None:
        try:
            result = types.FunctionType(code_object, self.locals)()
            if inspect.iscoroutine(result):
                self._loop.run_until_complete(result)
        except SystemExit:
            raise
        except BaseException:  # noqa: BLE001 - shown, as the plain console does
            self.showtraceback()


def _shell_namespace() -> tuple[dict[str, Any], Any]:
    import sqlalchemy

    import domain.health as health
    from domain.identity import administration
    from domain.programme.actors import Actor
    from domain.programme.use_cases import (
        admin_reads,
        allocations,
        care_days,
        dashboards,
        families,
        family_details,
        providers,
        rates,
        reading,
    )
    from entrypoints.jobs import job_manager
    from entrypoints.jobs.context import build_job_context
    from entrypoints.jobs.runtime import build_job_runtime

    settings = load_settings()
    runtime = build_job_runtime(settings, job_manager)
    job_manager.use(runtime.queue)
    context = build_job_context(settings, runtime.queue)

    async def sql(statement: str, **params: Any) -> list[Any]:
        """Run one SQL statement in its own transaction; the rows (as tuples), if any."""
        async with context.engine.begin() as connection:
            result = await connection.execute(sqlalchemy.text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    async def close() -> None:
        await context.close()
        runtime.close()

    use_cases = types.SimpleNamespace(
        admin_reads=admin_reads,
        allocations=allocations,
        care_days=care_days,
        dashboards=dashboards,
        families=families,
        family_details=family_details,
        providers=providers,
        rates=rates,
        reading=reading,
        accounts=administration,
    )
    namespace = {
        "settings": settings,
        "context": context,
        "engine": context.engine,
        "session_factory": context.session_factory,
        "unit_of_work": context.unit_of_work,
        "programme_uow": context.programme_unit_of_work,
        "calendar": context.calendar,
        "rules": context.rules,
        "admin": Actor.admin(),
        "use_cases": use_cases,
        "sql": sql,
        "health": health,
        "jobs": job_manager,
    }
    return namespace, close


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
