"""The edge between who is calling (API key or verified sign-in + account) and the programme's Actor.

The programme decides what an Actor may see; this module only says who the Actor is:
- on the admin routes, an API key or an account with the admin role → staff (``Actor.admin()``);
- on people's routes (``person_guard``), an account with the admin role → staff, and an API key
  is never a sign-in (401);
- a family or provider account → that family's or provider's Actor, and both when it holds both roles.
An account with the family (or provider) role that onboarding has not linked to a record yet is refused
with 403: it is known to the programme but has nothing to act for.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.handlers import BaseRouteHandler

from domain.errors import Forbidden, Unauthenticated
from domain.identity.access import admit, linked_family_id, linked_provider_id
from domain.identity.model import Account, Role
from domain.programme.actors import Actor
from entrypoints.http.auth import API_KEY_OPERATOR, Connection, Guard, operator, required_caller

AnyRequest = Request[Any, Any, Any]
PROGRAMME_ROLES = (Role.ADMIN, Role.FAMILY, Role.PROVIDER)


def actor_for_account(account: Account) -> Actor:
    family_id = account.family_id if Role.FAMILY in account.roles else None
    provider_id = account.provider_id if Role.PROVIDER in account.roles else None
    if Role.ADMIN in account.roles:
        return Actor(is_admin=True, family_id=family_id, provider_id=provider_id)
    if family_id is None and provider_id is None:
        raise Forbidden("This account is not linked to a family or provider yet.", code="not_linked")
    return Actor(family_id=family_id, provider_id=provider_id)


_ACTOR = "programme_actor"
_ACCOUNT = "programme_account"


def person_guard(*roles: Role) -> Guard:
    """Guard for people's routes: a signed-in, active account holding one of ``roles``.

    It runs before the body is read, so an anonymous caller gets 401 and a wrong role 403 whatever
    the body holds. The Actor (and the account) it finds wait on ``connection.state`` for the
    handler. An API key is never a sign-in here: ``X-API-Key`` is a 401, and a key sent as a bearer
    token fails like any other bad token.
    """
    allowed = roles or PROGRAMME_ROLES

    async def guard(connection: Connection, _: BaseRouteHandler) -> None:
        if connection.headers.get("x-api-key") is not None:
            raise Unauthenticated(
                "An API key is not a sign-in; this route is for people.", code="unauthenticated"
            )
        account = admit(await required_caller(connection), allowed)
        connection.state[_ACCOUNT] = account
        connection.state[_ACTOR] = actor_for_account(account)

    guard.__name__ = f"person_{'_or_'.join(role.value for role in allowed)}"
    return guard


programme_person = person_guard(*PROGRAMME_ROLES)
family_person = person_guard(Role.FAMILY)  # care days belong to a family: only its account changes them
rate_setter = person_guard(Role.ADMIN, Role.PROVIDER)


async def programme_actor(request: AnyRequest) -> Actor:
    """The Actor behind a programme route, as its guard found it.

    Admin routes (``api_key_or_admin``) act as staff. A route without either guard still gets the
    people's rule (an API key is refused), found here instead, after the body: give it a guard.
    """
    found: Actor | None = request.state.get(_ACTOR)
    if found is not None:
        return found
    if operator(request) == API_KEY_OPERATOR:
        return Actor.admin()
    await programme_person(request, request.route_handler)  # a signed-in admin, or an unguarded route
    actor: Actor = request.state[_ACTOR]
    return actor


async def family_account(request: AnyRequest) -> tuple[Actor, Account]:
    """For the family's own pages: a signed-in account linked to a family (403 otherwise)."""
    account = await _guarded_account(request)
    linked_family_id(account)
    return actor_for_account(account), account


async def provider_account(request: AnyRequest) -> tuple[Actor, Account]:
    """For the provider's own pages: a signed-in account linked to a provider (403 otherwise)."""
    account = await _guarded_account(request)
    linked_provider_id(account)
    return actor_for_account(account), account


async def signed_in_account(request: AnyRequest) -> Account:
    """The account a people's route's guard admitted (found late, with the same rule, when unguarded)."""
    return await _guarded_account(request)


async def _guarded_account(request: AnyRequest) -> Account:
    if _ACCOUNT not in request.state:  # a route without its guard: the same rule, found late
        await programme_person(request, request.route_handler)
    account: Account = request.state[_ACCOUNT]
    return account
