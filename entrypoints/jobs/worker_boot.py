"""The worker process's composition root, imported by Dramatiq in every worker process.

Order matters: Sentry first (so it sees everything, broker included), then the broker with the
job-record middleware, then the actors.
"""

from __future__ import annotations

import logging

import dramatiq
from sentry_sdk.integrations.logging import ignore_logger

from entrypoints.cli.processes import start_process
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import build_job_runtime, declare_actors
from entrypoints.settings import load_settings

settings = load_settings()
start_process("worker", settings)
# Dramatiq logs each failed attempt at ERROR; the status middleware reports it to Sentry with the
# job's id, name and attempt. Without this, Sentry's dedupe would keep the untagged log event.
ignore_logger("dramatiq.worker.WorkerThread")
runtime = build_job_runtime(settings, job_manager, worker=True)
broker = runtime.broker
dramatiq.set_broker(broker)
job_manager.use(runtime.queue)  # jobs that start jobs write their records the same way
declare_actors(broker, job_manager, max_backoff_seconds=settings.job_max_backoff_seconds)


class _ResultsAreRecorded(logging.Filter):
    """Dramatiq warns that return values are dropped without its Results backend; ours are kept
    on the job records, so the warning would be noise on every job."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Results middleware" not in record.getMessage()


logging.getLogger("dramatiq.worker.WorkerThread").addFilter(_ResultsAreRecorded())
