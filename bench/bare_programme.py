"""The reference for the programme's hot reads: a bare Litestar + asyncpg + PyJWT app answering a
child's month (``GET /child/{id}/allocation/{m}/{y}``) with our JSON.

It does what our route must do and nothing else: verify the session token with PyJWT (RS256, issuer,
required claims, the key from ``CLERK_JWT_KEY``), look the account up with the statement our sign-in
sends, check that the child is the family's, and read the child, the month's allocation and its care
days with the statements our month view sends (imported as text, so both sides always send the same
reads). The figures and the JSON come from the same domain functions and view structs as ours, so the
difference between the two apps is the framework around the work: guards, middleware, error handling,
the sign-in and programme layers. No middleware, no error table. Served through
``entrypoints.cli.processes.serve`` on the settings of ``cap-portal run``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, cast
from uuid import UUID

import asyncpg
import jwt
from litestar import Litestar, Request, get
from litestar.exceptions import NotAuthorizedException, NotFoundException
from sqlalchemy.dialects import postgresql

from adapters.clock import SystemClock
from adapters.postgres.accounts import _ACCOUNT_BY_ID
from adapters.postgres.programme.allocations import allocation_from_row
from adapters.postgres.programme.care_days import care_day_from_row
from adapters.postgres.programme.month_reads import (
    ALLOCATION_STATEMENT,
    CARE_DAYS_STATEMENT,
    CHILD_STATEMENT,
)
from adapters.postgres.raw_pool import _keep_session
from adapters.postgres.raw_rows import RecordFields
from domain.programme.allocations import allocation_figures
from domain.programme.business_time import BusinessCalendar
from domain.programme.config import ProgrammeRules
from domain.programme.use_cases.care_day_access import view_care_day
from domain.programme.use_cases.reading import ChildAllocationView
from entrypoints.http.programme.views import AllocationJson, allocation_json

ACCOUNT_STATEMENT = str(_ACCOUNT_BY_ID.compile(dialect=postgresql.asyncpg.dialect()))  # type: ignore[attr-defined]
_resources: dict[str, Any] = {}


def _signed_in_user(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise NotAuthorizedException()
    try:
        claims = jwt.decode(
            token.strip(),
            _resources["key"],
            algorithms=["RS256"],
            issuer=os.environ["CLERK_ISSUER"],
            leeway=5,
            options={"require": ["exp", "iat", "nbf", "iss", "sub", "sid"]},
        )
    except jwt.PyJWTError:
        raise NotAuthorizedException() from None
    return str(claims["sub"])


@get("/child/{child_id:str}/allocation/{month:int}/{year:int}")
async def child_month(
    request: Request[Any, Any, Any], child_id: str, month: int, year: int
) -> AllocationJson:
    pool: asyncpg.Pool = _resources["pool"]
    calendar: BusinessCalendar = _resources["calendar"]
    user = _signed_in_user(request)
    account = await pool.fetchrow(ACCOUNT_STATEMENT, user)
    if account is None or account["deactivated"] or "family" not in account["roles"]:
        raise NotAuthorizedException()
    child = await pool.fetchrow(CHILD_STATEMENT, UUID(child_id))
    if child is None or str(child["family_id"]) != account["family_id"]:
        raise NotFoundException()
    allocation_row = await pool.fetchrow(ALLOCATION_STATEMENT, child["id"], date(year, month, 1))
    if allocation_row is None:
        raise NotFoundException()
    allocation = allocation_from_row(cast(Any, RecordFields(allocation_row)))
    rows = await pool.fetch(CARE_DAYS_STATEMENT, allocation.id)
    days = [care_day_from_row(cast(Any, RecordFields(row)), row["allocation_child_id"]) for row in rows]
    view = ChildAllocationView(
        allocation=allocation,
        figures=allocation_figures(allocation, days, calendar),
        care_days=tuple(view_care_day(day, calendar) for day in days),
    )
    return allocation_json(view)


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy"}  # only for the harness's "is it serving" wait


@asynccontextmanager
async def _lifespan(_: Litestar) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    # No reset query on release, as our raw pool (it would add four statements to every read).
    _resources["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=10, reset=_keep_session)
    _resources["key"] = os.environ["CLERK_JWT_KEY"]
    _resources["calendar"] = BusinessCalendar(SystemClock(), ProgrammeRules().business_timezone)
    try:
        yield
    finally:
        await _resources["pool"].close()


def create_app() -> Litestar:
    return Litestar(route_handlers=[child_month, health], lifespan=[_lifespan])


def main() -> None:
    """``python -m bench.bare_programme PORT WORKERS SERVER``."""
    import sys

    from entrypoints.cli.processes import serve

    port, workers, server = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    serve("bench.bare_programme:create_app", host="127.0.0.1", port=port, workers=workers, server=server)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
