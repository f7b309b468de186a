"""The worker process's composition root: Dramatiq's CLI calls :func:`boot` in every worker process
(``cap-portal worker`` passes ``entrypoints.jobs.worker_boot:boot``); importing this module does nothing.

Order matters: Sentry first (so it sees everything, broker included), then the broker with the
job-record middleware, then the actors.
"""

from __future__ import annotations

import logging

import dramatiq
from sentry_sdk.integrations.logging import ignore_logger

from entrypoints.cli.processes import start_process
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import build_job_context, build_job_context_on_first_use
from entrypoints.jobs.runtime import build_job_runtime, declare_actors
from entrypoints.settings import load_settings


def boot() -> None:
    settings = load_settings()
    start_process("worker", settings)
    # Dramatiq logs each failed attempt at ERROR; the status middleware reports it to Sentry with the
    # job's id, name and attempt. Without this, Sentry's dedupe would keep the untagged log event.
    ignore_logger("dramatiq.worker.WorkerThread")
    logging.getLogger("dramatiq.worker.WorkerThread").addFilter(_ResultsAreRecorded())
    runtime = build_job_runtime(settings, job_manager, worker=True)
    dramatiq.set_broker(runtime.broker)
    job_manager.use(runtime.queue)  # jobs that start jobs write their records the same way
    build_job_context_on_first_use(lambda: build_job_context(settings, runtime.queue))
    declare_actors(runtime.broker, job_manager, max_backoff_seconds=settings.job_max_backoff_seconds)


class _ResultsAreRecorded(logging.Filter):
    """Dramatiq warns that return values are dropped without its Results backend; ours are kept
    on the job records, so the warning would be noise on every job."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Results middleware" not in record.getMessage()
