"""The outbox relay: a ``queued`` job whose message is not in Redis is sent again.

That happens when Redis was down (or the process died) between the commit and the send. The
relay asks Redis about each candidate by id (``HEXISTS``), never by scanning a queue.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from adapters.jobs.dispatch_store import JobDispatchStore, OutgoingJob

logger = logging.getLogger("cap_portal.scheduler")

BATCH = 500
SendMany = Callable[[Sequence[OutgoingJob]], Awaitable[int]]
Holds = Callable[[str, Sequence[str]], Awaitable[list[bool]]]


class Relay:
    """``holds`` and ``send_many`` are awaited on the scheduler's loop (``AsyncJobSender``'s)."""

    def __init__(self, store: JobDispatchStore, holds: Holds, send_many: SendMany) -> None:
        self._store, self._holds, self._send_many = store, holds, send_many

    async def run_once(self, quiet_for: timedelta) -> int:
        """Resend what is missing among jobs queued for longer than ``quiet_for``; return how many."""
        candidates = await self._store.unsent_candidates(datetime.now(UTC) - quiet_for, BATCH)
        if not candidates:
            return 0
        by_queue: dict[str, list[OutgoingJob]] = defaultdict(list)
        for job in candidates:
            by_queue[job.queue].append(job)
        missing: list[OutgoingJob] = []
        try:
            for queue, jobs in by_queue.items():
                present = await self._holds(queue, [job.redis_message_id or job.id for job in jobs])
                missing += [job for job, there in zip(jobs, present, strict=True) if not there]
            if missing:
                await self._send_many(missing)
                logger.warning("relay resent job messages missing from Redis", extra={"count": len(missing)})
        except Exception as exc:  # noqa: BLE001 - Redis still down: try again next round
            logger.warning("relay could not reach Redis", extra={"reason": repr(exc)})
            return 0
        await self._store.mark_checked([job.id for job in candidates], resent=[job.id for job in missing])
        return len(missing)
