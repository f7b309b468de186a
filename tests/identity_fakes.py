"""Hand-written fakes of the identity ports (accounts, directory, webhook ledger, unit of work)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from domain.errors import Conflict, DependencyUnavailable
from domain.identity.model import Account, DirectoryUser, PendingAccount


class FakeUnitOfWork:
    """Counts commits; the fakes below change state at once (their rollback is not modelled)."""

    def __init__(self) -> None:
        self.commits = 0

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        return None


class FakeAccounts:
    def __init__(self, *accounts: Account) -> None:
        self.accounts = {a.clerk_user_id: a for a in accounts}
        self.pending: dict[str, PendingAccount] = {}
        self.seen_writes = 0
        self.active_hours: set[tuple[str, datetime]] = set()

    async def get(self, clerk_user_id: str) -> Account | None:
        return self.accounts.get(clerk_user_id)

    async def add(self, account: Account) -> None:
        if account.clerk_user_id in self.accounts:
            raise Conflict("duplicate", code="duplicate_account")
        self.accounts[account.clerk_user_id] = account

    async def save(self, account: Account) -> Account:
        self.accounts[account.clerk_user_id] = account
        return account

    async def record_seen(self, clerk_user_id: str, account: Account) -> None:
        self.seen_writes += 1
        self.accounts[clerk_user_id] = account

    async def record_activity(self, account: Account, hour: datetime) -> None:
        self.active_hours.add((account.clerk_user_id, hour))

    async def add_pending(self, pending: PendingAccount) -> PendingAccount:
        stored = replace(pending, created_at=datetime.now(UTC))
        self.pending[pending.email] = stored
        return stored

    async def take_pending(self, email: str) -> PendingAccount | None:
        return self.pending.pop(email, None)


class FakeDirectory:
    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.metadata: dict[str, dict[str, object]] = {}

    async def read_user(self, user_id: str) -> DirectoryUser:
        if self.down:
            raise DependencyUnavailable("down")
        return DirectoryUser(user_id, f"{user_id}@x.org", self.metadata.get(user_id, {}))

    async def write_public_metadata(self, user_id: str, metadata: dict[str, object]) -> None:
        if self.down:
            raise DependencyUnavailable("down")
        self.metadata[user_id] = metadata


class FakeLedger:
    def __init__(self) -> None:
        self.seen: set[str] = set()

    async def first_delivery(self, message_id: str, event_type: str) -> bool:
        first = message_id not in self.seen
        self.seen.add(message_id)
        return first
