"""Our no-op job for the benchmark (RQ's is in ``bench/rq_jobs.py``, away from our imports)."""

from __future__ import annotations

from entrypoints.jobs import job_manager


def noop() -> None:
    return None


noop_job = job_manager.job(name="bench.noop")(noop)
