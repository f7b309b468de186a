"""The reference for the programme's hot paths: a bare Litestar + asyncpg + PyJWT app answering a
child's month (``GET /child/{id}/allocation/{m}/{y}``), ``/auth/me``, ``GET /family/{child_id}``,
``GET /provider`` and ``POST /care-days`` with our JSON.

It does what our route must do and nothing else: verify the session token with PyJWT (RS256, issuer,
required claims, the key from ``CLERK_JWT_KEY``), look the account up with the statement our sign-in
sends, check that the child is the family's, and read the child, the month's allocation and its care
days with the statements our month view sends (imported as text, so both sides always send the same
reads; ``POST /care-days`` sends our create's nine statements, written out here, in one transaction).
The figures and the JSON come from the same domain functions and view structs as ours, so the
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
import msgspec
from litestar import Litestar, Request, get, post
from litestar.exceptions import NotAuthorizedException, NotFoundException, ValidationException

from adapters.clock import SystemClock
from adapters.postgres.accounts import ACCOUNT_STATEMENT, account_from_record
from adapters.postgres.money.flag_reads import (
    BALANCE_STATEMENT,
    FAMILY_SETTINGS_STATEMENT,
    PROVIDER_SETTINGS_STATEMENT,
)
from adapters.postgres.money.settings import _family as family_wallet_from_row
from adapters.postgres.money.settings import _provider as provider_settings_from_row
from adapters.postgres.programme.allocations import allocation_from_row
from adapters.postgres.programme.care_days import care_day_from_row
from adapters.postgres.programme.families import child_from_row
from adapters.postgres.programme.home_reads import (
    CARED_FOR_CHILDREN_STATEMENT,
    CARING_PROVIDERS_STATEMENT,
    FAMILY_CHILDREN_STATEMENT,
    PROVIDER_RATES_STATEMENT,
    PROVIDER_STATEMENT,
)
from adapters.postgres.programme.month_reads import (
    ALLOCATION_STATEMENT,
    CARE_DAYS_STATEMENT,
    CHILD_STATEMENT,
)
from adapters.postgres.programme.providers import provider_from_row
from adapters.postgres.programme.rates import rate_from_row
from adapters.postgres.programme.rows import MonthAllocationRow, PaymentRateRow
from adapters.postgres.raw_pool import _keep_session
from adapters.postgres.raw_rows import RecordFields, columns, fields
from domain.identity.model import Account
from domain.money.use_cases.dashboards import FamilyPaymentFlags
from domain.money.wallets import can_make_payments, is_payable
from domain.programme.allocations import allocation_figures, remaining_unselected_cents
from domain.programme.business_time import BusinessCalendar, in_same_month
from domain.programme.care_days import CareDay, CareDayType, cost_cents, coverage
from domain.programme.config import ProgrammeRules
from domain.programme.use_cases.care_day_access import view_care_day
from domain.programme.use_cases.dashboards import FamilyDashboard, ProviderChild, ProviderDashboard
from domain.programme.use_cases.reading import ChildAllocationView
from entrypoints.http.identity import Me
from entrypoints.http.programme.dashboards import FamilyHome, ProviderHome
from entrypoints.http.programme.dashboards import _family_home as family_home_json
from entrypoints.http.programme.dashboards import _provider_home as provider_home_json
from entrypoints.http.programme.views import AllocationJson, CareDayJson, allocation_json, care_day_json

# Our create's statements (adapters/postgres/programme), written out: the allocation, its child (whose
# family must be the caller's), the allocation locked, the link, the rate, the same day's row, the
# allocation's days (CARE_DAYS_STATEMENT) and the INSERT.
ALLOCATION_BY_ID = f"SELECT {columns(MonthAllocationRow.__table__)} FROM month_allocations WHERE id = $1"
ALLOCATION_FOR_UPDATE = ALLOCATION_BY_ID + " FOR UPDATE"
LINK_STATEMENT = "SELECT 1 FROM provider_child_links WHERE provider_id = $1 AND child_id = $2"
RATE_STATEMENT = (
    f"SELECT {columns(PaymentRateRow.__table__)} FROM payment_rates WHERE provider_id = $1 AND child_id = $2"
)
TWIN_STATEMENT = "SELECT id FROM care_days WHERE allocation_id = $1 AND provider_id = $2 AND date = $3"
INSERT_CARE_DAY = (
    "INSERT INTO care_days (allocation_id, provider_id, date, created_at, updated_at, type, amount_cents,"
    " amount_missing_cents, payment_distribution_requested) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, false)"
    " RETURNING id"
)
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


async def _account(request: Request[Any, Any, Any], role: str) -> Account:
    user = _signed_in_user(request)
    row = await _resources["pool"].fetchrow(ACCOUNT_STATEMENT, user)
    if row is None or row["deactivated"] or role not in row["roles"]:
        raise NotAuthorizedException()
    return account_from_record(row)


@get("/auth/me")
async def me(request: Request[Any, Any, Any]) -> Me:
    user = _signed_in_user(request)
    row = await _resources["pool"].fetchrow(ACCOUNT_STATEMENT, user)
    if row is None or row["deactivated"]:
        raise NotAuthorizedException()
    account = account_from_record(row)
    roles = sorted(role.value for role in account.roles)
    return Me(user, roles, account.family_id, account.provider_id, account.email)


@get("/family/{child_id:str}")
async def family_child_home(request: Request[Any, Any, Any], child_id: str) -> FamilyHome:
    pool: asyncpg.Pool = _resources["pool"]
    account = await _account(request, "family")
    family_id = UUID(account.family_id)
    children = [child_from_row(fields(r)) for r in await pool.fetch(FAMILY_CHILDREN_STATEMENT, family_id)]
    selected = next((c for c in children if c.id == child_id), None)
    if selected is None:
        raise NotFoundException()
    caring = await pool.fetch(CARING_PROVIDERS_STATEMENT, UUID(selected.id))
    providers = [provider_from_row(fields(r)) for r in caring]
    settings = await pool.fetchrow(FAMILY_SETTINGS_STATEMENT, family_id)
    balance = await pool.fetchrow(BALANCE_STATEMENT, "family_wallet", family_id)
    provider_ids = [p.id for p in providers]
    payable = {
        str(r["provider_id"]): provider_settings_from_row(fields(r))
        for r in await pool.fetch(PROVIDER_SETTINGS_STATEMENT, [UUID(p) for p in provider_ids])
    }
    flags = FamilyPaymentFlags(
        can_make_payments=can_make_payments(
            None if settings is None else family_wallet_from_row(fields(settings)),
            0 if balance is None else balance["balance_cents"],
        ),
        payable_provider_ids=frozenset(p for p in provider_ids if is_payable(payable.get(p))),
    )
    home = FamilyDashboard(selected, tuple(children), tuple(providers))
    return family_home_json(home, flags, account)


@get("/provider")
async def provider_home(request: Request[Any, Any, Any]) -> ProviderHome:
    pool: asyncpg.Pool = _resources["pool"]
    account = await _account(request, "provider")
    key = UUID(account.provider_id)
    row = await pool.fetchrow(PROVIDER_STATEMENT, key)
    if row is None:
        raise NotFoundException()
    cared_for = [child_from_row(fields(r)) for r in await pool.fetch(CARED_FOR_CHILDREN_STATEMENT, key)]
    rates = {
        str(r["child_id"]): rate_from_row(fields(r)) for r in await pool.fetch(PROVIDER_RATES_STATEMENT, key)
    }
    settings = await pool.fetch(PROVIDER_SETTINGS_STATEMENT, [key])
    payable = bool(settings) and is_payable(provider_settings_from_row(fields(settings[0])))
    children = tuple(ProviderChild(child, rates.get(child.id)) for child in cared_for)
    rules: ProgrammeRules = _resources["rules"]
    home = ProviderDashboard(provider_from_row(fields(row)), children, rules.max_children_per_provider)
    return provider_home_json(home, payable, account)


class NewCareDay(msgspec.Struct, forbid_unknown_fields=True):
    allocation_id: int
    provider_id: str
    date: date
    type: CareDayType


async def _create_care_day(
    connection: asyncpg.Connection, account: Account, data: NewCareDay, calendar: BusinessCalendar
) -> CareDay:
    """Our create's statements (``domain.programme.use_cases.care_days.create_care_day``) and rules."""
    allocation_row = await connection.fetchrow(ALLOCATION_BY_ID, data.allocation_id)
    if allocation_row is None:
        raise ValidationException("Allocation not found")
    child = await connection.fetchrow(CHILD_STATEMENT, allocation_row["child_id"])
    if child is None or str(child["family_id"]) != account.family_id:
        raise ValidationException("Allocation not found")
    allocation = allocation_from_row(
        fields(await connection.fetchrow(ALLOCATION_FOR_UPDATE, data.allocation_id))
    )
    provider_key = UUID(data.provider_id)
    if await connection.fetchrow(LINK_STATEMENT, provider_key, allocation_row["child_id"]) is None:
        raise ValidationException("Provider not linked")
    rate_row = await connection.fetchrow(RATE_STATEMENT, provider_key, allocation_row["child_id"])
    if rate_row is None:
        raise ValidationException("Payment rate not set")
    if not in_same_month(data.date, allocation.month) or data.date < calendar.today():
        raise ValidationException("Date outside the allocation's open days")
    if calendar.is_locked(data.date):
        raise ValidationException("Locked")
    twin = await connection.fetchrow(TWIN_STATEMENT, allocation.id, provider_key, data.date)
    if twin is not None:
        raise ValidationException("Care day already exists")  # the bench only schedules new days
    rows = await connection.fetch(CARE_DAYS_STATEMENT, allocation.id)
    days = [care_day_from_row(fields(row), row["allocation_child_id"]) for row in rows]
    rate = rate_from_row(fields(rate_row))
    cover = coverage(cost_cents(rate, data.type), remaining_unselected_cents(allocation, days))
    if cover is None:
        raise ValidationException("Allocation exceeded")
    now = calendar.now()
    new_id = await connection.fetchval(
        INSERT_CARE_DAY,
        allocation.id, provider_key, data.date, now, data.type.value, cover.amount_cents,
        cover.amount_missing_cents,
    )  # fmt: skip
    return CareDay(
        id=new_id, allocation_id=allocation.id, child_id=allocation.child_id, provider_id=data.provider_id,
        date=data.date, type=data.type, amount_cents=cover.amount_cents,
        amount_missing_cents=cover.amount_missing_cents, created_at=now, updated_at=now,
    )  # fmt: skip


@post("/care-days", status_code=201)
async def create_care_day(request: Request[Any, Any, Any], data: NewCareDay) -> CareDayJson:
    account = await _account(request, "family")
    calendar: BusinessCalendar = _resources["calendar"]
    async with _resources["pool"].acquire() as connection, connection.transaction():
        care_day = await _create_care_day(connection, account, data, calendar)
    return care_day_json(view_care_day(care_day, calendar))


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy"}  # only for the harness's "is it serving" wait


@asynccontextmanager
async def _lifespan(_: Litestar) -> AsyncIterator[None]:
    dsn = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    # No reset query on release, as our raw pool (it would add four statements to every read).
    _resources["pool"] = await asyncpg.create_pool(dsn, min_size=1, max_size=10, reset=_keep_session)
    _resources["key"] = os.environ["CLERK_JWT_KEY"]
    _resources["rules"] = rules = ProgrammeRules()
    _resources["calendar"] = BusinessCalendar(SystemClock(), rules.business_timezone)
    try:
        yield
    finally:
        await _resources["pool"].close()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[child_month, me, family_child_home, provider_home, create_care_day, health],
        lifespan=[_lifespan],
    )


def main() -> None:
    """``python -m bench.bare_programme PORT WORKERS SERVER``."""
    import sys

    from entrypoints.cli.processes import serve

    port, workers, server = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    serve("bench.bare_programme:create_app", host="127.0.0.1", port=port, workers=workers, server=server)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
