"""``/auth/*``: who the signed-in caller is, for the frontend."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get

from domain.errors import Unauthenticated
from entrypoints.http.auth import current_caller, required_caller, signed_in


class Me(msgspec.Struct):
    user_id: str
    roles: list[str]
    family_id: str | None
    provider_id: str | None
    email: str | None


class SignInStatus(msgspec.Struct):
    authenticated: bool
    user_id: str | None


@get("/auth/me", guards=[signed_in], summary="The signed-in caller's roles and linked records")
async def me(request: Request[Any, Any, Any]) -> Me:
    caller = await required_caller(request)
    account = caller.account
    return Me(
        user_id=caller.user_id,
        roles=sorted(role.value for role in caller.roles),
        family_id=account.family_id if account else None,
        provider_id=account.provider_id if account else None,
        email=account.email if account else None,
    )


@get("/auth/status", summary="Whether the request is signed in (never 401)")
async def status(request: Request[Any, Any, Any]) -> SignInStatus:
    try:
        caller = await current_caller(request)
    except Unauthenticated:
        # A bad token here just means "not signed in"; an outage (503) is still reported as one.
        caller = None
    return SignInStatus(authenticated=caller is not None, user_id=caller.user_id if caller else None)


ROUTES = [me, status]
