"""A reminder run (domain/notifications/reminder_runs.py) as a job's result and as a command's JSON."""

from __future__ import annotations

from typing import Any

from domain.notifications.reminder_runs import ReminderRun


def reminder_run_json(run: ReminderRun, *, counts: bool) -> dict[str, Any]:
    """The job's result counts people (``counts=True``); the command lists who."""

    def listed(names: list[str]) -> int | list[str]:
        return len(names) if counts else names

    return {
        "day": run.day.isoformat(),
        "stopped": run.stopped,
        "reminded": listed(run.reminded),
        "already_reminded": listed(run.already_reminded),
        "unreachable": listed(run.unreachable),
        "batch_id": run.batch_id,
    }
