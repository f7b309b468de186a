"""`cap-portal dev`: the whole system on one machine, with embedded Postgres and Redis.

Starts the embedded servers (unless DATABASE_URL / REDIS_URL are set) and the development mailbox
(a local SMTP sink, unless another email provider or SMTP_HOST is configured), applies migrations, then
runs web, worker and scheduler as separate supervised processes (restarted when they die) with
prefixed logs. Ctrl-C stops it all; a second Ctrl-C stops it at once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, public_pem
from adapters.embedded import EmbeddedServerError
from adapters.embedded.mailbox import mailbox_in
from adapters.postgres.migrations import upgrade
from entrypoints import dev_urls
from entrypoints.cli.supervisor import GaveUp, Supervisor
from entrypoints.settings import Settings, load_settings

PROCESSES = ("web", "worker", "scheduler")
STOP_GRACE_SECONDS = 15
DEV_DATABASE_URL_FILE = "dev-database-url"
# Marks, between _dependencies and the rest of dev, that dev runs the mailbox (never a child's variable).
DEV_MAILBOX_ENV = "CAP_DEV_MAILBOX"


@click.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="API port.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--import",
    "modules",
    multiple=True,
    help="Extra module with jobs for the worker and scheduler (repeatable).",
)
def dev(port: int, host: str, modules: tuple[str, ...]) -> None:
    """Run web, worker and scheduler on embedded Postgres and Redis (no Docker needed).

    Supervised: a child that dies is restarted (with backoff), so is a dead embedded server.
    Ctrl-C (or SIGTERM) stops everything; a second one stops it at once.
    """
    # Never the URLs of another running `dev`: this one starts (or is given) its own.
    settings = load_settings(find_dev=False)
    data_dir = settings.cap_data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    stopping, hurry = threading.Event(), threading.Event()

    def on_signal(*_: object) -> None:
        if stopping.is_set():
            hurry.set()
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    supervisor = Supervisor(_say)
    try:
        failed = _run_supervised(settings, data_dir, supervisor, (host, port, modules), stopping, hurry)
    except EmbeddedServerError as exc:  # not installed, or would not start: say so, no traceback
        _say(f"cannot start: {exc}")
        sys.exit(1)
    _say("stopped")
    if failed:
        sys.exit(1)


def _run_supervised(
    settings: Settings,
    data_dir: Path,
    supervisor: Supervisor,
    where: tuple[str, int, tuple[str, ...]],
    stopping: threading.Event,
    hurry: threading.Event,
) -> str | None:
    """Everything between the servers' start and stop; returns why it gave up, if it did."""
    failed: str | None = None
    host, port, modules = where
    with _dependencies(settings, data_dir, supervisor) as env:
        mailbox = env.pop(DEV_MAILBOX_ENV, None)
        _say("applying migrations")
        upgrade(env["DATABASE_URL"])
        env["API_KEY"] = env.get("API_KEY") or _dev_api_key(data_dir)
        env.update(dev_sign_in(settings, data_dir))
        env.setdefault("LOG_FORMAT", "console")
        # A retried job comes back within seconds, not after the production backoff (30 s and up for
        # money's jobs): an allocation funded before its family's wallet was opened is funded at once.
        env.setdefault("JOB_MAX_BACKOFF_SECONDS", "5")
        for name, args in _commands(host, port, modules).items():
            supervisor.add_child(name, [sys.executable, "-m", "entrypoints.cli", *args], env)
        base = f"http://{host}:{port}"
        urls = {"api_url": base, "database_url": env["DATABASE_URL"], "redis_url": env["REDIS_URL"]}
        urls.update(_mail_urls(env, mailbox))
        supervisor.start_all()
        try:
            with dev_urls.published(data_dir, urls):
                _wait_until_ready(f"{base}/health", supervisor, stopping)
                if not stopping.is_set():
                    _print_ready(base, env, urls)
                supervisor.run(stopping)
        except GaveUp as exc:
            failed = str(exc)
            _say(failed)
        finally:
            supervisor.stop_all(STOP_GRACE_SECONDS, hurry)
    return failed


def _say(message: str) -> None:
    click.echo(f"{'dev':<9} | {message}", err=True)


def _commands(host: str, port: int, modules: tuple[str, ...]) -> dict[str, list[str]]:
    imports = [part for module in modules for part in ("--import", module)]
    return {
        "web": ["run", "--host", host, "--port", str(port)],
        "worker": ["worker", *imports],
        "scheduler": ["scheduler", *imports],
    }


@contextlib.contextmanager
def _dependencies(settings: Settings, data_dir: Path, supervisor: Supervisor) -> Iterator[dict[str, str]]:
    """Use the configured URLs, or start embedded servers under CAP_DATA_DIR for what is missing."""
    from adapters.embedded.postgres import EmbeddedPostgres
    from adapters.embedded.redis import EmbeddedRedis

    env = {k: v for k, v in os.environ.items()}
    env["CAP_DATA_DIR"] = str(data_dir)
    with contextlib.ExitStack() as stack:
        if settings.database_url:
            env["DATABASE_URL"] = settings.database_url
        else:
            _say(f"starting embedded Postgres in {data_dir / 'postgres'}")
            postgres = stack.enter_context(EmbeddedPostgres(data_dir / "postgres"))
            env["DATABASE_URL"] = postgres.url
            supervisor.watch_server("Postgres", postgres)
            stack.enter_context(_published_database_url(data_dir, env["DATABASE_URL"]))
        if settings.redis_url:
            env["REDIS_URL"] = settings.redis_url
        else:
            _say(f"starting embedded Redis in {data_dir / 'redis'}")
            redis = stack.enter_context(EmbeddedRedis(data_dir / "redis"))
            env["REDIS_URL"] = redis.url
            supervisor.watch_server("Redis", redis)
        env.update(stack.enter_context(_email(settings, data_dir)))
        yield env
        _say("stopping embedded servers")


@contextlib.contextmanager
def _email(settings: Settings, data_dir: Path) -> Iterator[dict[str, str]]:
    """Point the email adapter at the development mailbox, unless the operator configured a provider:
    then messages go where they said (and may leave the machine, which we say)."""
    if settings.email_provider != "smtp" or settings.smtp_host:
        where = settings.smtp_host if settings.email_provider == "smtp" else settings.email_provider
        _say(f"email goes through {where} (configured): messages may leave this machine")
        yield {}
        return
    from adapters.embedded.mail_sink import MailSink

    with MailSink(mailbox_in(data_dir)) as sink:
        _say(f"development mailbox at {sink.url}, keeping messages in {sink.mailbox.directory}")
        yield {
            "SMTP_HOST": sink.host,
            "SMTP_PORT": str(sink.port),
            "SMTP_SECURITY": "none",
            "SMTP_USERNAME": "",
            "SMTP_PASSWORD": "",
            DEV_MAILBOX_ENV: str(sink.mailbox.directory),
        }


def _mail_urls(env: dict[str, str], mailbox: str | None) -> dict[str, str]:
    """What dev-urls.json says about email: the mailbox, when dev runs one."""
    if mailbox is None:
        return {}
    return {
        "mailbox": mailbox,
        "smtp_url": f"smtp://{env['SMTP_HOST']}:{env['SMTP_PORT']}",
        "smtp_host": env["SMTP_HOST"],
        "smtp_port": env["SMTP_PORT"],
    }


@contextlib.contextmanager
def _published_database_url(data_dir: Path, url: str) -> Iterator[None]:
    """$CAP_DATA_DIR/dev-database-url while the embedded server runs (kept for scripts that read it;
    commands of ours find the running system through dev-urls.json by themselves)."""
    path = data_dir / DEV_DATABASE_URL_FILE
    path.write_text(url + "\n")
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _dev_api_key(data_dir: Path) -> str:
    """A development API key, made once and kept, so scripts keep working across restarts."""
    path = data_dir / "dev-api-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def dev_sign_in(settings: Settings, data_dir: Path) -> dict[str, str]:
    """CLERK_JWT_KEY/CLERK_ISSUER for the children: the development key, unless configured already.

    Configured values (environment or .env) are used as given, e.g. a real Clerk development
    instance; otherwise the local key pair (made once) lets `cap-portal dev-token` sign in.
    """
    if settings.clerk_jwt_key or settings.clerk_jwks_url:
        return {}
    return {
        "CLERK_JWT_KEY": public_pem(dev_signing_key(data_dir)),
        "CLERK_ISSUER": settings.clerk_issuer or DEV_ISSUER,
    }


def _wait_until_ready(health_url: str, supervisor: Supervisor, stopping: threading.Event) -> None:
    """Until the API answers healthy (the supervisor keeps restarting what dies meanwhile)."""
    deadline = time.monotonic() + 60
    while not stopping.is_set() and time.monotonic() < deadline:
        if _answers_healthy(health_url):
            return
        supervisor.check_once()
        stopping.wait(0.3)


def _answers_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            return bool(response.status == 200)
    except OSError:
        return False


def _print_ready(base: str, env: dict[str, str], urls: dict[str, str]) -> None:
    _say(f"ready: API {base}/  health {base}/health  docs {base}/schema")
    _say(f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}")
    _say(
        f"API key for X-API-Key: {env['API_KEY'][:4]}… (full key in {env['CAP_DATA_DIR']}/dev-api-key"
        " unless API_KEY is set)  — press Ctrl-C to stop"
    )
    if "mailbox" in urls:
        _say(f"mail: kept in {urls['mailbox']}; read it with cap-portal mail list / mail show ID")
    _say("other terminals: cap-portal commands find this system by themselves (CAP_DATA_DIR/dev-urls.json)")
    _say("sign in: cap-portal dev-token --user-id user_me  (then POST /admin/accounts to give it roles)")


COMMANDS = [dev]
