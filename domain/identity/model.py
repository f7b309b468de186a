"""The programme's words for people who sign in: roles, accounts, verified sign-ins."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.errors import RuleRefused

# Clerk user ids look like ``user_2abc…``; anything else is a typo or another kind of id.
_CLERK_USER_ID = re.compile(r"^user_[A-Za-z0-9]{1,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")

# last_seen_at is a hint for operators, not an audit log: writing it on every request would turn
# each read into a write, so it is refreshed at most this often.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def activity_hour(now: datetime) -> datetime:
    """The UTC hour ``now`` falls in: hourly activity is counted per person and UTC hour."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class Role(StrEnum):
    ADMIN = "admin"
    FAMILY = "family"
    PROVIDER = "provider"


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    roles = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            allowed = ", ".join(role.value for role in Role)
            raise RuleRefused(
                f"Unknown role {value!r}; roles are {allowed}.", code="unknown_role", details={"role": value}
            ) from None
    return frozenset(roles)


def checked_clerk_user_id(value: str) -> str:
    if not _CLERK_USER_ID.match(value):
        raise RuleRefused(
            "A Clerk user id looks like user_ followed by letters and digits.",
            code="malformed_clerk_user_id",
            details={"clerk_user_id": value},
        )
    return value


def checked_email(value: str) -> str:
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise RuleRefused("The email address is not valid.", code="malformed_email", details={"email": value})
    return email


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A session token that passed verification: the Clerk user and session it names."""

    user_id: str
    session_id: str
    # Set when an operator impersonates the user from the Clerk dashboard; worth logging.
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """A person's place in the programme, keyed by their Clerk user id."""

    clerk_user_id: str
    email: str | None
    roles: frozenset[Role] = frozenset()
    family_id: str | None = None
    provider_id: str | None = None
    deactivated: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_seen_at: datetime | None = None

    def has_any(self, roles: Iterable[Role]) -> bool:
        return not self.roles.isdisjoint(roles)

    def seen_at(self, now: datetime) -> Account | None:
        """The account with a fresh last-seen time, or None when the stored one is recent enough."""
        if self.last_seen_at is not None and now - self.last_seen_at < LAST_SEEN_RESOLUTION:
            return None
        return replace(self, last_seen_at=now)


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """Which accounts a list shows: ``search`` in the email, the Clerk user id or the linked family's
    guardians' or provider's name; a role; deactivated or active (None: either)."""

    search: str | None = None
    role: Role | None = None
    deactivated: bool | None = None


@dataclass(frozen=True, slots=True)
class PendingAccount:
    """An account an operator prepared before the person signed up; linked by email later."""

    email: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    """What the identity provider (Clerk) knows about a user."""

    user_id: str
    email: str | None
    public_metadata: dict[str, object] = field(default_factory=dict)


def account_snapshot(account: Account) -> dict[str, str | int | bool | None]:
    """What the audit log keeps of an account: its roles (as text), links and whether it is deactivated."""
    return {
        "email": account.email,
        "roles": ",".join(sorted(role.value for role in account.roles)),
        "family_id": account.family_id,
        "provider_id": account.provider_id,
        "deactivated": account.deactivated,
    }


def public_metadata(account: Account) -> dict[str, object]:
    """What the CAP frontend reads from Clerk to pick its screens: ``{types, family_id, provider_id}``.

    An id that is not linked is written as None, which Clerk's metadata merge turns into "remove
    the key": the frontend treats a present key (even null) as linked.
    """
    if account.deactivated:
        # A deactivated person should land on the frontend's "not authorized" page, not a dashboard.
        return {"types": [], "family_id": None, "provider_id": None}
    return {
        "types": sorted(role.value for role in account.roles),
        "family_id": account.family_id,
        "provider_id": account.provider_id,
    }
