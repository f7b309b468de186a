"""The asyncio Redis client for the web process."""

from __future__ import annotations

from redis.asyncio import Redis


def build_redis(redis_url: str, *, timeout: float = 2.0) -> Redis:
    # Short timeouts: a Redis that does not answer should fail a request quickly (503), not hang it.
    return Redis.from_url(
        redis_url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
    )


class RedisProbe:
    """Satisfies ``domain.ports.DependencyProbe`` with a ``PING``."""

    name = "redis"

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def check(self) -> None:
        await self._redis.ping()
