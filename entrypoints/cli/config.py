"""`cap-portal config [--check]`: the settings as this process sees them, and whether they work.

Without --check it prints every setting by its variable name (secrets hidden). With --check it also
asks what the web process asks at start (database, Redis, sign-in), then reaches Postgres (and says
whether its migrations are at head) and Redis, each within a few seconds, and says how email goes
(an SMTP server is greeted; Postmark and SendGrid are not called, as their only call sends a message);
exit 2 on any problem.
"""

from __future__ import annotations

import asyncio
import sys

import click

from entrypoints.settings import Settings, SettingsError, load_settings

PROBE_SECONDS = 5.0


@click.command("config")
@click.option(
    "--check", is_flag=True, help="Also check what the processes need and reach Postgres and Redis."
)
@click.option(
    "--before-migrations",
    is_flag=True,
    help="With --check: the database need not be at head yet (a preflight before `db upgrade`).",
)
def config(check: bool, before_migrations: bool) -> None:
    """Print the settings (secrets hidden); --check also tries them."""
    settings = load_settings()
    for name, value in settings.redacted().items():
        click.echo(f"{name}={value}")
    if not check:
        return
    results = _checks(settings, need_head=not before_migrations)
    click.echo("")
    for ok, line in results:
        click.echo(f"{'ok  ' if ok else 'FAIL'} {line}")
    if not all(ok for ok, _ in results):
        sys.exit(2)


def _checks(settings: Settings, *, need_head: bool) -> list[tuple[bool, str]]:
    results: list[tuple[bool, str]] = []
    for what, require in (
        ("database", settings.require_database_url),
        ("redis", settings.require_redis_url),
        ("sign-in", settings.require_sign_in),
    ):
        try:
            require()
        except SettingsError as exc:
            results.append((False, f"{what}: {exc}"))
    if settings.database_url:
        results.append(asyncio.run(_reach_postgres(settings.database_url, need_head)))
    if settings.redis_url:
        results.append(asyncio.run(_reach_redis(settings.redis_url)))
    results.append(_email_line(settings))
    return results


def _email_line(settings: Settings) -> tuple[bool, str]:
    try:
        settings.require_email()
    except SettingsError as exc:
        return False, f"email: {exc}"
    if settings.email_provider != "smtp":
        return (
            True,
            f"email: {settings.email_provider} (its key is set; not called: that would send a message)",
        )
    return asyncio.run(_reach_smtp(settings))


async def _reach_smtp(settings: Settings) -> tuple[bool, str]:
    import aiosmtplib

    where = f"{settings.smtp_host}:{settings.smtp_port}"
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_security == "tls",
        start_tls=settings.smtp_security == "starttls",
        timeout=PROBE_SECONDS,
    )
    try:
        await client.connect()
        await client.ehlo()
        await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        return False, f"email: smtp at {where} does not answer ({type(exc).__name__}: {exc})"
    return True, f"email: smtp at {where} answers"


async def _reach_postgres(url: str, need_head: bool) -> tuple[bool, str]:
    import asyncpg
    from alembic.script import ScriptDirectory

    from adapters.postgres.migrations import alembic_config

    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    try:
        connection = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=PROBE_SECONDS)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return False, f"postgres: cannot connect ({exc})"
    try:
        try:
            rows = await connection.fetch("SELECT version_num FROM alembic_version")
        except asyncpg.UndefinedTableError:
            rows = []
    finally:
        await connection.close()
    at = {row["version_num"] for row in rows}
    if at != heads and need_head:
        shown = ", ".join(sorted(at)) or "no migration applied"
        head = ", ".join(sorted(heads))
        return False, f"postgres: reachable, but at {shown}, not head {head}: run cap-portal db upgrade"
    if at != heads:
        return True, f"postgres: reachable (migrations at {', '.join(sorted(at)) or 'none'}; head comes next)"
    return True, f"postgres: reachable, migrations at head ({', '.join(sorted(heads))})"


async def _reach_redis(url: str) -> tuple[bool, str]:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_timeout=PROBE_SECONDS, socket_connect_timeout=PROBE_SECONDS)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        return False, f"redis: cannot reach it ({exc})"
    finally:
        await client.aclose()
    return True, "redis: reachable"


COMMANDS = [config]
