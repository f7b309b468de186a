"""`cap-portal import FILE`: bulk loads of families, providers and links, idempotent by external_id."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from entrypoints.bulk_import.records import ImportFileError, ImportRecord, Kind
from entrypoints.bulk_import.runner import ImportAborted, Importer, Outcome, any_rejected, summary
from entrypoints.bulk_import.upload import decode, file_format, read_records
from entrypoints.settings import Settings, load_settings


class FileRefused(click.ClickException):
    exit_code = 2  # 1 means "some records were rejected"; this means "nothing was imported"


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice([k.value for k in Kind]),
    help="What a CSV file holds (required for CSV). For JSON: import only this list of the file.",
)
@click.option("--dry-run", is_flag=True, help="Check every record against the database, then roll back.")
def import_file(file: Path, kind: str | None, dry_run: bool) -> None:
    """Import families, providers and provider↔child links from FILE (.json or .csv).

    Each record is saved by the same code as the admin API (POST /admin/providers, POST /admin/families,
    PUT /admin/providers/{id}/children/{id}), in its own transaction: a bad record is rejected with its
    position, field and reason, and the others are imported. Records are matched by external_id
    (required on every family, child and provider), so importing the same file again updates instead
    of duplicating.

    \b
    JSON: {"providers": [...], "families": [...], "links": [...]}, families and providers
          as the admin API's bodies, links as {"provider_external_id", "child_external_id"}.
    CSV:  one kind per file (--kind); see the README for the columns.

    Exit status: 0 when every record was imported, 1 when any record was rejected,
    2 when the file could not be read at all (nothing was imported).
    """
    records = _read(file, Kind(kind) if kind else None)
    settings = load_settings()
    try:
        outcomes = asyncio.run(_import(settings, records, dry_run=dry_run))
    except ImportAborted as exc:
        raise FileRefused(f"stopped: the database is unavailable ({exc})") from None
    click.echo(summary(outcomes, dry_run=dry_run))
    if any_rejected(outcomes):
        sys.exit(1)


def _read(file: Path, kind: Kind | None) -> list[ImportRecord]:
    """Read as the console reads an upload (``upload.py``); a CSV's refusal names the option."""
    try:
        text = decode(file.read_bytes())
        return read_records(text, file_format(file.name), kind, how_to_say_kind=" with --kind")
    except ImportFileError as exc:
        raise FileRefused(f"{file}: {exc}") from None


async def _import(settings: Settings, records: Sequence[ImportRecord], *, dry_run: bool) -> list[Outcome]:
    from adapters.postgres.engine import build_engine
    from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork

    engine = build_engine(
        settings.require_database_url(),
        pool_size=1,
        connect_timeout=settings.database_connect_timeout_seconds,
    )
    outcomes = []
    try:
        async with _sessions(engine, dry_run=dry_run) as sessions:
            importer = Importer(lambda: SqlAlchemyProgrammeUnitOfWork(sessions), settings.programme_rules())
            label = "Checking" if dry_run else "Importing"
            with click.progressbar(length=len(records), label=label, file=sys.stderr) as bar:
                for record in records:
                    outcomes.append(await importer.save(record))
                    bar.update(1)
    finally:
        await engine.dispose()
    return outcomes


@asynccontextmanager
async def _sessions(engine: AsyncEngine, *, dry_run: bool) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    from adapters.postgres.engine import build_session_factory, rolled_back_sessions

    if dry_run:
        async with rolled_back_sessions(engine) as sessions:
            yield sessions
    else:
        yield build_session_factory(engine)


COMMANDS = [import_file]
