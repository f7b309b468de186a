"""What the web process is built from: adapters made from settings, closed on shutdown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.clock import SystemClock
from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.health import PostgresProbe
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from adapters.redis.client import RedisProbe, build_redis
from domain.ports import Clock, DependencyProbe
from entrypoints.http.identity_services import IdentityServices, build_identity_services
from entrypoints.settings import Settings


@dataclass
class WebServices:
    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    redis: Redis
    identity: IdentityServices
    clock: Clock = field(default_factory=SystemClock)

    @property
    def probes(self) -> Sequence[DependencyProbe]:
        return (PostgresProbe(self.engine), RedisProbe(self.redis))

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory)

    async def close(self) -> None:
        await self.identity.close()
        await self.redis.aclose()
        await self.engine.dispose()


def build_web_services(settings: Settings) -> WebServices:
    engine = build_engine(settings.require_database_url())
    return WebServices(
        settings=settings,
        engine=engine,
        session_factory=build_session_factory(engine),
        redis=build_redis(settings.require_redis_url()),
        identity=build_identity_services(settings),
    )
