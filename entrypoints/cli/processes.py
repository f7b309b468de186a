"""The long-running processes: web server, worker and scheduler."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import click

from adapters.logging import configure_logging
from adapters.sentry import init_sentry
from entrypoints.http.errors import is_expected
from entrypoints.settings import Settings, load_settings

Server = Literal["uvicorn", "granian"]
APP_FACTORY = "entrypoints.http.app:app_from_environment"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Server processes.")
@click.option("--server", type=click.Choice(["uvicorn", "granian"]), default="granian", show_default=True)
def run(host: str, port: int, workers: int, server: Server) -> None:
    """Run the web API server."""
    settings = load_settings()  # fail fast, with one clear line, before any worker forks
    settings.require_database_url()
    settings.require_redis_url()
    settings.require_sign_in()
    settings.require_payment_gateway()
    configure_logging("web", settings.log_level, settings.log_format)
    serve(APP_FACTORY, host=host, port=port, workers=workers, server=server)


def serve(app_factory: str, *, host: str, port: int, workers: int, server: Server) -> None:
    """Serve the ASGI app that ``app_factory`` (``module:callable``) builds, in the chosen server.

    The benchmark runs its bare reference app through this too, so both see the same settings.
    """
    if server == "granian":
        _run_granian(app_factory, host, port, workers)
    else:
        _run_uvicorn(app_factory, host, port, workers)


def _run_uvicorn(app_factory: str, host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        app_factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
    )


def _run_granian(app_factory: str, host: str, port: int, workers: int) -> None:
    from granian.constants import Interfaces, Loops
    from granian.server import Server as Granian

    Granian(
        app_factory,
        factory=True,
        address=host,
        port=port,
        workers=workers,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        log_enabled=False,
        respawn_failed_workers=True,
    ).serve()


@click.command()
@click.option("--processes", "-p", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", "-t", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--queues", "-Q", multiple=True, help="Queues to work on (repeatable); default: all.")
@click.option(
    "--shutdown-grace",
    default=30,
    show_default=True,
    type=click.IntRange(0, 3600),
    help="Seconds running jobs get to finish after SIGTERM before the worker stops.",
)
@click.option("--import", "modules", multiple=True, help="Extra module with jobs to load (repeatable).")
def worker(
    processes: int, threads: int, queues: tuple[str, ...], shutdown_grace: int, modules: tuple[str, ...]
) -> None:
    """Run the background job worker (Dramatiq)."""
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    settings = load_settings()  # fail fast, with one clear line, before any process forks
    settings.require_database_url()
    settings.require_redis_url()
    settings.require_payment_gateway()
    # Dramatiq's own main process (its boot line, its supervision of the worker processes) logs
    # through our handler too, not through a basicConfig of its own.
    configure_logging("worker", settings.log_level, settings.log_format)
    arguments = [
        "entrypoints.jobs.worker_boot:boot",
        *modules,
        "--processes",
        str(processes),
        "--skip-logging",
    ]
    arguments += ["--threads", str(threads), "--worker-shutdown-timeout", str(shutdown_grace * 1000)]
    if queues:
        arguments += ["--queues", *queues]
    sys.exit(dramatiq_main(make_argument_parser().parse_args(arguments)))  # type: ignore[no-untyped-call]


@click.command()
@click.option("--import", "modules", multiple=True, help="Extra module with jobs to load (repeatable).")
def scheduler(modules: tuple[str, ...]) -> None:
    """Run the delayed/cron job scheduler (one leads; others stand by)."""
    import asyncio
    import importlib

    from entrypoints.jobs.scheduler_main import run_scheduler

    settings = load_settings()
    logger = start_process("scheduler", settings)
    for module in modules:
        importlib.import_module(module)
    logger.info("scheduler started", extra={"environment": settings.app_env})
    asyncio.run(run_scheduler(settings))
    logger.info("scheduler stopped")


def start_process(name: str, settings: Settings) -> logging.Logger:
    """What every process does first: structured logs, then Sentry (before anything can fail)."""
    configure_logging(name, settings.log_level, settings.log_format)
    init_sentry(
        dsn=settings.sentry_dsn,
        environment=settings.app_env,
        release=settings.app_version,
        traces_sample_rate=settings.sentry_traces_sample_rate,
        is_expected=is_expected,
    )
    return logging.getLogger(f"cap_portal.{name}")


COMMANDS = [run, worker, scheduler]
