"""Who is calling: Litestar guards and dependencies for signed-in people and operators.

A session token is read from ``Authorization: Bearer <jwt>`` only; the ``__session`` cookie is
read where a route says so with ``opt={"session_cookie": True}``, never as a silent fallback.
No or bad sign-in → 401 (the frontend signs the user out); signed in but without the right
account or role, or deactivated → 403. Roles come from our accounts table, never from the token.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from adapters.clerk.session_tokens import REFUSAL
from domain.errors import Unauthenticated
from domain.identity.access import Caller, admit, identify, refuse_deactivated
from domain.identity.model import Role
from entrypoints.http.api_keys import presented_key
from entrypoints.http.services import services_of

Connection = ASGIConnection[Any, Any, Any, Any]
Guard = Any  # Litestar's guard signature; typed loosely because it is generic over the connection

SESSION_COOKIE = "__session"
_CALLER = "caller"
_OPERATOR = "operator"
# What `operator` names a machine with the API key by (a person is named by their Clerk user id).
API_KEY_OPERATOR = "api-key"


def session_token(connection: Connection) -> str | None:
    """The session token the request carries, or None if it carries none; 401 if it is garbled."""
    values = connection.headers.getall("authorization", [])
    if len(values) > 1:
        raise Unauthenticated(REFUSAL, code="unauthenticated")  # which one would we believe?
    if values:
        scheme, _, token = values[0].partition(" ")
        # Scheme names are case-insensitive (RFC 7235): "bearer" is accepted like "Bearer".
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(REFUSAL, code="unauthenticated")
        return token.strip()
    if connection.route_handler.opt.get("session_cookie"):
        return connection.cookies.get(SESSION_COOKIE) or None
    return None


async def current_caller(connection: Connection) -> Caller | None:
    """The verified caller (token checked, account looked up) once per request; None if anonymous."""
    if _CALLER in connection.state:
        cached: Caller | None = connection.state[_CALLER]
        return cached
    token = session_token(connection)
    caller = None
    if token is not None:
        services = services_of(connection)
        sign_in = await services.identity.verifier.verify(token)
        caller = await identify(services.sign_in_accounts, services.clock, sign_in)
    connection.state[_CALLER] = caller
    return caller


async def required_caller(connection: Connection) -> Caller:
    caller = await current_caller(connection)
    if caller is None:
        raise Unauthenticated(REFUSAL, code="unauthenticated")
    return caller


async def signed_in(connection: Connection, _: BaseRouteHandler) -> None:
    """Guard: any signed-in person whose account (if they have one) is not deactivated."""
    refuse_deactivated(await required_caller(connection))


def role_guard(*roles: Role) -> Guard:
    """Guard: signed in, with an active account holding one of ``roles``."""

    async def guard(connection: Connection, _: BaseRouteHandler) -> None:
        admit(await required_caller(connection), roles)

    guard.__name__ = f"requires_{'_or_'.join(role.value for role in roles)}"
    return guard


family_only = role_guard(Role.FAMILY)
provider_only = role_guard(Role.PROVIDER)
admin_only = role_guard(Role.ADMIN)


async def api_key_or_admin(connection: Connection, handler: BaseRouteHandler) -> None:
    """Guard for the admin API: a machine with an API key, or a person with the admin role.

    A wrong key in ``X-API-Key`` is a 401 even with a valid session token beside it: the caller
    said it was a machine.
    """
    if connection.app.state.api_keys.accepts(presented_key(connection)):
        connection.state[_OPERATOR] = API_KEY_OPERATOR
        return
    if connection.headers.get("x-api-key") is not None:
        raise Unauthenticated("The API key is not valid.", code="unauthenticated")
    await admin_only(connection, handler)
    connection.state[_OPERATOR] = (await required_caller(connection)).user_id


def operator(connection: Connection) -> str:
    """Who passed ``api_key_or_admin``: "api-key" or the admin's Clerk user id (for the log)."""
    return str(connection.state.get(_OPERATOR, "unknown"))


def acting_admin(connection: Connection) -> str | None:
    """The signed-in admin who passed ``api_key_or_admin``, or None for an API-key operator (a
    machine has no account of its own to lock out)."""
    who = connection.state.get(_OPERATOR)
    return None if who in (None, API_KEY_OPERATOR) else str(who)
