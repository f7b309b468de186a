"""The console's imports: staff upload a file and follow its import to the end, with a real
`cap-portal worker`. The upload is read as `cap-portal import` reads it: a file that cannot be read,
or one too large, is refused in words and stores nothing; a readable one is stored, its job asked for
and ``import.started`` written once; the import's page shows the counts and rejections, refreshing
itself until the import is done."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.bulk_imports import MAX_IMPORT_BYTES
from tests.e2e.console_support import csrf, csv_rows, readable_refusal, sign_in_staff
from tests.e2e.programme_support import Client, family_body, provider_body
from tests.job_processes import eventually
from tests.tokens import TokenMinter

pytestmark = pytest.mark.usefixtures("redis")  # each test starts with empty queues
REFRESH = '<meta http-equiv="refresh" content="2">'
IMPORT_PAGE = re.compile(r"^/console/imports/(\d+)$")


async def _rows(sessions: async_sessionmaker[AsyncSession], sql: str, **params: Any) -> list[Any]:
    async with sessions() as session:
        return list((await session.execute(text(sql), params)).all())


async def _upload(client: Client, name: str, content: bytes, kind: str = "", token: str | None = None) -> Any:
    data = {"kind": kind, "_csrf_token": token if token is not None else await csrf(client)}
    return await client.post(
        "/console/imports", data=data, files={"file": (name, content)}, follow_redirects=False
    )


def _file() -> bytes:
    bad = family_body("bad")
    bad["children"][0]["dob"] = "someday"
    return json.dumps({
        "providers": [provider_body("p1")],
        "families": [family_body("f1"), family_body("f2"), bad],
        "links": [{"provider_external_id": "prov-p1", "child_external_id": "kid-f1-0"},
                  {"provider_external_id": "prov-p1", "child_external_id": "kid-nobody"}],
    }).encode()  # fmt: skip


async def test_staff_import_a_file_and_follow_it_until_it_is_done(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession], console_worker: Any
) -> None:
    await sign_in_staff(client, minter)
    listed = await client.get("/console/imports")
    assert listed.status_code == 200, listed.text
    assert 'enctype="multipart/form-data"' in listed.text
    assert "No imports started from the console yet." in listed.text

    started = await _upload(client, "spring.json", _file())
    assert started.status_code == 303, started.text
    found = IMPORT_PAGE.match(started.headers["location"])
    assert found, started.headers["location"]
    import_id = found.group(1)
    waiting = await client.get(started.headers["location"])
    assert 'id="import-status">queued' in waiting.text
    assert REFRESH in waiting.text
    assert "0 of 6:" in waiting.text

    console_worker()

    async def done() -> str | None:
        page = await client.get(f"/console/imports/{import_id}")
        assert page.status_code == 200, page.text
        return None if REFRESH in page.text else page.text

    finished = await eventually(done, seconds=90, what="the import's page to stop refreshing")
    assert 'id="import-status">done' in finished
    assert "6 of 6: 4 created, 0 updated, 0 unchanged, 2 rejected" in finished, finished
    assert '<progress value="6" max="6">' in finished
    assert "families[2]" in finished
    assert "children[0].dob" in finished
    assert "must be a date" in finished
    assert "links[1]" in finished
    assert "kid-nobody" in finished
    assert "The import is done." in finished
    families = await _rows(sessions, "SELECT external_id FROM families ORDER BY external_id")
    assert [f.external_id for f in families] == ["fam-f1", "fam-f2"]

    [entry] = csv_rows((await client.get("/console/audit.csv", params={"record_id": import_id})).text)
    assert (entry["actor"], entry["action"], entry["record_type"]) == (
        "console:user_staff", "import.started", "bulk_import",
    )  # fmt: skip
    [row] = csv_rows((await client.get("/console/imports.csv")).text)
    assert (row["id"], row["file_name"], row["status"], row["total"], row["rejected"]) == (
        import_id, "spring.json", "done", "6", "2",
    )  # fmt: skip
    jobs = await _rows(sessions, "SELECT id FROM jobs WHERE name = 'programme.run_bulk_import'")
    assert len(jobs) == 1  # following the import never started another


async def test_a_file_that_cannot_be_read_is_refused_in_words_and_nothing_is_stored(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    cases = [
        ("x.json", b"{not json", "", "not valid JSON"),
        ("x.csv", b"external_id,name,type\nprov-1,Care,ffn\n", "", "say which"),
        ("x.csv", b"external_idd,name,type\n", "providers", "unknown column(s) for providers: external_idd"),
        ("x.txt", b"{}", "", "must end in .json or .csv"),
        ("x.json", b"\xff\xfe{}", "", "not UTF-8 text"),
        ("x.json", b"{}", "everything", "no kind of record called"),
        ("x.json", b" " * (MAX_IMPORT_BYTES + 1), "", "larger than 5 MB"),
    ]
    for name, content, kind, words in cases:
        refused = await _upload(client, name, content, kind)
        assert refused.status_code == 400, (name, refused.text)
        assert "The file was not imported:" in refused.text, name
        assert words in refused.text, (name, words)
        assert readable_refusal(refused.text)
    far_too_large = await _upload(client, "x.json", b" " * (2 * MAX_IMPORT_BYTES + 10))
    assert far_too_large.status_code == 413
    assert "too large for the console" in far_too_large.text
    assert readable_refusal(far_too_large.text)
    assert await _rows(sessions, "SELECT id FROM bulk_imports") == []
    assert await _rows(sessions, "SELECT id FROM jobs WHERE name = 'programme.run_bulk_import'") == []
    assert await _rows(sessions, "SELECT id FROM audit_log WHERE action = 'import.started'") == []


async def test_an_upload_without_the_csrf_token_is_refused_and_stores_nothing(
    client: Client, minter: TokenMinter, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in_staff(client, minter)
    await csrf(client)
    for token in ("", "x" * 80):
        refused = await _upload(client, "spring.json", _file(), token=token)
        assert refused.status_code == 403
        assert "did not come from the console" in refused.text
        assert readable_refusal(refused.text)
    assert await _rows(sessions, "SELECT id FROM bulk_imports") == []


async def test_an_unknown_import_is_a_page_in_words(client: Client, minter: TokenMinter) -> None:
    await sign_in_staff(client, minter)
    missing = await client.get("/console/imports/4242")
    assert (missing.status_code, "No import with id 4242." in missing.text) == (404, True)
    assert readable_refusal(missing.text)
