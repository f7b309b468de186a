"""Hand-written fakes of the domain ports, with state the tests can look at."""

from __future__ import annotations

import asyncio
from datetime import datetime


class FakeProbe:
    def __init__(self, name: str, *, fails: bool = False, hangs: bool = False) -> None:
        self.name = name
        self.fails = fails
        self.hangs = hangs
        self.calls = 0

    async def check(self) -> None:
        self.calls += 1
        if self.hangs:
            await asyncio.sleep(3600)
        if self.fails:
            raise ConnectionRefusedError(f"{self.name} is down")


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class FakeJobQueue:
    """Satisfies ``domain.ports.JobQueue``; remembers what was asked for."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
        self.enqueued_at: list[tuple[datetime, str, tuple[object, ...], dict[str, object]]] = []
        self.schedules: list[tuple[str, str, tuple[object, ...], dict[str, object]]] = []

    def enqueue(self, job_name: str, /, *args: object, **kwargs: object) -> str:
        self.enqueued.append((job_name, args, kwargs))
        return f"job-{len(self.enqueued)}"

    def enqueue_at(self, when: datetime, job_name: str, /, *args: object, **kwargs: object) -> str:
        self.enqueued_at.append((when, job_name, args, kwargs))
        return f"later-{len(self.enqueued_at)}"

    def schedule_cron(self, cron: str, job_name: str, /, *args: object, **kwargs: object) -> str:
        self.schedules.append((cron, job_name, args, kwargs))
        return f"schedule-{len(self.schedules)}"
