"""``/admin/accounts``: operators create accounts, look them up, change roles or deactivate.

Callable with an API key or by a signed-in admin. Each change is logged with who made it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody

from adapters.postgres.accounts import SqlAlchemyAccounts
from adapters.postgres.audit import UnitOfWorkAuditLog
from adapters.postgres.unit_of_work import SqlAlchemyUnitOfWork
from domain.audit import AuditStamp, AuditTrail, who
from domain.errors import RuleRefused
from domain.identity import administration
from domain.identity.administration import AccountChange
from domain.identity.model import Account
from entrypoints.http.auth import acting_admin, api_key_or_admin, operator
from entrypoints.http.services import WebServices, services_of

logger = logging.getLogger("cap_portal.admin")
AnyRequest = Request[Any, Any, Any]


class NewAccount(msgspec.Struct, forbid_unknown_fields=True):
    email: str | None = None
    roles: list[str] = []
    # Omitted: the person has not signed up yet; the account waits for their email (pending).
    clerk_user_id: str | None = None


class AccountChanges(msgspec.Struct, forbid_unknown_fields=True):
    roles: list[str] | None = None
    deactivated: bool | None = None


class AccountView(msgspec.Struct):
    clerk_user_id: str | None
    email: str | None
    roles: list[str]
    status: str
    family_id: str | None = None
    provider_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_seen_at: datetime | None = None
    # False when Clerk's public_metadata could not be updated at once; the job named by
    # directory_sync_job_id writes it once Clerk answers.
    directory_synced: bool | None = None
    directory_sync_job_id: str | None = None


def _view(account: Account, change: AccountChange | None = None) -> AccountView:
    return AccountView(
        clerk_user_id=account.clerk_user_id,
        email=account.email,
        roles=sorted(account.roles),
        status="deactivated" if account.deactivated else "active",
        family_id=account.family_id,
        provider_id=account.provider_id,
        created_at=account.created_at,
        updated_at=account.updated_at,
        last_seen_at=account.last_seen_at,
        directory_synced=change.directory_synced if change else None,
        directory_sync_job_id=change.directory_sync_job_id if change else None,
    )


def _parts(request: AnyRequest) -> tuple[WebServices, Any, SqlAlchemyAccounts]:
    services = services_of(request)
    uow = services.unit_of_work()
    return services, uow, SqlAlchemyAccounts(uow)


def _trail(request: AnyRequest, uow: SqlAlchemyUnitOfWork) -> AuditTrail:
    """The audit log in the account change's own transaction, as the admin API and its operator."""
    stamp = AuditStamp(who("admin-api", operator(request)), services_of(request).clock.now())
    return AuditTrail(UnitOfWorkAuditLog(uow), stamp)


@post("/admin/accounts", guards=[api_key_or_admin], summary="Create an account (or a pending one)")
async def create_account(request: AnyRequest, data: JSONBody[NewAccount]) -> Response[AccountView]:
    services, uow, accounts = _parts(request)
    if data.clerk_user_id is None:
        return await _create_pending(request, data)
    change = await administration.create_account(
        uow,
        accounts,
        services.identity.directory,
        services.job_queue,
        clerk_user_id=data.clerk_user_id,
        email=data.email,
        roles=data.roles,
        audit=_trail(request, uow),
    )
    logger.info(
        "account created",
        extra={"by": operator(request), "clerk_user_id": data.clerk_user_id, "roles": sorted(data.roles)},
    )
    return Response(_view(change.account, change), status_code=201)


async def _create_pending(request: AnyRequest, data: NewAccount) -> Response[AccountView]:
    _, uow, accounts = _parts(request)
    if data.email is None:
        raise RuleRefused("Give clerk_user_id, or email for a pending account.", code="missing_identity")
    pending = await administration.create_pending_account(
        uow, accounts, email=data.email, roles=data.roles, audit=_trail(request, uow)
    )
    logger.info("pending account created", extra={"by": operator(request), "roles": sorted(pending.roles)})
    view = AccountView(
        clerk_user_id=None,
        email=pending.email,
        roles=sorted(pending.roles),
        status="pending",
        created_at=pending.created_at,
    )
    return Response(view, status_code=201)


@get("/admin/accounts/{clerk_user_id:str}", guards=[api_key_or_admin], summary="One account")
async def read_account(request: AnyRequest, clerk_user_id: FromPath[str]) -> AccountView:
    _, uow, accounts = _parts(request)
    return _view(await administration.find_account(uow, accounts, clerk_user_id))


@patch("/admin/accounts/{clerk_user_id:str}", guards=[api_key_or_admin], summary="Change roles or deactivate")
async def change_account(
    request: AnyRequest, clerk_user_id: FromPath[str], data: JSONBody[AccountChanges]
) -> AccountView:
    services, uow, accounts = _parts(request)
    change = await administration.change_account(
        uow,
        accounts,
        services.identity.directory,
        services.job_queue,
        clerk_user_id,
        roles=data.roles,
        deactivated=data.deactivated,
        audit=_trail(request, uow),
        # A signed-in admin is held to the console's rule: not their own deactivation or admin role.
        acting_user_id=acting_admin(request),
    )
    logger.info(
        "account changed",
        extra={
            "by": operator(request),
            "clerk_user_id": clerk_user_id,
            "roles": data.roles,
            "deactivated": data.deactivated,
        },
    )
    return _view(change.account, change)


ROUTES = [create_account, read_account, change_account]
