from __future__ import annotations

import time

from domain.health import CONNECTED, DISCONNECTED, check_health
from tests.fakes import FakeProbe


async def test_all_dependencies_answering_is_healthy() -> None:
    report = await check_health([FakeProbe("database"), FakeProbe("redis")], timeout_seconds=1)
    assert report.healthy
    assert report.components == {"database": CONNECTED, "redis": CONNECTED}
    assert report.failing == []


async def test_a_failing_dependency_is_named() -> None:
    report = await check_health([FakeProbe("database", fails=True), FakeProbe("redis")], timeout_seconds=1)
    assert not report.healthy
    assert report.components == {"database": DISCONNECTED, "redis": CONNECTED}
    assert report.failing == ["database"]


async def test_a_hanging_dependency_counts_as_down_after_the_timeout() -> None:
    started = time.monotonic()
    report = await check_health([FakeProbe("database"), FakeProbe("redis", hangs=True)], timeout_seconds=0.05)
    assert report.failing == ["redis"]
    assert time.monotonic() - started < 1


async def test_probes_run_concurrently() -> None:
    probes = [FakeProbe("database", hangs=True), FakeProbe("redis", hangs=True)]
    started = time.monotonic()
    await check_health(probes, timeout_seconds=0.2)
    # sequential probes would take 0.4 s; together they take one timeout
    assert time.monotonic() - started < 0.38
