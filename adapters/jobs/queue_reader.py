"""What Redis holds for every queue, read on the web process's asyncio Redis in one round trip.

The queue-info API used to make two synchronous calls per queue in a thread pool; one Lua script
(sent once, then called by its SHA) now reads every queue's four counts and the next waiting
messages of each, so the cost is one round trip whatever the number of queues or their lengths:
``LLEN``/``HLEN``/``ZCARD`` are O(1) and the page is at most ``limit`` messages.

The key names are Dramatiq's Redis layout (``<namespace>:<queue>``, ``.msgs``, the delay queue
``<queue>.DQ`` and the dead-letter queue ``<queue>.XQ``), spelled by the broker's own helpers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dramatiq.common import dq_name, xq_name
from dramatiq.message import Message
from redis.asyncio import Redis

from adapters.jobs.broker import NAMESPACE
from adapters.jobs.messages import QueueCounts, QueuedMessage

# KEYS: per queue, the queue list, its message hash, the delay queue's hash, the dead-letter zset.
# ARGV: offset, limit. Returns per queue {llen, hlen msgs, hlen delayed, zcard dead, {bodies...}};
# a message id whose body is gone (acked meanwhile) comes back as nil and is skipped.
READ_QUEUES_SCRIPT = """
local offset = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local out = {}
for i = 1, #KEYS, 4 do
  local bodies = {}
  if limit > 0 then
    local ids = redis.call('LRANGE', KEYS[i], offset, offset + limit - 1)
    if #ids > 0 then
      bodies = redis.call('HMGET', KEYS[i + 1], unpack(ids))
    end
  end
  out[#out + 1] = {
    redis.call('LLEN', KEYS[i]),
    redis.call('HLEN', KEYS[i + 1]),
    redis.call('HLEN', KEYS[i + 2]),
    redis.call('ZCARD', KEYS[i + 3]),
    bodies,
  }
end
return out
"""


def queue_keys(queue: str, namespace: str = NAMESPACE) -> list[str]:
    names = (queue, f"{queue}.msgs", f"{dq_name(queue)}.msgs", xq_name(queue))
    return [f"{namespace}:{name}" for name in names]


class QueueReader:
    """Counts and the next waiting messages of every queue, in one Redis round trip."""

    def __init__(self, redis: Redis, namespace: str = NAMESPACE) -> None:
        self._namespace = namespace
        self._script = redis.register_script(READ_QUEUES_SCRIPT)

    async def read(
        self, queues: Sequence[str], *, offset: int, limit: int
    ) -> list[tuple[QueueCounts, list[QueuedMessage]]]:
        keys = [key for queue in queues for key in queue_keys(queue, self._namespace)]
        answers: list[list[Any]] = await self._script(keys=keys, args=[offset, limit])
        return [_queue(queue, answer) for queue, answer in zip(queues, answers, strict=True)]


def _queue(queue: str, answer: list[Any]) -> tuple[QueueCounts, list[QueuedMessage]]:
    length, held, delayed, dead, bodies = answer
    # `held` counts waiting and fetched-but-unacknowledged messages alike.
    counts = QueueCounts(queue, int(length), max(0, int(held) - int(length)), int(delayed), int(dead))
    messages = []
    for body in bodies:
        if body:
            message = Message.decode(body)
            messages.append(QueuedMessage(message.message_id, message.actor_name, message.message_timestamp))
    return counts, messages
