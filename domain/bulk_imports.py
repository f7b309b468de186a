"""Bulk imports started from the console: the uploaded file is stored with its row, a job saves its
records (as ``cap-portal import`` does) and keeps the row's counts up to date, so the console can show
the import's progress while it runs.

Starting one stores the row, asks for its job and writes ``import.started`` in one transaction: there
is never a stored import without its job and entry. The job may be retried: each run starts the counts
again from nothing and saves every record again, which the import's idempotence (by external_id) makes
safe, so the counts are always those of the last run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from domain.audit import AuditLog, AuditStamp
from domain.errors import NotFound
from domain.ports import Clock, TransactionJobs, UnitOfWork

RUN_BULK_IMPORT_JOB = "programme.run_bulk_import"
IMPORT_STARTED = "import.started"
IMPORT_RECORD_TYPE = "bulk_import"
MAX_IMPORT_BYTES = 5 * 1024 * 1024  # a few tens of thousands of records: one job's work, kept in one row
# The row's counts are written every this many records (and at the end): cheap, and the page moves.
PROGRESS_EVERY = 20
RESULTS = ("created", "updated", "unchanged", "rejected")


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportNotFound(NotFound):
    code = "import_not_found"
    default_message = "No such import"


@dataclass(frozen=True, slots=True)
class ImportRejection:
    at: str  # where in the file: "line 7", "families[2]"
    key: str  # the record's external id(s)
    reason: str


@dataclass(frozen=True, slots=True)
class NewImport:
    started_by: str
    file_name: str
    file_format: str  # "csv" or "json"
    kind: str | None  # what a CSV file holds; for JSON, only this list of it (None: all)
    content: str
    total: int  # the records read from the file when it was uploaded


@dataclass(frozen=True, slots=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected


@dataclass(frozen=True, slots=True)
class BulkImport:
    id: int
    started_by: str
    file_name: str
    file_format: str
    kind: str | None
    status: ImportStatus
    total: int
    counts: ImportCounts
    rejections: list[ImportRejection]
    created_at: datetime
    updated_at: datetime
    error: str | None = None

    @property
    def done(self) -> bool:
        """Nothing more will change (until someone retries a failed import's job)."""
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.total == 0:
            return 100 if self.done else 0
        return min(100, self.counts.processed * 100 // self.total)


class BulkImports(Protocol):
    """The stored imports (in a unit of work's session: nothing here commits)."""

    async def add(self, new: NewImport, at: datetime) -> int: ...
    async def begin(self, import_id: int, at: datetime) -> NewImport:
        """Mark it running with every count at zero; its file as uploaded."""
        ...

    async def progress(
        self, import_id: int, counts: ImportCounts, new_rejections: list[ImportRejection], at: datetime
    ) -> None: ...
    async def end(self, import_id: int, status: ImportStatus, at: datetime, error: str | None) -> None: ...


class BulkImportUnitOfWork(UnitOfWork, Protocol):
    @property
    def bulk_imports(self) -> BulkImports: ...
    @property
    def jobs(self) -> TransactionJobs: ...
    @property
    def audit(self) -> AuditLog: ...


async def start_import(uow: BulkImportUnitOfWork, new: NewImport, *, audit: AuditStamp) -> int:
    """The import's row, its job and its ``import.started`` entry, committed together."""
    async with uow:
        import_id = await uow.bulk_imports.add(new, audit.at)
        await uow.jobs.enqueue(RUN_BULK_IMPORT_JOB, import_id=import_id)
        after = {"file_name": new.file_name, "format": new.file_format, "kind": new.kind, "total": new.total}
        await uow.audit.record(audit.entry(IMPORT_STARTED, IMPORT_RECORD_TYPE, str(import_id), None, after))
        await uow.commit()
    return import_id


@dataclass(frozen=True, slots=True)
class Saved:
    """One record's outcome: one of RESULTS, and the rejection when it was refused."""

    result: str
    rejection: ImportRejection | None = None


@dataclass
class Tally:
    """The counts of a run so far, and the rejections not yet written to the row."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULTS, 0))
    unwritten: list[ImportRejection] = field(default_factory=list)

    def add(self, saved: Saved) -> None:
        self.counts[saved.result] += 1
        if saved.rejection is not None:
            self.unwritten.append(saved.rejection)

    def snapshot(self) -> tuple[ImportCounts, list[ImportRejection]]:
        written, self.unwritten = self.unwritten, []
        return ImportCounts(**self.counts), written


R = TypeVar("R")


async def run_import(
    unit_of_work: Callable[[], BulkImportUnitOfWork],
    clock: Clock,
    import_id: int,
    records: Callable[[NewImport], Iterable[R]],
    save: Callable[[R], Awaitable[Saved]],
    *,
    every: int = PROGRESS_EVERY,
) -> ImportCounts:
    """Save each record of the stored file, writing the counts every ``every`` records, then mark the
    import done. A failure marks it failed (with its reason) and is raised again, so its job's retry
    runs the import again from the start."""
    uow = unit_of_work()
    async with uow:
        upload = await uow.bulk_imports.begin(import_id, clock.now())
        await uow.commit()
    tally = Tally()
    try:
        for number, record in enumerate(records(upload), start=1):
            tally.add(await save(record))
            if number % every == 0:
                await _write(unit_of_work(), clock, import_id, tally, None)
    except Exception as exc:
        await _write(unit_of_work(), clock, import_id, tally, (ImportStatus.FAILED, f"{exc}"[:500]))
        raise
    return await _write(unit_of_work(), clock, import_id, tally, (ImportStatus.DONE, None))


async def _write(
    uow: BulkImportUnitOfWork,
    clock: Clock,
    import_id: int,
    tally: Tally,
    end: tuple[ImportStatus, str | None] | None,
) -> ImportCounts:
    counts, rejections = tally.snapshot()
    async with uow:
        await uow.bulk_imports.progress(import_id, counts, rejections, clock.now())
        if end is not None:
            await uow.bulk_imports.end(import_id, end[0], clock.now(), end[1])
        await uow.commit()
    return counts
