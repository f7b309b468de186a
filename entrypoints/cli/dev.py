"""`cap-portal dev`: the whole system on one machine, with embedded Postgres and Redis.

Starts the embedded servers (unless DATABASE_URL / REDIS_URL are set), applies migrations, then
runs web, worker and scheduler as separate processes with prefixed logs. Ctrl-C stops it all.
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
from subprocess import PIPE, STDOUT, Popen, TimeoutExpired
from typing import IO

import click

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, public_pem
from adapters.postgres.migrations import upgrade
from entrypoints.settings import Settings, load_settings

PROCESSES = ("web", "worker", "scheduler")
STOP_GRACE_SECONDS = 15
DEV_DATABASE_URL_FILE = "dev-database-url"


@click.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="API port.")
@click.option("--host", default="127.0.0.1", show_default=True)
def dev(port: int, host: str) -> None:
    """Run web, worker and scheduler on embedded Postgres and Redis (no Docker needed)."""
    settings = load_settings()
    data_dir = settings.cap_data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with _dependencies(settings, data_dir) as env:
        _say("applying migrations")
        upgrade(env["DATABASE_URL"])
        env["API_KEY"] = env.get("API_KEY") or _dev_api_key(data_dir)
        env.update(dev_sign_in(settings, data_dir))
        with _processes(env, host, port) as children:
            _wait_until_ready(host, port, children, stopping)
            if not stopping.is_set():
                _print_ready(host, port, env)
            _supervise(children, stopping)
    _say("stopped")


def _say(message: str) -> None:
    click.echo(f"{'dev':<9} | {message}", err=True)


@contextlib.contextmanager
def _dependencies(settings: Settings, data_dir: Path) -> Iterator[dict[str, str]]:
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
            env["DATABASE_URL"] = stack.enter_context(EmbeddedPostgres(data_dir / "postgres")).url
            stack.enter_context(_published_database_url(data_dir, env["DATABASE_URL"]))
        if settings.redis_url:
            env["REDIS_URL"] = settings.redis_url
        else:
            _say(f"starting embedded Redis in {data_dir / 'redis'}")
            env["REDIS_URL"] = stack.enter_context(EmbeddedRedis(data_dir / "redis")).url
        yield env
        _say("stopping embedded servers")


@contextlib.contextmanager
def _published_database_url(data_dir: Path, url: str) -> Iterator[None]:
    """$CAP_DATA_DIR/dev-database-url while the embedded server runs (its port changes at every start),
    so commands in another terminal can reach it: DATABASE_URL=$(cat .cap-data/dev-database-url)."""
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


@contextlib.contextmanager
def _processes(env: dict[str, str], host: str, port: int) -> Iterator[dict[str, Popen[str]]]:
    commands = {
        "web": ["run", "--host", host, "--port", str(port)],
        "worker": ["worker"],
        "scheduler": ["scheduler"],
    }
    children: dict[str, Popen[str]] = {}
    try:
        for name, args in commands.items():
            children[name] = _spawn(name, args, env)
        yield children
    finally:
        _stop_all(children)


def _spawn(name: str, args: list[str], env: dict[str, str]) -> Popen[str]:
    # New session: Ctrl-C reaches only this supervisor, which then stops the children in order.
    child = Popen(
        [sys.executable, "-m", "entrypoints.cli", *args],
        env=env,
        stdout=PIPE,
        stderr=STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    threading.Thread(target=_relay, args=(name, child.stdout), daemon=True).start()
    return child


def _relay(name: str, stream: IO[str] | None) -> None:
    if stream is None:
        return
    for line in stream:
        sys.stdout.write(f"{name:<9} | {line}")
        sys.stdout.flush()


def _wait_until_ready(
    host: str, port: int, children: dict[str, Popen[str]], stopping: threading.Event
) -> None:
    deadline = time.monotonic() + 60
    while not stopping.is_set() and time.monotonic() < deadline:
        if any(child.poll() is not None for child in children.values()):
            return
        if _answers_healthy(f"http://{host}:{port}/health"):
            return
        time.sleep(0.3)


def _answers_healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http URL
            return bool(response.status == 200)
    except OSError:
        return False


def _print_ready(host: str, port: int, env: dict[str, str]) -> None:
    base = f"http://{host}:{port}"
    _say(f"ready: API {base}/  health {base}/health  docs {base}/schema")
    _say(f"database {env['DATABASE_URL']}  redis {env['REDIS_URL']}")
    _say(
        f"API key for X-API-Key: {env['API_KEY'][:4]}… (full key in {env['CAP_DATA_DIR']}/dev-api-key"
        " unless API_KEY is set)  — press Ctrl-C to stop"
    )
    _say("sign in: cap-portal dev-token --user-id user_me  (then POST /admin/accounts to give it roles)")


def _supervise(children: dict[str, Popen[str]], stopping: threading.Event) -> None:
    while not stopping.wait(0.5):
        for name, child in children.items():
            if child.poll() is not None:
                _say(f"{name} exited with code {child.returncode}; stopping everything")
                stopping.set()
                break


def _stop_all(children: dict[str, Popen[str]]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except TimeoutExpired:
            _say(f"{name} did not stop in {STOP_GRACE_SECONDS}s; killing it")
            child.kill()
            child.wait()


COMMANDS = [dev]
