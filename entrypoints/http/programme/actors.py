"""The edge between who is calling (API key or verified sign-in + account) and the programme's Actor.

The programme decides what an Actor may see; this module only says who the Actor is:
- an API key, or an account with the admin role → staff (``Actor.admin()``);
- a family or provider account → that family's or provider's Actor, and both when it holds both roles.
An account with the family (or provider) role that onboarding has not linked to a record yet is refused
with 403: it is known to the programme but has nothing to act for.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from domain.errors import Forbidden, Unauthenticated
from domain.identity.access import admit, linked_family_id, linked_provider_id
from domain.identity.model import Account, Role
from domain.programme.actors import Actor
from entrypoints.http.api_keys import presented_key
from entrypoints.http.auth import required_caller

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


async def programme_actor(request: AnyRequest) -> Actor:
    """The Actor behind any programme route: 401 with no or bad credentials, 403 without a linked account."""
    if request.app.state.api_keys.accepts(presented_key(request)):
        return Actor.admin()
    if request.headers.get("x-api-key") is not None:
        raise Unauthenticated("The API key is not valid.", code="unauthenticated")
    return actor_for_account(admit(await required_caller(request), PROGRAMME_ROLES))


async def family_account(request: AnyRequest) -> tuple[Actor, Account]:
    """For the family's own pages: a signed-in account linked to a family (403 otherwise)."""
    account = admit(await required_caller(request), PROGRAMME_ROLES)
    linked_family_id(account)
    return actor_for_account(account), account


async def provider_account(request: AnyRequest) -> tuple[Actor, Account]:
    """For the provider's own pages: a signed-in account linked to a provider (403 otherwise)."""
    account = admit(await required_caller(request), PROGRAMME_ROLES)
    linked_provider_id(account)
    return actor_for_account(account), account
