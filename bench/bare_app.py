"""The reference: a minimal Litestar app answering ``GET /`` and ``GET /health`` with our JSON.

No middleware, no error table, no CORS, no SQLAlchemy: ``/`` is a constant and ``/health`` is a
raw asyncpg ``SELECT 1`` plus a Redis ``PING``. It is served through
``entrypoints.cli.processes.serve``, so it runs on exactly the server settings of ``cap-portal run``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import msgspec
from litestar import Litestar, get
from redis.asyncio import Redis

VERSION = os.environ.get("APP_VERSION", "local")
ENVIRONMENT = os.environ.get("APP_ENV", "production")


class Welcome(msgspec.Struct):
    message: str
    version: str


class Health(msgspec.Struct):
    status: str
    database: str
    redis: str
    version: str
    environment: str


_resources: dict[str, object] = {}


@get("/")
async def welcome() -> Welcome:
    return Welcome(message="CAP Colorado Childcare Portal API", version=VERSION)


@get("/health")
async def health() -> Health:
    pool: asyncpg.Pool = _resources["pool"]  # type: ignore[assignment]
    redis: Redis = _resources["redis"]  # type: ignore[assignment]
    await asyncio.gather(pool.fetchval("SELECT 1"), redis.ping())
    return Health("healthy", "connected", "connected", VERSION, ENVIRONMENT)


@asynccontextmanager
async def _lifespan(_: Litestar) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    _resources["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
    _resources["redis"] = Redis.from_url(os.environ["REDIS_URL"])
    try:
        yield
    finally:
        await _resources["redis"].aclose()  # type: ignore[attr-defined]
        await _resources["pool"].close()  # type: ignore[attr-defined]


def create_app() -> Litestar:
    return Litestar(route_handlers=[welcome, health], lifespan=[_lifespan])


def main() -> None:
    """``python -m bench.bare_app PORT WORKERS SERVER``."""
    import sys

    from entrypoints.cli.processes import serve

    port, workers, server = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    serve("bench.bare_app:create_app", host="127.0.0.1", port=port, workers=workers, server=server)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
