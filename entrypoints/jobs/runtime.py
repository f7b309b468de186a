"""What every process needs to send jobs (and the worker, to record them): one place to build it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dramatiq
from dramatiq import Middleware
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.jobs.background_loop import BackgroundLoop
from adapters.jobs.broker import JobBroker
from adapters.jobs.dispatch_store import OutgoingJob
from adapters.jobs.manager import JobDefinition, JobManager
from adapters.jobs.new_jobs import NewJobWriter
from adapters.jobs.outbox import OutboxJobQueue, send_jobs
from adapters.jobs.status_middleware import JobStatusMiddleware
from adapters.jobs.status_recorder import JobStatusRecorder
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.raw_pool import RawPool
from entrypoints.jobs import catalogue  # noqa: F401 - registers every job on job_manager
from entrypoints.settings import Settings


@dataclass
class JobRuntime:
    loop: BackgroundLoop
    engine: AsyncEngine  # used only through ``loop``
    pool: RawPool  # likewise: the hot job-record writes, without the ORM
    broker: JobBroker
    queue: OutboxJobQueue

    def send_many(self, jobs: Sequence[OutgoingJob]) -> None:
        send_jobs(self.broker, jobs)

    def close(self) -> None:
        self.loop.run(self.pool.close())
        self.loop.run(self.engine.dispose())
        self.loop.stop()
        self.broker.client.close()


def build_job_runtime(settings: Settings, manager: JobManager, *, worker: bool = False) -> JobRuntime:
    """What a process needs to send jobs (and, with ``worker``, to record them), built from ``settings``;
    every job module is loaded (``catalogue``, imported above), so the process knows every job by name."""
    loop = BackgroundLoop("cap-jobs-loop")
    engine = build_engine(settings.require_database_url(), pool_size=10)
    sessions = build_session_factory(engine)
    pool = RawPool(settings.require_database_url())
    middleware = _worker_middleware(JobStatusRecorder(pool), loop) if worker else None
    broker = JobBroker(
        url=settings.require_redis_url(),
        heartbeat_timeout_ms=settings.job_redelivery_seconds * 1000,
        middleware=middleware,
        socket_timeout=10 if worker else settings.job_send_timeout_seconds,
    )
    queue = OutboxJobQueue(
        broker=broker,
        session_factory=sessions,
        loop=loop,
        new_jobs=NewJobWriter(pool),
        queue_of=manager.queue_of,
    )
    return JobRuntime(loop=loop, engine=engine, pool=pool, broker=broker, queue=queue)


def _worker_middleware(recorder: JobStatusRecorder, loop: BackgroundLoop) -> list[Middleware]:
    return [
        # Dramatiq's defaults, in Dramatiq's order ...
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        # ... with the job records just before Retries, so they see Retries' decision (after_* run
        # in reverse order) ...
        JobStatusMiddleware(recorder, loop.run),
        Retries(),
        # ... and async job functions (one event-loop thread per worker process).
        AsyncIO(),
        CurrentMessage(),
    ]


def declare_actors(
    broker: dramatiq.Broker, manager: JobManager, *, max_backoff_seconds: int | None = None
) -> None:
    """Make every job (registered now or later) a Dramatiq actor on ``broker``; ``max_backoff_seconds``
    (``JOB_MAX_BACKOFF_SECONDS``) caps every job's retry backoff, its minimum included. Any Dramatiq
    broker will do (the unit tests declare on a ``StubBroker``)."""

    def declare(definition: JobDefinition) -> None:
        options = definition.options
        max_backoff = options.max_backoff.total_seconds()
        min_backoff = options.min_backoff.total_seconds()
        if max_backoff_seconds is not None:
            max_backoff = min(max_backoff, max_backoff_seconds)
            min_backoff = min(min_backoff, max_backoff_seconds)
        dramatiq.Actor(
            definition.fn,
            broker=broker,
            actor_name=definition.name,
            queue_name=options.queue,
            priority=0,
            options={
                "max_retries": options.max_retries,
                "time_limit": _ms(options.time_limit.total_seconds()),
                "min_backoff": _ms(min_backoff),
                "max_backoff": _ms(max_backoff),
            },
        )

    manager.on_register(declare)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
