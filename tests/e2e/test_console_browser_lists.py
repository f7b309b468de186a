"""The console's accounts, messages and imports pages in a real browser (headless Debian Chromium,
Playwright), reached from the navigation bar as staff reach them: an account found and its own
lockout refused in words, a failed message found by its status and resent, a file uploaded and
followed to its end by the import's page itself (a real `cap-portal worker`).

With ``CONSOLE_SCREENSHOTS=docs/console`` it writes those pages' screenshots there as well."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from entrypoints.settings import Settings
from tests.e2e.browser import chromium, served
from tests.e2e.identity_support import create_account
from tests.e2e.programme_support import Client, app_at, family_body, provider_body
from tests.e2e.test_console_browser import WAIT_MS, _dev_settings, _shot, _sign_in
from tests.e2e.test_console_messages import _failed, _onboarded
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock

pytestmark = pytest.mark.usefixtures("redis")  # the worker starts on empty queues


@asynccontextmanager
async def _staff_page(settings: Settings, clock: FixedClock, data_dir: Path) -> AsyncIterator[Page]:
    """The console served on a real port, and a headless Chromium page signed in as staff."""
    with served(app_at(_dev_settings(settings, data_dir), clock)) as base:
        async with chromium() as browser:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            await _sign_in(page, base, "user_staff")
            await expect(page.get_by_role("heading", name="Console")).to_be_visible()
            yield page


async def test_staff_find_an_account_and_cannot_lock_themselves_out(
    client: Client, settings: Settings, clock: FixedClock, fake_clerk: FakeClerk, tmp_path: Path
) -> None:
    await create_account(client, "user_staff", "admin", email="staff@x.org")
    await create_account(client, "user_rosa", "family", email="rosa@x.org")
    async with _staff_page(settings, clock, tmp_path) as page:
        await page.locator("header nav").get_by_role("link", name="Accounts").click()
        await page.get_by_label("Search").fill("rosa")
        await page.get_by_role("button", name="Filter").click()
        await expect(page.locator("#accounts")).to_contain_text("rosa@x.org")
        await expect(page.locator("#accounts")).not_to_contain_text("staff@x.org")
        await page.get_by_label("Search").fill("")
        await page.get_by_role("button", name="Filter").click()
        await expect(page.locator("#accounts")).to_contain_text("staff@x.org")
        await _shot(page, "accounts")

        await page.locator("#accounts").get_by_role("link", name="staff@x.org").click()
        await expect(page.get_by_role("heading", name="Account staff@x.org")).to_be_visible()
        await page.get_by_role("button", name="Deactivate").click()
        await expect(page.get_by_role("alert")).to_contain_text("cannot deactivate your own account")
        await expect(page.locator("#status")).to_have_text("active")
        await _shot(page, "account")


async def test_staff_find_a_failed_message_and_resend_it(
    client: Client, settings: Settings, clock: FixedClock, fake_clerk: FakeClerk, tmp_path: Path
) -> None:
    await create_account(client, "user_staff", "admin")
    _, message_id = await _onboarded(client, fake_clerk, "web")
    await _failed(settings, message_id)
    async with _staff_page(settings, clock, tmp_path) as page:
        await page.locator("header nav").get_by_role("link", name="Messages").click()
        await page.get_by_label("Status").select_option("failed")
        await page.get_by_role("button", name="Filter").click()
        listed = page.locator("#messages tbody tr")
        await expect(listed).to_have_count(1)
        await expect(listed).to_contain_text("SMTP: the relay was down")
        await _shot(page, "messages")

        await listed.get_by_role("link", name=str(message_id)).click()
        await expect(page.get_by_role("heading", name=f"Message {message_id}")).to_be_visible()
        await page.get_by_role("button", name="Resend").click()
        await expect(page.get_by_role("status")).to_contain_text(f"Message {message_id} is pending again")
        await expect(page.get_by_role("button", name="Resend")).to_have_count(0)
        await _shot(page, "message")


def _spring_file(folder: Path) -> Path:
    bad = family_body("bad")
    bad["children"][0]["dob"] = "someday"
    records = {"providers": [provider_body("p1")], "families": [family_body("f1"), bad]}
    path = folder / "spring.json"
    path.write_text(json.dumps(records))
    return path


async def test_staff_upload_a_file_and_the_page_follows_the_import_by_itself(
    client: Client, settings: Settings, clock: FixedClock, tmp_path: Path, console_worker: Any
) -> None:
    await create_account(client, "user_staff", "admin")
    upload = _spring_file(tmp_path)
    async with _staff_page(settings, clock, tmp_path) as page:
        await page.locator("header nav").get_by_role("link", name="Imports").click()
        await expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()
        await page.locator("#import-form input[type=file]").set_input_files(upload)
        await page.get_by_role("button", name="Import").click()
        await expect(page.get_by_role("heading", name="Import of spring.json")).to_be_visible()
        await expect(page.locator("#import-status")).to_have_text("queued")
        console_worker()
        # Nobody presses anything: the page reloads itself until the import is done.
        await expect(page.locator("#import-done")).to_be_visible(timeout=3 * WAIT_MS)
        await expect(page.locator("#import-counts")).to_have_text(
            "3 of 3: 2 created, 0 updated, 0 unchanged, 1 rejected"
        )
        await expect(page.locator("#rejections")).to_contain_text("must be a date")
        await _shot(page, "import")
        await page.get_by_role("link", name="All imports").click()
        await expect(page.locator("#imports")).to_contain_text("done")
        await _shot(page, "imports")
