"""A console import: its row, job and ``import.started`` entry commit together; its run writes the
counts every N records and once at the end, marks it done, or failed (and raises, so the job retries);
a retry starts the counts again, so they are always the last run's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self

import pytest

from domain.audit import AuditStamp
from domain.bulk_imports import (
    BulkImportUnitOfWork,
    ImportCounts,
    ImportRejection,
    ImportStatus,
    NewImport,
    Saved,
    run_import,
    start_import,
)
from tests.fakes import FakeProgrammeUnitOfWork

AT = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)
UPLOAD = NewImport("console:user_staff", "spring.csv", "csv", "providers", "a,b", 5)


@dataclass
class FakeBulkImports:
    """Writes as they are made, in order (the fake unit of work's commits are counted beside them)."""

    rows: dict[int, NewImport] = field(default_factory=dict)
    writes: list[tuple[str, object]] = field(default_factory=list)

    async def add(self, new: NewImport, at: datetime) -> int:
        self.rows[len(self.rows) + 1] = new
        return len(self.rows)

    async def begin(self, import_id: int, at: datetime) -> NewImport:
        self.writes.append(("begin", import_id))
        return self.rows[import_id]

    async def progress(
        self, import_id: int, counts: ImportCounts, new_rejections: list[ImportRejection], at: datetime
    ) -> None:
        self.writes.append(("progress", (counts.processed, counts.rejected, len(new_rejections))))

    async def end(self, import_id: int, status: ImportStatus, at: datetime, error: str | None) -> None:
        self.writes.append(("end", (status, error)))


class FakeImportUnitOfWork(FakeProgrammeUnitOfWork):
    def __init__(self, imports: FakeBulkImports) -> None:
        super().__init__()
        self._imports = imports

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        return self

    @property
    def bulk_imports(self) -> FakeBulkImports:
        return self._imports


class Clock:
    def now(self) -> datetime:
        return AT


def _uow(uow: FakeImportUnitOfWork) -> BulkImportUnitOfWork:
    return uow  # mypy: the fake is the port


async def test_the_row_its_job_and_its_entry_commit_together() -> None:
    imports = FakeBulkImports()
    uow = FakeImportUnitOfWork(imports)
    import_id = await start_import(_uow(uow), UPLOAD, audit=AuditStamp("console:user_staff", AT))
    assert (import_id, uow.commits) == (1, 1)
    assert uow.state.jobs == [("job", "programme.run_bulk_import", None, (), {"import_id": 1})]
    [entry] = uow.audit.committed()
    assert (entry.action, entry.record_type, entry.record_id) == ("import.started", "bulk_import", "1")
    assert entry.after == {"file_name": "spring.csv", "format": "csv", "kind": "providers", "total": 5}


async def _saved(record: int) -> Saved:
    if record == 3:
        return Saved("rejected", ImportRejection("line 4", "providers p3", "type: must be one of …"))
    return Saved("created")


async def test_the_counts_are_written_every_n_records_and_at_the_end() -> None:
    imports = FakeBulkImports({7: UPLOAD})
    counts = await run_import(
        lambda: _uow(FakeImportUnitOfWork(imports)), Clock(), 7, lambda _: range(5), _saved, every=2
    )
    assert counts == ImportCounts(created=4, rejected=1)
    assert imports.writes == [
        ("begin", 7),
        ("progress", (2, 0, 0)),
        ("progress", (4, 1, 1)),  # the rejection travels once, with the counts after it
        ("progress", (5, 1, 0)),
        ("end", (ImportStatus.DONE, None)),
    ]


async def test_a_failure_marks_it_failed_with_the_counts_so_far_and_a_retry_starts_again() -> None:
    imports = FakeBulkImports({7: UPLOAD})

    async def down(record: int) -> Saved:
        if record == 2:
            raise ConnectionError("the database went away")
        return await _saved(record)

    with pytest.raises(ConnectionError):
        await run_import(lambda: _uow(FakeImportUnitOfWork(imports)), Clock(), 7, lambda _: range(5), down)
    assert imports.writes[-2:] == [
        ("progress", (2, 0, 0)),
        ("end", (ImportStatus.FAILED, "the database went away")),
    ]
    imports.writes.clear()
    counts = await run_import(
        lambda: _uow(FakeImportUnitOfWork(imports)), Clock(), 7, lambda _: range(5), _saved
    )
    assert counts == ImportCounts(created=4, rejected=1)  # the last run's, not added to the first's
    assert imports.writes[0] == ("begin", 7)
    assert imports.writes[-1] == ("end", (ImportStatus.DONE, None))
