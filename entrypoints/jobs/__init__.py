"""The background jobs of the programme, and ``job_manager``, which makes them.

    from entrypoints.jobs import job_manager

    @job_manager.job
    def my_background_job(arg1, arg2): ...

``job_manager`` only holds job definitions; nothing here reads the environment or connects. Each
process's composition root (web services, worker boot, scheduler main, the CLI commands) builds the
job runtime from its ``Settings`` (``entrypoints.jobs.runtime.build_job_runtime``, which also loads
every job module listed in ``entrypoints.jobs.catalogue``) and points ``job_manager`` at its outbox
with ``job_manager.use(...)``. ``.delay()`` before that raises instead of guessing.
"""

from __future__ import annotations

from adapters.jobs.manager import JobManager

job_manager = JobManager()
