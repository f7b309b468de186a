"""Publishing the programme's events inside the transaction that caused them.

The publisher hands each event to an ``Enqueue`` callable (a job name and a JSON payload) that must
record it in the caller's transaction, so the event exists exactly when the allocation does. Until the
jobs capability's queue is wired in, :class:`OutboxEnqueue` writes it to the ``programme_events``
outbox table; a consumer publishes rows whose ``published_at`` is still null.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.postgres.programme.rows import ProgrammeEventRow
from domain.programme.events import AllocationCreated

Enqueue = Callable[[str, dict[str, Any]], Awaitable[None]]

ALLOCATION_CREATED = "programme.allocation_created"


def allocation_created_payload(event: AllocationCreated) -> dict[str, Any]:
    return {
        "allocation_id": event.allocation_id,
        "child_id": event.child_id,
        "family_id": event.family_id,
        "month": event.month.isoformat(),
        "allocation_cents": event.allocation_cents,
        "occurred_at": event.occurred_at.isoformat(),
    }


class EnqueueingAllocationEventPublisher:
    """Satisfies ``AllocationEventPublisher``."""

    def __init__(self, enqueue: Enqueue) -> None:
        self._enqueue = enqueue

    async def allocation_created(self, event: AllocationCreated) -> None:
        await self._enqueue(ALLOCATION_CREATED, allocation_created_payload(event))


class OutboxEnqueue:
    """An ``Enqueue`` that inserts into ``programme_events`` in the session's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def __call__(self, job_name: str, payload: dict[str, Any]) -> None:
        await self._session.execute(
            insert(ProgrammeEventRow).values(name=job_name, payload=payload, created_at=func.now())
        )
