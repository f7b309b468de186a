"""Job messages sent from the caller's own event loop, on asyncio Redis (the web process, and the
scheduler's claims, cron firings and relay).

The web process has no worker and no private event-loop thread: a job asked for in a request is
written in the request's transaction, and after the commit its message goes out here, in one
MULTI/EXEC (the same commands as the worker's broker, from ``broker.send_commands``), awaited on
the request's loop. A Redis that does not answer costs at most ``timeout`` seconds and is only
logged: the row is ``queued`` and the scheduler's relay sends it once Redis answers. Dramatiq's
enqueue hooks are not run: none of the middleware the web process would carry has any.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from dramatiq.common import dq_name
from redis.asyncio import Redis

from adapters.jobs.broker import NAMESPACE, dead_letter_removal, send_commands
from adapters.jobs.dispatch_store import OutgoingJob
from adapters.jobs.messages import job_message

logger = logging.getLogger("cap_portal.jobs")
SEND_CHUNK = 500  # messages per Redis round trip


class AsyncJobSender:
    def __init__(self, redis: Redis, *, timeout: float) -> None:
        self._redis = redis
        self._timeout = timeout

    async def send(self, jobs: Sequence[OutgoingJob]) -> int:
        """Send the jobs' messages, a chunk per round trip; a failure is logged, not raised. Returns
        how many were sent."""
        sent = 0
        for start in range(0, len(jobs), SEND_CHUNK):
            chunk = jobs[start : start + SEND_CHUNK]
            messages = [job_message(j.id, j.name, j.queue, j.args, j.kwargs) for j in chunk]
            try:
                await self._execute(send_commands(messages), transaction=True)
            except Exception as exc:  # noqa: BLE001 - the row is the record; the relay resends
                extra = {"job_ids": [j.id for j in chunk[:20]], "count": len(chunk), "reason": repr(exc)}
                if len(chunk) == 1:
                    extra["job_id"] = chunk[0].id
                logger.warning("job message not sent; the relay will resend it", extra=extra)
            else:
                sent += len(chunk)
        return sent

    async def holds(self, queue: str, redis_message_ids: Sequence[str]) -> list[bool]:
        """Whether each id is in the queue or its delay queue (waiting, delayed or being worked on):
        one round trip, whatever the count. Raises if Redis does not answer."""
        commands: list[tuple[object, ...]] = []
        for redis_id in redis_message_ids:
            commands.append(("hexists", f"{NAMESPACE}:{queue}.msgs", redis_id))
            commands.append(("hexists", f"{NAMESPACE}:{dq_name(queue)}.msgs", redis_id))
        answers = await self._execute(commands, transaction=False)
        return [bool(answers[i] or answers[i + 1]) for i in range(0, len(answers), 2)]

    async def remove_dead_letter(self, queue: str, redis_message_id: str) -> None:
        await self._execute(dead_letter_removal(queue, redis_message_id), transaction=False)

    async def _execute(self, commands: list[tuple[object, ...]], *, transaction: bool) -> list[object]:
        async with asyncio.timeout(self._timeout):
            async with self._redis.pipeline(transaction=transaction) as pipe:
                for command, *arguments in commands:
                    getattr(pipe, str(command))(*arguments)
                return list(await pipe.execute())
