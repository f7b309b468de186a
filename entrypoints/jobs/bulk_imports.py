"""``programme.run_bulk_import``: an import started from the console (domain/bulk_imports.py), its
records saved by the same ``Importer`` as ``cap-portal import``, the row's counts kept up to date."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.postgres.bulk_imports import SqlAlchemyBulkImportUnitOfWork
from domain.bulk_imports import RUN_BULK_IMPORT_JOB, ImportRejection, NewImport, Saved, run_import
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import job_context

if TYPE_CHECKING:
    from entrypoints.bulk_import.records import ImportRecord


def _records(upload: NewImport) -> list[ImportRecord]:
    from entrypoints.bulk_import.records import Kind
    from entrypoints.bulk_import.upload import read_records

    # The file was read when it was uploaded; reading it again here cannot fail but on a code change.
    return read_records(upload.content, upload.file_format, Kind(upload.kind) if upload.kind else None)


@job_manager.job(name=RUN_BULK_IMPORT_JOB)
async def run_bulk_import(*, import_id: int) -> dict[str, Any]:
    # Imported here, not at the top: the import files' schemas are the admin API's, whose module needs
    # the web app's, which registers every job (this module among them) while it loads.
    from entrypoints.bulk_import.runner import Importer

    context = job_context()
    importer = Importer(context.programme_unit_of_work, context.rules)

    async def save(record: ImportRecord) -> Saved:
        outcome = await importer.save(record)
        found = outcome.rejection
        if found is None:
            return Saved(outcome.result.value)
        reason = f"{found.field}: {found.message}" if found.field else found.message
        return Saved(
            outcome.result.value, ImportRejection(found.at, f"{record.kind.value} {record.key}", reason)
        )

    counts = await run_import(
        lambda: SqlAlchemyBulkImportUnitOfWork(context.session_factory, jobs=context.jobs),
        context.clock, import_id, _records, save,
    )  # fmt: skip
    return {"import_id": import_id, "processed": counts.processed, "rejected": counts.rejected}
