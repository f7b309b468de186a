"""The ports identity and access needs: token verification, the directory, and storage."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.identity.model import Account, AccountFilter, DirectoryUser, PendingAccount, SignedIn


class IdentityVerifier(Protocol):
    """Turns a presented session token into a verified sign-in.

    Raises ``Unauthenticated`` for any token that is not genuine, current and meant for us, and
    ``DependencyUnavailable`` when the keys to check it with cannot be had (that is our outage,
    not the caller's fault, so it must not sign them out).
    """

    async def verify(self, token: str) -> SignedIn: ...


class IdentityDirectory(Protocol):
    """The identity provider's user records (Clerk's Backend API).

    Raises ``NotFound`` for an unknown user and ``DependencyUnavailable`` when it cannot be reached.
    """

    async def read_user(self, user_id: str) -> DirectoryUser: ...

    async def write_public_metadata(self, user_id: str, metadata: dict[str, object]) -> None: ...


class AccountRepository(Protocol):
    """Accounts and pending accounts; works inside the caller's unit of work, never commits."""

    async def get(self, clerk_user_id: str) -> Account | None: ...

    async def add(self, account: Account) -> None:
        """Store a new account; raises ``Conflict`` if one with that id exists."""
        ...

    async def save(self, account: Account) -> Account:
        """Store changes to an existing account; returns it as stored (timestamps filled)."""
        ...

    async def add_pending(self, pending: PendingAccount) -> PendingAccount:
        """Store a pending account and return it as stored (with its created_at); raises
        ``Conflict`` if one waits for that email."""
        ...

    async def take_pending(self, email: str) -> PendingAccount | None:
        """Remove and return the pending account waiting for this email, if any."""
        ...


class AccountListing(Protocol):
    """The accounts as a list for staff; works inside the caller's unit of work."""

    async def listed(self, wanted: AccountFilter, *, limit: int, offset: int) -> list[Account]: ...

    async def pending_listed(self, search: str | None, *, limit: int, offset: int) -> list[PendingAccount]:
        """The accounts waiting for their person to sign up, by email; ``search``: part of the email."""
        ...


class SignInAccounts(Protocol):
    """What every signed-in request needs of the accounts: read one, and note that it was seen.

    Each call stands alone, outside any transaction: the read is one statement and the note one
    idempotent UPDATE, so there is nothing to keep atomic and no BEGIN/COMMIT to pay for.
    """

    async def get(self, clerk_user_id: str) -> Account | None: ...

    async def record_seen(self, clerk_user_id: str, account: Account) -> None: ...

    async def record_activity(self, account: Account, hour: datetime) -> None:
        """Note that the account was active in this UTC hour (one row per person and hour). An adapter
        remembers the hours it has noted, so only a person's first request of an hour pays for it."""
        ...


class WebhookLedger(Protocol):
    """Remembers which webhook deliveries were already handled (by the sender's message id)."""

    async def first_delivery(self, message_id: str, event_type: str) -> bool:
        """Record the delivery; False if it was recorded before (a replay or a retry)."""
        ...
