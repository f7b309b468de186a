"""The scheduler process's composition root."""

from __future__ import annotations

import asyncio
import signal

from adapters.jobs.dispatch_store import DeclaredSchedule, JobDispatchStore
from adapters.jobs.leader import LeaderLock
from adapters.jobs.relay import Relay
from adapters.jobs.scheduler import JobScheduler, SchedulerTiming
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.raw_pool import RawPool
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import build_web_job_runtime
from entrypoints.settings import Settings


def declared_schedules() -> list[DeclaredSchedule]:
    """System schedules: the ``cron=`` of each job, keyed by job name."""
    return [
        DeclaredSchedule(key=d.name, job_name=d.name, cron=d.cron, timezone=d.cron_timezone)
        for d in job_manager.definitions
        if d.cron
    ]


async def run_scheduler(settings: Settings, stop: asyncio.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    # Sends (claimed delayed jobs, cron firings, the relay) go on asyncio Redis on this loop, as the
    # web process's do, and so does a `.delay()` made here: no thread, no private loop.
    engine = build_engine(
        settings.require_database_url(),
        pool_size=5,
        connect_timeout=settings.database_connect_timeout_seconds,
    )
    sessions = build_session_factory(engine)
    pool = RawPool(  # opens only if something here calls `.delay()`
        settings.require_database_url(),
        size=2,
        connect_timeout=settings.database_connect_timeout_seconds,
    )
    runtime = build_web_job_runtime(settings, job_manager, pool=pool, sessions=sessions)
    runtime.start()
    job_manager.use(runtime.queue)
    sender = runtime.sender
    store = JobDispatchStore(sessions)
    scheduler = JobScheduler(
        store=store,
        send_many=sender.send,
        relay=Relay(store, sender.holds, sender.send),
        queue_of=job_manager.queue_of,
        declared=declared_schedules(),
        timezone=settings.business_timezone,
        timing=SchedulerTiming(
            reconcile_seconds=settings.scheduler_reconcile_seconds,
            relay_after_seconds=settings.job_relay_after_seconds,
        ),
    )
    try:
        await scheduler.run(stop, LeaderLock(settings.require_database_url()))
    finally:
        await runtime.close()
        await pool.close()
        await engine.dispose()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop
