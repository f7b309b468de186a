"""The scheduler process's composition root."""

from __future__ import annotations

import asyncio
import signal

from adapters.jobs.dispatch_store import DeclaredSchedule, JobDispatchStore
from adapters.jobs.leader import LeaderLock
from adapters.jobs.messages import QueueInspector
from adapters.jobs.relay import Relay
from adapters.jobs.scheduler import JobScheduler, SchedulerTiming
from adapters.postgres.engine import build_engine, build_session_factory
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import build_job_runtime
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
    runtime = build_job_runtime(settings, job_manager)
    job_manager.use(runtime.queue)
    engine = build_engine(settings.require_database_url(), pool_size=5)
    store = JobDispatchStore(build_session_factory(engine))
    scheduler = JobScheduler(
        store=store,
        send_many=runtime.send_many,
        relay=Relay(store, QueueInspector(runtime.broker), runtime.send_many),
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
        await engine.dispose()
        await asyncio.to_thread(runtime.close)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop
