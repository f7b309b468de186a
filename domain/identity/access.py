"""Who may pass: the rules that turn a verified sign-in and an account into access."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from domain.errors import Forbidden
from domain.identity.model import Account, Role, SignedIn, activity_hour
from domain.identity.ports import SignInAccounts
from domain.ports import Clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    """A signed-in person as a request sees them: the sign-in and their account, if they have one."""

    sign_in: SignedIn
    account: Account | None

    @property
    def user_id(self) -> str:
        return self.sign_in.user_id

    @property
    def roles(self) -> frozenset[Role]:
        return self.account.roles if self.account else frozenset()


def refuse_deactivated(caller: Caller) -> None:
    if caller.account is not None and caller.account.deactivated:
        raise Forbidden("This account is deactivated.", code="account_deactivated")


def admit(caller: Caller, allowed: Collection[Role]) -> Account:
    """The caller's account if it holds one of the allowed roles; Forbidden (403) otherwise.

    Only our database grants roles: a token's claims never do. A signed-in person without an
    account is known to Clerk but not to the programme, so they are refused, not signed out.
    """
    refuse_deactivated(caller)
    if caller.account is None:
        raise Forbidden("This sign-in has no programme account yet.", code="no_account")
    if not caller.account.has_any(allowed):
        wanted = " or ".join(sorted(role.value for role in allowed))
        raise Forbidden(f"This needs the {wanted} role.", code="wrong_role")
    return caller.account


def linked_family_id(account: Account) -> str:
    """The family record a family account acts for; 403 until onboarding has linked one."""
    if Role.FAMILY not in account.roles or account.family_id is None:
        raise Forbidden("This account is not linked to a family yet.", code="not_linked")
    return account.family_id


def linked_provider_id(account: Account) -> str:
    """The provider record a provider account acts for; 403 until onboarding has linked one."""
    if Role.PROVIDER not in account.roles or account.provider_id is None:
        raise Forbidden("This account is not linked to a provider yet.", code="not_linked")
    return account.provider_id


async def identify(accounts: SignInAccounts, clock: Clock, sign_in: SignedIn) -> Caller:
    """The caller behind a verified sign-in, noting when their account was last seen."""
    account = await accounts.get(sign_in.user_id)
    now = clock.now()
    seen = account.seen_at(now) if account else None
    if seen is not None:
        await accounts.record_seen(sign_in.user_id, seen)
    if account is not None:
        await _note_activity(accounts, account, now)
    return Caller(sign_in, account)


async def _note_activity(accounts: SignInAccounts, account: Account, now: datetime) -> None:
    try:
        await accounts.record_activity(account, activity_hour(now))
    except Exception:
        logger.warning(
            "hourly activity not recorded", exc_info=True, extra={"clerk_user_id": account.clerk_user_id}
        )
