"""The background jobs of the programme, and ``job_manager``, which makes them.

    from entrypoints.jobs import job_manager

    @job_manager.job
    def my_background_job(arg1, arg2): ...

Every process's composition root (web app, worker, scheduler) points ``job_manager`` at its
outbox with ``job_manager.use(...)``. A script that calls ``.delay()`` without doing so gets
one built from the environment on first use.
"""

from __future__ import annotations

from adapters.jobs.manager import JobManager
from domain.ports import JobQueue


def _queue_from_environment() -> JobQueue:
    from entrypoints.jobs.runtime import build_job_runtime
    from entrypoints.settings import load_settings

    return build_job_runtime(load_settings(), job_manager).queue


job_manager = JobManager(default_queue=_queue_from_environment)

# Job modules register themselves on import; list every one here so all processes know them all.
from entrypoints.jobs import books, example, identity, money, notifications, programme  # noqa: E402, F401
