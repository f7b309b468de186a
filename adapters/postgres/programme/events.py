"""Publishing the programme's events as background jobs, in the transaction that caused them.

An event is a job (``programme.allocation_created``) asked of the ``JobQueue`` port while the
programme's unit of work is open: the outbox adapter writes the job's record in that transaction,
so the job exists exactly when the allocation does, and its message is sent only after the commit.
The job hands the event to whichever capabilities subscribed (payments funds the family wallet).
"""

from __future__ import annotations

from typing import Any

from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork, current_unit_of_work
from domain.ports import JobQueue
from domain.programme.events import AllocationCreated

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
    """Satisfies ``AllocationEventPublisher`` for one open unit of work."""

    def __init__(self, uow: SqlAlchemyUnitOfWork, jobs: JobQueue | None) -> None:
        self._uow = uow
        self._jobs = jobs

    async def allocation_created(self, event: AllocationCreated) -> None:
        if self._jobs is None:
            raise RuntimeError("this unit of work has no job queue, so it cannot publish allocation events")
        # The queue joins whichever unit of work is open in this task; an event published from any
        # other context would be written outside the allocation's transaction, so refuse it.
        if current_unit_of_work() is not self._uow:
            raise RuntimeError("an allocation event must be published inside its unit of work")
        self._jobs.enqueue(ALLOCATION_CREATED, **allocation_created_payload(event))
