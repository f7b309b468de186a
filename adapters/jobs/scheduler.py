"""The scheduler's work while it leads: delayed jobs, cron firings and the outbox relay.

APScheduler's store is in memory and rebuilt from Postgres: at boot, on every change
notification, and by a periodic reconcile, so no other process ever touches it (APScheduler 3
must not share a store). Nothing late is dropped: ``misfire_grace_time=None``, and a cron tick
missed while no scheduler ran fires once at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters.jobs.cron import next_tick
from adapters.jobs.dispatch_store import DeclaredSchedule, JobDispatchStore, OutgoingJob
from adapters.jobs.leader import LeaderLock
from adapters.jobs.relay import Relay
from adapters.jobs.rows import SCHEDULE_CHANNEL
from domain.jobs import ScheduleRecord

logger = logging.getLogger("cap_portal.scheduler")

SendMany = Callable[[Sequence[OutgoingJob]], Awaitable[int]]  # on this loop, never raises
CLAIM_BATCH = 1000


@dataclass(frozen=True, slots=True)
class SchedulerTiming:
    reconcile_seconds: float = 30.0
    relay_seconds: float = 5.0
    relay_after_seconds: float = 10.0
    horizon: timedelta = timedelta(minutes=10)  # delayed jobs loaded ahead of their time


class JobScheduler:
    def __init__(
        self,
        *,
        store: JobDispatchStore,
        send_many: SendMany,
        relay: Relay,
        queue_of: Callable[[str], str],
        declared: Sequence[DeclaredSchedule],
        timezone: str,
        timing: SchedulerTiming = SchedulerTiming(),
    ) -> None:
        self._store, self._send_many, self._relay = store, send_many, relay
        self._queue_of, self._declared, self._timezone, self._timing = queue_of, declared, timezone, timing
        self._changed = asyncio.Event()
        self._fingerprints: dict[str, tuple[object, ...]] = {}
        self._aps: AsyncIOScheduler | None = None

    async def run(self, stop: asyncio.Event, leader: LeaderLock) -> None:
        """Stand by until leading, then lead until ``stop`` (or the lock is lost: stand by again)."""
        while await leader.acquire(stop):
            try:
                await leader.listen(SCHEDULE_CHANNEL, self._changed.set)
                await self._lead(stop, leader)
            except Exception:
                logger.exception("scheduler lost its footing; standing by and trying again")
            finally:
                self._stop_aps()
                await leader.release()

    async def _lead(self, stop: asyncio.Event, leader: LeaderLock) -> None:
        self._aps = AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
        )
        self._aps.start()
        self._fingerprints.clear()
        await self._store.sync_system_schedules(self._declared)
        loop = asyncio.get_running_loop()
        last_reconcile = last_relay = float("-inf")
        while not stop.is_set():
            now = loop.time()
            if self._changed.is_set() or now - last_reconcile >= self._timing.reconcile_seconds:
                self._changed.clear()
                await self.reconcile()
                last_reconcile = now
            if now - last_relay >= self._timing.relay_seconds:
                await self._relay.run_once(timedelta(seconds=self._timing.relay_after_seconds))
                last_relay = now
                if not await leader.still_held():
                    logger.warning("scheduler lost the leader lock")
                    return
            await _first_of(stop, self._changed, seconds=1.0)

    async def reconcile(self) -> None:
        now = datetime.now(UTC)
        due = await self._store.scheduled_before(now + self._timing.horizon, limit=10_000)
        # One timer per due instant, not per job: ``dispatch_due`` claims every job due by then,
        # so a thousand jobs due at the same second cost one claim, not a thousand.
        wanted = {f"due:{when.isoformat()}": when for _, when in due}
        for schedule in await self._store.schedules():
            self._plan_schedule(schedule, now)
            wanted[f"cron:{schedule.id}"] = now
        for key, when in wanted.items():
            if key.startswith("due:") and self._aps and not self._aps.get_job(key):
                self._aps.add_job(self.dispatch_due, "date", run_date=when, id=key)
        for job in self._aps.get_jobs() if self._aps else []:
            if job.id not in wanted:
                self._forget(job.id)

    async def dispatch_due(self) -> None:
        """Claim every delayed job that is due (not just the one whose timer fired) and send them."""
        while True:
            claimed = await self._store.claim_due(datetime.now(UTC), CLAIM_BATCH)
            if claimed:
                await self._send_many(claimed)
                logger.info("delayed jobs queued", extra={"count": len(claimed)})
            if len(claimed) < CLAIM_BATCH:
                return

    async def fire(self, schedule: ScheduleRecord, tick: datetime) -> None:
        try:
            queue = self._queue_of(schedule.job_name)
        except LookupError:
            logger.error(
                "schedule names an unknown job", extra={"schedule_id": schedule.id, "job": schedule.job_name}
            )
        else:
            outgoing = await self._store.fire(schedule, tick, queue)
            if outgoing is not None:
                await self._send_many([outgoing])
                logger.info("cron fired", extra={"schedule_id": schedule.id, "tick": tick.isoformat()})
        following = next_tick(schedule.cron, self._zone(schedule), max(tick, datetime.now(UTC)))
        if following is not None and self._aps:
            self._aps.add_job(
                self.fire, "date", run_date=following, args=[schedule, following],
                id=f"cron:{schedule.id}", replace_existing=True,
            )  # fmt: skip

    def _plan_schedule(self, schedule: ScheduleRecord, now: datetime) -> None:
        key = f"cron:{schedule.id}"
        fingerprint = (schedule.cron, schedule.timezone, tuple(schedule.args), tuple(schedule.kwargs.items()))
        if self._fingerprints.get(key) == fingerprint and self._aps and self._aps.get_job(key):
            return
        self._fingerprints[key] = fingerprint
        # The tick after the last one fired: if it passed while no scheduler ran, it fires now, once.
        after = schedule.last_fired_for or schedule.created_at
        tick = next_tick(schedule.cron, self._zone(schedule), after)
        if tick is not None and self._aps:
            self._aps.add_job(self.fire, "date", run_date=max(tick, now), args=[schedule, tick], id=key,
                              replace_existing=True)  # fmt: skip

    def _zone(self, schedule: ScheduleRecord) -> str:
        return schedule.timezone or self._timezone

    def _forget(self, key: str) -> None:
        self._fingerprints.pop(key, None)
        with contextlib.suppress(JobLookupError):
            if self._aps:
                self._aps.remove_job(key)

    def _stop_aps(self) -> None:
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=False)
        self._aps = None


async def _first_of(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
