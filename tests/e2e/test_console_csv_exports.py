"""A CSV export of any list: every console list page has its CSV beside it (its path with ``.csv``),
linked from the page with the page's filters, answered as a CSV attachment named after that path.

The list pages are found from the access table (tests/e2e/test_console_access.py): a new staff page is
a list that needs its ``.csv`` twin unless it is named here as holding no list of its own. The family's
and provider's lists (``/{owner}/{id}/{list}`` and ``….csv``) are tested list by list in
test_console_sections.py."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.e2e.console_support import csv_rows, sign_in_staff
from tests.e2e.programme_support import Client
from tests.e2e.test_console_access import CONSOLE_ROUTES, STAFF_ONLY
from tests.tokens import TokenMinter

CSV = ".csv"
# Staff pages that are not one list: the home page's links; a family's and a provider's pages show
# their lists through the ``{section}`` routes, each with its own CSV; a run's and an import's progress;
# one account; one message.
NOT_LISTS = {
    "/console",
    "/console/accounts/{clerk_user_id:str}",
    "/console/runs/{kind:str}/{job_id:str}",
    "/console/imports/{import_id:int}",
    "/console/messages/{message_id:str}",
    "/console/families/{family_id:str}",
    "/console/providers/{provider_id:str}",
    "/console/families/{family_id:str}/{section:str}",
    "/console/providers/{provider_id:str}/{section:str}",
}
STAFF_PAGES = [
    path for (method, path), (who, _, _) in CONSOLE_ROUTES.items() if method == "GET" and who == STAFF_ONLY
]
LIST_PAGES = sorted(p for p in STAFF_PAGES if not p.endswith(CSV) and p not in NOT_LISTS)


def test_every_list_page_has_its_csv_beside_it_and_every_csv_a_page() -> None:
    assert LIST_PAGES  # search, failed payments, jobs, audit log, and any list added since
    csvs = {p for p in STAFF_PAGES if p.endswith(CSV)}
    assert {f"{page}{CSV}" for page in LIST_PAGES} == csvs


def _csv_link(page_html: str, csv_path: str) -> str:
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page_html)]
    [link] = [h for h in links if urlsplit(h).path == csv_path]
    return link


@pytest.mark.parametrize("page", LIST_PAGES)
async def test_a_list_page_links_its_csv_with_its_filters_and_the_file_is_named_after_it(
    client: Client, minter: TokenMinter, page: str
) -> None:
    await sign_in_staff(client, minter)
    _, requested, _ = CONSOLE_ROUTES[("GET", page)]
    shown = await client.get(requested)
    assert shown.status_code == 200, shown.text
    link = _csv_link(shown.text, f"{page}{CSV}")
    assert set(parse_qsl(urlsplit(requested).query)) <= set(parse_qsl(urlsplit(link).query))
    exported = await client.get(link)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    name = page.removeprefix("/console/").replace("/", "-")
    assert exported.headers["content-disposition"] == f'attachment; filename="{name}{CSV}"'
    header = exported.text.splitlines()[0].split(",")
    assert header != [""]
    assert all(re.fullmatch(r"[a-z_]+", column) for column in header), header
    assert all(set(row) == set(header) for row in csv_rows(exported.text))
