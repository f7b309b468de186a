"""The original system's demo job: sleeps, optionally fails, so retries can be shown end to end."""

from __future__ import annotations

import time
from typing import Any

from entrypoints.jobs import job_manager

MAX_SLEEP_SECONDS = 300


class ExampleJobFailure(RuntimeError):
    """Raised on purpose when the example job is asked to fail."""


@job_manager.job(name="example_job", max_retries=0)
def example_job(sleep_time: float = 0, fail: bool = False) -> dict[str, Any]:
    time.sleep(min(max(0.0, sleep_time), MAX_SLEEP_SECONDS))
    if fail:
        raise ExampleJobFailure("example_job was asked to fail")
    return {"message": "example job finished", "slept_seconds": sleep_time}
