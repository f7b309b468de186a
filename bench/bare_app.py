"""The reference: a minimal Litestar app answering ``GET /``, ``GET /health`` and
``GET /jobs/queue-info`` with our JSON.

No middleware, no error table, no CORS, no SQLAlchemy: ``/`` is a constant and ``/health`` is a
raw asyncpg ``SELECT 1`` plus a Redis ``PING``; queue-info runs the same Lua script and the same
SQL statement as ours (imported as text, so both sides always send the same reads) and builds the
same body, with no API-key check. It is served through
``entrypoints.cli.processes.serve``, so it runs on exactly the server settings of ``cap-portal run``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
from dramatiq.message import Message
from litestar import Litestar, get
from redis.asyncio import Redis

from adapters.jobs.queue_overview import OVERVIEW_STATEMENT
from adapters.jobs.queue_reader import READ_QUEUES_SCRIPT, queue_keys

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


@get("/jobs/queue-info")
async def queue_info(limit: int = 20, offset: int = 0) -> dict[str, Any]:
    pool: asyncpg.Pool = _resources["pool"]  # type: ignore[assignment]
    script: Any = _resources["queue_script"]
    names = os.environ.get("BENCH_QUEUES", "default").split(",")
    answers = await script(keys=[k for name in names for k in queue_keys(name)], args=[offset, limit])
    waiting = [[Message.decode(body) for body in answer[4] if body] for answer in answers]
    ids = [message.message_id for messages in waiting for message in messages]
    scheduled, records = {}, {}
    for row in await pool.fetch(OVERVIEW_STATEMENT, ids):
        if row["id"] is None:
            scheduled[row["queue"]] = row["scheduled"]
        else:
            records[str(row["id"])] = (row["status"], row["created_at"])
    queues = []
    for name, answer, messages in zip(names, answers, waiting, strict=True):
        jobs = []
        for message in messages:
            status, created_at = records.get(
                message.message_id, ("queued", datetime.fromtimestamp(message.message_timestamp / 1000, UTC))
            )
            jobs.append({"id": message.message_id, "func_name": message.actor_name, "created_at": created_at,
                         "status": status})  # fmt: skip
        queues.append({"name": name, "length": answer[0], "in_progress": max(0, answer[1] - answer[0]),
                       "scheduled": scheduled.get(name, 0), "delayed": answer[2], "dead_lettered": answer[3],
                       "jobs": jobs})  # fmt: skip
    default = next(q for q in queues if q["name"] == "default")
    return {**default, "queues": queues, "limit": limit, "offset": offset}


@asynccontextmanager
async def _lifespan(_: Litestar) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    _resources["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
    _resources["redis"] = redis = Redis.from_url(os.environ["REDIS_URL"])
    _resources["queue_script"] = redis.register_script(READ_QUEUES_SCRIPT)
    try:
        yield
    finally:
        await _resources["redis"].aclose()  # type: ignore[attr-defined]
        await _resources["pool"].close()  # type: ignore[attr-defined]


def create_app() -> Litestar:
    return Litestar(route_handlers=[welcome, health, queue_info], lifespan=[_lifespan])


def main() -> None:
    """``python -m bench.bare_app PORT WORKERS SERVER``."""
    import sys

    from entrypoints.cli.processes import serve

    port, workers, server = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    serve("bench.bare_app:create_app", host="127.0.0.1", port=port, workers=workers, server=server)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
