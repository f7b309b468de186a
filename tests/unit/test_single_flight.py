"""Coalesced health checks: a burst shares one run, never one that began before the caller came."""

from __future__ import annotations

import asyncio

import pytest

from entrypoints.http.single_flight import SingleFlight


class GatedCheck:
    """A check that reads the world when it starts, then waits for the test to let it finish."""

    def __init__(self) -> None:
        self.alive = True
        self.runs = 0
        self.gate = asyncio.Event()

    async def __call__(self) -> bool:
        self.runs += 1
        seen = self.alive
        await self.gate.wait()
        return seen


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_burst_of_callers_costs_at_most_two_runs() -> None:
    check = GatedCheck()
    flight = SingleFlight(check)
    callers = [asyncio.ensure_future(flight()) for _ in range(50)]
    await _settle()
    assert check.runs == 1  # the first caller's run; the other 49 wait for the next one
    check.gate.set()
    assert await asyncio.gather(*callers) == [True] * 50
    assert check.runs == 2


async def test_a_caller_never_gets_a_run_that_began_before_it_arrived() -> None:
    check = GatedCheck()
    flight = SingleFlight(check)
    early = asyncio.ensure_future(flight())
    await _settle()
    check.alive = False  # the dependency dies while the first run is in flight
    late = asyncio.ensure_future(flight())
    await _settle()
    check.gate.set()
    assert await early is True  # its run saw the world as it was when it asked
    assert await late is False  # the next request to start after the death reports it


async def test_nothing_is_cached_between_calls() -> None:
    check = GatedCheck()
    check.gate.set()
    flight = SingleFlight(check)
    assert await flight() is True
    check.alive = False
    assert await flight() is False
    assert check.runs == 2


async def test_a_caller_that_gives_up_does_not_cancel_the_others() -> None:
    check = GatedCheck()
    flight = SingleFlight(check)
    first, second = asyncio.ensure_future(flight()), asyncio.ensure_future(flight())
    third = asyncio.ensure_future(flight())
    await _settle()
    first.cancel()
    second.cancel()
    await _settle()
    check.gate.set()
    assert await third is True
    assert first.cancelled()
    assert second.cancelled()


async def test_a_failure_reaches_every_caller_of_that_run_and_the_next_call_runs_again() -> None:
    calls = 0
    gate = asyncio.Event()

    async def failing() -> None:
        nonlocal calls
        calls += 1
        await gate.wait()
        raise ConnectionRefusedError("down")

    flight = SingleFlight(failing)
    callers = [asyncio.ensure_future(flight()) for _ in range(3)]
    await _settle()
    gate.set()
    for caller in callers:
        with pytest.raises(ConnectionRefusedError):
            await caller
    with pytest.raises(ConnectionRefusedError):
        await flight()
    assert calls == 3
