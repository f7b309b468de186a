"""`cap-portal import` against the test database, run as an operator would (click's CliRunner)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.postgres.engine import build_engine, build_session_factory
from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork
from domain.programme.config import ProgrammeRules
from entrypoints.bulk_import.json_file import read_json
from entrypoints.bulk_import.runner import Importer
from entrypoints.bulk_import.runner import Result as Saved
from entrypoints.cli import cli

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "programme.json"
Run = Callable[..., Result]
TABLES = ("providers", "families", "guardians", "children", "provider_child_links")


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    env = {"DATABASE_URL": database_url, "APP_ENV": "development"}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["import", *args], env=env, catch_exceptions=False)

    return invoke


def counts(database_url: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return {
                    t: (await connection.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                    for t in TABLES
                }
        finally:
            await engine.dispose()

    return asyncio.run(read())


SAMPLE_COUNTS = {"providers": 3, "families": 3, "guardians": 4, "children": 4, "provider_child_links": 4}


def test_the_sample_imports_and_a_second_import_creates_nothing(run: Run, database_url: str) -> None:
    first = run(str(SAMPLE))
    assert first.exit_code == 0, first.output
    assert "providers: 3 created, 0 updated, 0 rejected" in first.stdout
    assert "families: 3 created, 0 updated, 0 rejected" in first.stdout
    assert "links: 4 created, 0 unchanged, 0 rejected" in first.stdout
    assert counts(database_url) == SAMPLE_COUNTS

    again = run(str(SAMPLE))
    assert again.exit_code == 0, again.output
    assert "providers: 0 created, 3 updated, 0 rejected" in again.stdout
    assert "families: 0 created, 3 updated, 0 rejected" in again.stdout
    assert "links: 0 created, 4 unchanged, 0 rejected" in again.stdout
    assert counts(database_url) == SAMPLE_COUNTS


def test_a_dry_run_reports_what_would_happen_and_leaves_no_rows(run: Run, database_url: str) -> None:
    result = run(str(SAMPLE), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run" in result.stdout
    # Later records saw earlier ones (links found the new providers and children), yet nothing stayed.
    assert "links: 4 created, 0 unchanged, 0 rejected" in result.stdout
    assert counts(database_url) == dict.fromkeys(TABLES, 0)


def test_bad_records_are_rejected_with_reasons_and_the_rest_imported(
    run: Run, database_url: str, tmp_path: Path
) -> None:
    document = json.loads(SAMPLE.read_text())
    document["families"][0]["guardians"][0]["phone_number"] = "303-555-0100"  # not E.164: the domain says
    document["providers"][2]["type"] = "nanny"  # not a provider type: the schema says
    document["links"].append(
        {"provider_external_id": "sample-prov-casita", "child_external_id": "sample-child-nika"}
    )
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))

    result = run(str(path))

    assert result.exit_code == 1
    assert "providers: 2 created, 0 updated, 1 rejected" in result.stdout
    assert "families: 2 created, 0 updated, 1 rejected" in result.stdout
    rejected_type = "providers sample-prov-sunrise: providers[2]: type: must be one of ffn, lhb, center"
    assert rejected_type in result.stdout
    assert (
        "families sample-fam-diaz: families[0]: guardians[0].phone_number: must be a phone" in result.stdout
    )
    # Links to what was rejected are rejected too; the full provider refuses a third child.
    assert (
        "links sample-prov-stars ↔ sample-child-sam: links[0]: child_external_id: Child not found"
        in result.stdout
    )
    assert (
        "links sample-prov-sunrise ↔ sample-child-nika: links[3]: provider_external_id: Provider not found"
        in (result.stdout)
    )
    assert "links: 2 created, 0 unchanged, 3 rejected" in result.stdout
    assert "maximum number of children" in result.stdout
    assert counts(database_url)["families"] == 2


def test_csv_files_import_by_kind(run: Run, database_url: str, tmp_path: Path) -> None:
    providers = tmp_path / "providers.csv"
    providers.write_text(
        "external_id,name,type,status,payment_enabled\nprov-1,Little Stars,ffn,Approved,true\n"
    )
    families = tmp_path / "families.csv"
    families.write_text(
        "family_external_id,guardian_first_name,guardian_last_name,child_external_id,child_first_name,"
        "child_last_name,child_monthly_allocation_cents\n"
        "fam-1,Ana,Diaz,kid-1,Sam,Diaz,150000\n"  # above the programme's maximum
        "fam-2,Maria,Lopez,kid-2,Lucia,Lopez,100000\n"
        "fam-2,,,kid-3,Mateo,Lopez,100000\n"
    )
    links = tmp_path / "links.csv"
    links.write_text("provider_external_id,child_external_id\nprov-1,kid-2\nprov-1,kid-3\n")

    assert run(str(providers), "--kind", "providers").exit_code == 0
    refused = run(str(families), "--kind", "families")
    assert refused.exit_code == 1
    assert "families fam-1: line 2: child_monthly_allocation_cents: " in refused.stdout
    assert "families: 1 created, 0 updated, 1 rejected" in refused.stdout
    assert run(str(links), "--kind", "links").exit_code == 0
    assert counts(database_url) | {"guardians": 0} == {
        "providers": 1,
        "families": 1,
        "guardians": 0,
        "children": 2,
        "provider_child_links": 2,
    }


def test_an_unreadable_file_imports_nothing_and_exits_2(run: Run, database_url: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "providers.csv"
    csv_file.write_text("external_id,name,type,colour\nprov-1,Stars,ffn,red\n")
    unknown_column = run(str(csv_file), "--kind", "providers")
    assert unknown_column.exit_code == 2
    assert "unknown column(s) for providers: colour" in unknown_column.output
    no_kind = run(str(csv_file))
    assert (no_kind.exit_code, "--kind" in no_kind.output) == (2, True)
    text_file = tmp_path / "data.txt"
    text_file.write_text("{}")
    assert run(str(text_file)).exit_code == 2
    latin1 = tmp_path / "providers.json"
    latin1.write_bytes(b'{"providers": [{"name": "Ni\xf1os"}]}')
    not_utf8 = run(str(latin1))
    assert (not_utf8.exit_code, "not UTF-8 text" in not_utf8.output) == (2, True)
    assert counts(database_url)["providers"] == 0


async def test_two_imports_of_the_same_new_records_at_once_create_each_once(database_url: str) -> None:
    # The import saves through the admin API's use cases, so it meets the concurrent-push race the same way.
    engine = build_engine(database_url)
    sessions = build_session_factory(engine)
    importer = Importer(lambda: SqlAlchemyProgrammeUnitOfWork(sessions), ProgrammeRules())
    records = [r for r in read_json(SAMPLE.read_text()) if r.kind.value != "links"]
    try:
        for record in records:
            outcomes = await asyncio.gather(*(importer.save(record) for _ in range(4)))
            assert sorted(o.result for o in outcomes) == [Saved.CREATED] + [Saved.UPDATED] * 3, outcomes
    finally:
        await engine.dispose()
