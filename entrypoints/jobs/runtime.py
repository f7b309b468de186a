"""What every process needs to send jobs (and the worker, to record them): one place to build it."""

from __future__ import annotations

import asyncio
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
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.jobs.async_sender import AsyncJobSender
from adapters.jobs.background_loop import BackgroundLoop
from adapters.jobs.broker import JobBroker
from adapters.jobs.home_loop import HomeLoop
from adapters.jobs.manager import JobDefinition, JobManager
from adapters.jobs.new_jobs import NewJobWriter
from adapters.jobs.outbox import BrokerSender, HomeWrites, OutboxJobQueue, StandaloneWrites
from adapters.jobs.sql import StatementPool
from adapters.jobs.status_middleware import JobStatusMiddleware
from adapters.jobs.status_recorder import JobStatusRecorder
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.raw_pool import RawPool
from adapters.redis.client import build_redis
from entrypoints.jobs import catalogue  # noqa: F401 - registers every job on job_manager
from entrypoints.settings import Settings


@dataclass
class JobRuntime:
    loop: BackgroundLoop
    engine: AsyncEngine  # used only through ``loop``
    pool: RawPool  # likewise: the hot job-record writes, without the ORM
    broker: JobBroker
    queue: OutboxJobQueue

    def close(self) -> None:
        if self.loop.started:
            self.loop.run(self.pool.close())
            self.loop.run(self.engine.dispose())
            self.loop.stop()
        self.broker.client.close()


def build_job_runtime(settings: Settings, manager: JobManager, *, worker: bool = False) -> JobRuntime:
    """What a process needs to send jobs (and, with ``worker``, to record them), built from ``settings``;
    every job module is loaded (``catalogue``, imported above), so the process knows every job by name.
    Nothing connects or starts a thread before its first use."""
    loop = BackgroundLoop("cap-jobs-loop")
    engine = build_engine(
        settings.require_database_url(),
        pool_size=10 if worker else 5,
        connect_timeout=settings.database_connect_timeout_seconds,
    )
    pool = RawPool(settings.require_database_url(), connect_timeout=settings.database_connect_timeout_seconds)
    middleware = _worker_middleware(JobStatusRecorder(pool), loop) if worker else None
    broker = JobBroker(
        url=settings.require_redis_url(),
        heartbeat_timeout_ms=settings.job_redelivery_seconds * 1000,
        middleware=middleware,
        socket_timeout=10 if worker else settings.job_send_timeout_seconds,
    )
    standalone = StandaloneWrites(
        loop=loop,
        sessions=build_session_factory(engine),
        new_jobs=NewJobWriter(pool),
        sender=BrokerSender(broker),
    )
    queue = OutboxJobQueue(sender=standalone.sender, standalone=standalone, queue_of=manager.queue_of)
    return JobRuntime(loop=loop, engine=engine, pool=pool, broker=broker, queue=queue)


DRAIN_SECONDS = 10.0  # at shutdown, for rows and messages of `.delay()` calls still on their way


@dataclass
class WebJobRuntime:
    """The jobs of a process that lives on one event loop (web, scheduler), with no thread of its own.

    A job asked for in a unit of work joins its transaction, and its message is sent after the
    commit on the caller's loop (``AsyncJobSender``, its own asyncio Redis client with the send
    timeout). A ``.delay()`` outside any unit of work writes on the same loop through ``home``,
    with the process's own pool (``adapters/jobs/home_loop.py``), once ``start`` has attached the
    loop; ``close`` waits for those still on their way. ``standalone`` (a private loop thread, its
    engine and pool) serves only calls made while no loop is attached (before startup, after
    shutdown) and starts on the first such call."""

    redis: Redis
    sender: AsyncJobSender
    home: HomeLoop
    standalone: JobRuntime
    queue: OutboxJobQueue

    def start(self) -> None:
        """Attach the running loop: from now on `.delay()` outside a unit of work writes on it."""
        self.home.attach(asyncio.get_running_loop())

    async def close(self) -> None:
        if self.home.serving and self.home.running_here():
            await self.home.drain(DRAIN_SECONDS)
        self.home.detach()
        await self.redis.aclose()
        if self.standalone.loop.started:
            await asyncio.to_thread(self.standalone.close)
        else:
            self.standalone.broker.client.close()


def build_web_job_runtime(
    settings: Settings,
    manager: JobManager,
    *,
    pool: StatementPool,
    sessions: async_sessionmaker[AsyncSession],
) -> WebJobRuntime:
    """Jobs for a process that lives on one event loop (web, scheduler): ``pool`` and ``sessions`` are
    that process's own (they belong to its loop) and are used only for `.delay()` outside a unit of
    work; every job module is loaded."""
    redis = build_redis(settings.require_redis_url(), timeout=settings.job_send_timeout_seconds)
    sender = AsyncJobSender(redis, timeout=settings.job_send_timeout_seconds)
    home = HomeLoop()
    standalone = build_job_runtime(settings, manager)
    queue = OutboxJobQueue(
        sender=sender,
        standalone=standalone.queue.standalone,
        queue_of=manager.queue_of,
        home=HomeWrites(loop=home, sessions=sessions, new_jobs=NewJobWriter(pool), sender=sender),
    )
    return WebJobRuntime(redis=redis, sender=sender, home=home, standalone=standalone, queue=queue)


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
