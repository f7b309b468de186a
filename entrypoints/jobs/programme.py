"""The programme's jobs: the monthly allocation run (a system schedule) and the allocation event.

``programme.allocation_created`` is written in each allocation's transaction (see
``adapters/postgres/programme/events.py``). It is the seam for other capabilities: a capability that
must act on new allocations (payments funds the family wallet) subscribes one of its own jobs with
:func:`subscribe_to_allocation_created`, and this job asks for that job with the event's fields. Each
subscriber is its own job, so one that fails is retried alone. Delivery is at least once: a
subscriber must be idempotent (the allocation id is the natural key).
"""

from __future__ import annotations

import inspect
import logging
from collections import Counter
from datetime import timedelta
from typing import Any, TypeVar

from adapters.jobs.manager import JobFunction
from adapters.postgres.programme.events import ALLOCATION_CREATED
from domain.programme.actors import Actor
from domain.programme.use_cases.allocations import AllocationRunSummary, create_allocations_for_month
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import job_context

logger = logging.getLogger("cap_portal.jobs.programme")

MONTHLY_ALLOCATIONS = "programme.create_monthly_allocations"
# 08:00 on the 1st, in BUSINESS_TIMEZONE (the scheduler reads system crons in that timezone).
MONTHLY_ALLOCATIONS_CRON = "0 8 1 * *"
EVENT_FIELDS = ("allocation_id", "child_id", "family_id", "month", "allocation_cents", "occurred_at")

J = TypeVar("J", bound=JobFunction[Any, Any])
_allocation_created_subscribers: list[str] = []


def subscribe_to_allocation_created(job: J) -> J:
    """Decorate a job (below its ``@job_manager.job``) to have it run for every new allocation,
    called with the event's fields as keyword arguments."""
    try:
        inspect.signature(job.definition.fn).bind(**dict.fromkeys(EVENT_FIELDS))
    except TypeError as exc:
        raise TypeError(f"{job.name} cannot take the allocation event's fields: {exc}") from None
    if job.name not in _allocation_created_subscribers:
        _allocation_created_subscribers.append(job.name)
    return job


def unsubscribe_from_allocation_created(job: JobFunction[Any, Any]) -> None:
    if job.name in _allocation_created_subscribers:
        _allocation_created_subscribers.remove(job.name)


def allocation_created_subscribers() -> list[str]:
    return list(_allocation_created_subscribers)


@job_manager.job(name=ALLOCATION_CREATED, max_retries=10)
async def allocation_created(
    *, allocation_id: int, child_id: str, family_id: str, month: str, allocation_cents: int, occurred_at: str
) -> dict[str, Any]:
    """Hand the event to each subscriber's job; says honestly when nobody listens yet."""
    event = {
        "allocation_id": allocation_id,
        "child_id": child_id,
        "family_id": family_id,
        "month": month,
        "allocation_cents": allocation_cents,
        "occurred_at": occurred_at,
    }
    subscribers = allocation_created_subscribers()
    dispatched = []
    if subscribers:
        context = job_context()
        # One transaction for every subscriber's job: all of them are asked for, or none.
        async with context.unit_of_work() as uow:
            for name in subscribers:
                dispatched.append({"job": name, "job_id": context.jobs.enqueue(name, **event)})
            await uow.commit()
    return {"allocation_id": allocation_id, "subscribers": dispatched}


@job_manager.job(
    name=MONTHLY_ALLOCATIONS,
    cron=MONTHLY_ALLOCATIONS_CRON,
    time_limit=timedelta(hours=1),  # one short transaction per child; thousands of children fit
)
async def create_monthly_allocations() -> dict[str, Any]:
    """Next business month's allocation for every payment-enabled child; running it again (a retry,
    a late or repeated tick) creates nothing twice. Children that fail are listed, not retried:
    running it (or ``cap-portal allocations create``) again after a fix picks them up."""
    context = job_context()
    calendar = context.calendar
    summary = await create_allocations_for_month(
        context.programme_unit_of_work(), calendar, context.rules, Actor.admin(), month=calendar.next_month()
    )
    result = allocation_run_json(summary)
    log = logger.warning if result["failed"] else logger.info
    # Not "created": that name is taken on every log record.
    counts = {"created_count": result["created"], "skipped_count": result["skipped"]}
    log(
        "monthly allocations",
        extra={"month": result["month"], **counts, "failed_count": len(result["failed"])},
    )
    return result


def allocation_run_json(summary: AllocationRunSummary) -> dict[str, Any]:
    """The run's summary as the job result (and ``allocations create --json``): counts, not id lists,
    except for the failures someone has to look at."""
    return {
        "month": summary.month.strftime("%Y-%m"),
        "dry_run": summary.dry_run,
        "created": len(summary.created),
        "skipped": len(summary.skipped),
        "skipped_by_reason": dict(Counter(s.code for s in summary.skipped)),
        "failed": [{"child_id": f.child_id, "code": f.code, "message": f.message} for f in summary.failed],
    }
