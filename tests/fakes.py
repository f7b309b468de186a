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
