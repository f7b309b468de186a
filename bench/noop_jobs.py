"""The no-op job the benchmark runs, for our stack and for RQ (plain function)."""

from __future__ import annotations

from entrypoints.jobs import job_manager


def noop() -> None:
    return None


noop_job = job_manager.job(name="bench.noop")(noop)
