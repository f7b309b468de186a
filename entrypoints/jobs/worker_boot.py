"""The worker process's composition root, imported by Dramatiq in every worker process.

Order matters: Sentry first (so it sees everything, broker included), then the broker with the
job-record middleware, then the actors.
"""

from __future__ import annotations

import dramatiq

from entrypoints.cli.processes import start_process
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import build_job_runtime, declare_actors
from entrypoints.settings import load_settings

settings = load_settings()
start_process("worker", settings)
runtime = build_job_runtime(settings, job_manager, worker=True)
broker = runtime.broker
dramatiq.set_broker(broker)
job_manager.use(runtime.queue)  # jobs that start jobs write their records the same way
declare_actors(broker, job_manager)
