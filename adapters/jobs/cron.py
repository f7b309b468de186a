"""Cron ticks: crontab(5) meaning (domain.cron), APScheduler's calendar arithmetic (DST and all)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from domain.cron import parse_cron


def cron_triggers(cron: str, timezone: str) -> list[BaseTrigger]:
    spec = parse_cron(cron)
    zone = ZoneInfo(timezone)
    if spec.day_or_weekday:
        # crontab fires when the day of month OR the day of week matches; APScheduler ANDs fields.
        return [
            CronTrigger(minute=spec.minute, hour=spec.hour, day=spec.day, month=spec.month, timezone=zone),
            CronTrigger(
                minute=spec.minute,
                hour=spec.hour,
                month=spec.month,
                day_of_week=spec.day_of_week,
                timezone=zone,
            ),
        ]
    return [
        CronTrigger(
            minute=spec.minute,
            hour=spec.hour,
            day=spec.day,
            month=spec.month,
            day_of_week=spec.day_of_week,
            timezone=zone,
        )
    ]


def next_tick(cron: str, timezone: str, after: datetime) -> datetime | None:
    """The first tick strictly after ``after`` (ticks fall on whole minutes)."""
    later = after + timedelta(seconds=1)
    ticks = [trigger.get_next_fire_time(None, later) for trigger in cron_triggers(cron, timezone)]
    return min((tick for tick in ticks if tick is not None), default=None)
