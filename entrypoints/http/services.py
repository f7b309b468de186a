"""What the web process is built from: adapters made from settings, closed on shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.clock import SystemClock
from adapters.dramatiq.admin import JobAdmin
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.health import PostgresProbe
from adapters.postgres.job_records import JobRecords
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from adapters.redis.client import RedisProbe, build_redis
from domain.ports import Clock, DependencyProbe, JobQueue
from entrypoints.jobs import job_manager
from entrypoints.jobs.runtime import JobRuntime, build_job_runtime
from entrypoints.settings import Settings


@dataclass
class WebServices:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: Redis
    jobs: JobRuntime
    job_admin: JobAdmin
    clock: Clock = field(default_factory=SystemClock)

    @property
    def probes(self) -> Sequence[DependencyProbe]:
        return (PostgresProbe(self.engine), RedisProbe(self.redis))

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory)

    @property
    def job_queue(self) -> JobQueue:
        return self.jobs.queue

    async def close(self) -> None:
        await asyncio.to_thread(self.jobs.close)
        await self.redis.aclose()
        await self.engine.dispose()


def build_web_services(settings: Settings) -> WebServices:
    engine = build_engine(settings.require_database_url())
    session_factory = build_session_factory(engine)
    jobs = build_job_runtime(settings, job_manager)
    job_manager.use(jobs.queue)  # `.delay()` in this process writes through this outbox
    return WebServices(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        redis=build_redis(settings.require_redis_url()),
        jobs=jobs,
        job_admin=JobAdmin(
            records=JobRecords(session_factory),
            session_factory=session_factory,
            broker=jobs.broker,
            queue_names=job_manager.queue_names,
        ),
    )
