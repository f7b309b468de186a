"""A push from the application site names its family, child or provider by external_id: the first push of
an external_id creates the record, every later one updates it — also when a concurrent push of the same
new external_id commits first, so a repeated push never duplicates and never fails on the race."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from domain.programme.errors import ExternalIdTaken

Record = TypeVar("Record")


class PushedRecords(Protocol[Record]):
    """What the family, child and provider repositories offer a push."""

    async def get_by_external_id(self, external_id: str) -> Record | None: ...
    async def add_if_absent(self, record: Record) -> bool: ...
    async def save(self, record: Record) -> None: ...


async def store_by_external_id(
    records: PushedRecords[Record],
    external_id: str | None,
    build: Callable[[Record | None], Record],
    *,
    field: str = "external_id",
) -> tuple[Record, bool]:
    """Stores ``build(None)`` as a new record, or ``build(current)`` over the record that holds
    ``external_id``; True when it created one. ``build`` may refuse the current record by raising."""
    current = await records.get_by_external_id(external_id) if external_id else None
    if current is None:
        record = build(None)
        if await records.add_if_absent(record):
            return record, True
        # A concurrent push of the same new external_id committed first: this push updates that record.
        current = await records.get_by_external_id(external_id) if external_id else None
        if current is None:  # it has vanished again in between: say so rather than guess
            raise ExternalIdTaken(details={"field": field})
    record = build(current)
    await records.save(record)
    return record, False
