"""The audit log: who changed which record, when, from what to what.

Every staff change (the console's, and the admin API's) writes an entry through ``uow.audit`` in the
transaction that makes the change, so there is never a change without its entry nor an entry for a
change that rolled back. Entries are only ever added: the port has no way to change or remove one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# What an entry's before and after hold: a record's fields as plain JSON values.
Snapshot = Mapping[str, str | int | bool | None]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    # Who: "console:<clerk user id>", "admin-api:<clerk user id>" or "admin-api:api-key".
    actor: str
    action: str  # what was done, in the programme's words: "child.changed", "payment_intent.retried"
    record_type: str
    record_id: str
    before: Snapshot | None
    after: Snapshot | None
    at: datetime
    id: int = 0  # given by the log when stored

    def changed_fields(self) -> list[str]:
        """The fields whose value differs between before and after (all of them when one side is absent)."""
        before, after = self.before or {}, self.after or {}
        return sorted(key for key in {*before, *after} if before.get(key) != after.get(key))


@dataclass(frozen=True, slots=True)
class AuditStamp:
    """Who is making a change and when: what a use case needs to write the change's entry."""

    actor: str
    at: datetime

    def entry(
        self, action: str, record_type: str, record_id: str, before: Snapshot | None, after: Snapshot | None
    ) -> AuditEntry:
        return AuditEntry(self.actor, action, record_type, record_id, before, after, self.at)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries to read: all, or one record's (type and id), newest first, a page at a time."""

    record_type: str | None = None
    record_id: str | None = None
    actor: str | None = None
    limit: int = 50
    offset: int = 0
    action: str | None = None  # one kind of entry only ("run.started": the console's runs)


class AuditLog(Protocol):
    """Adds entries in the open unit of work's transaction (``uow.audit``); nothing else."""

    async def record(self, entry: AuditEntry) -> None: ...


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """The log open in a change's transaction and who is changing: for use cases whose unit of work has
    no ``audit`` of its own (the accounts'), handed in beside their repositories."""

    log: AuditLog
    stamp: AuditStamp

    async def record(
        self, action: str, record_type: str, record_id: str, before: Snapshot | None, after: Snapshot | None
    ) -> None:
        await self.log.record(self.stamp.entry(action, record_type, record_id, before, after))


class AuditReads(Protocol):
    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first; one more than ``query.limit`` is never returned."""
        ...


def who(channel: str, user: str) -> str:
    """The actor written on an entry: the channel the change came through and who used it."""
    return f"{channel}:{user}"
