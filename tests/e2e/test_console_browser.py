"""The operator console in a real browser (headless Debian Chromium, Playwright): staff sign in with the
development sign-in, find a family, change a child's allocation, see the audit entry, retry a failed
payment on the sandbox and export a CSV; a family's account is refused.

With ``CONSOLE_SCREENSHOTS=docs/console`` the test also writes the main pages' screenshots there (the
README's pictures): ``CONSOLE_SCREENSHOTS=docs/console pytest tests/e2e/test_console_browser.py``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, public_pem
from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from entrypoints.settings import Settings
from tests.e2e.browser import chromium, chromium_path, served
from tests.e2e.identity_support import create_account
from tests.e2e.payment_support import days_from, payable_household, schedule, submit_path
from tests.e2e.programme_support import FIRST_OPEN_DAY, Client, app_at
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

WAIT_MS = 30_000  # a busy machine: generous, and every wait ends on what the page shows
expect.set_options(timeout=WAIT_MS)
SHOTS = Path(os.environ["CONSOLE_SCREENSHOTS"]) if os.environ.get("CONSOLE_SCREENSHOTS") else None


def _dev_settings(settings: Settings, data_dir: Path) -> Settings:
    """The server trusts the development key, as under `cap-portal dev`: the development sign-in is on."""
    key = dev_signing_key(data_dir)
    return replace(settings, cap_data_dir=data_dir, clerk_jwt_key=public_pem(key), clerk_issuer=DEV_ISSUER)


async def _shot(page: Page, name: str) -> None:
    if SHOTS is not None:  # Playwright makes the folder
        await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def _sign_in(page: Page, base: str, user_id: str) -> None:
    await page.goto(f"{base}/console")
    await expect(page.get_by_role("heading", name="Development sign-in")).to_be_visible()
    await page.get_by_label("Clerk user id").fill(user_id)
    await page.get_by_role("button", name="Sign in").click()


async def test_staff_run_the_programme_from_a_browser(
    programme_client: Client,
    settings: Settings,
    clock: FixedClock,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    # A household whose payment was declined by the sandbox: a failed intent for an operator.
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "web")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    await SandboxGateway(sessions).fail_next(Fault.DECLINED, operation="transfer_to_provider")
    declined = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert declined.status_code == 400, declined.text
    await create_account(programme_client, "user_staff", "admin")

    with served(app_at(_dev_settings(settings, tmp_path), clock)) as base:
        async with chromium() as browser:
            # A family's account signs in and is refused, with a page that says why.
            family_browser = await browser.new_context()
            refused = await family_browser.new_page()
            await _sign_in(refused, base, home.family_user)
            await expect(refused.get_by_role("heading", name="Not allowed")).to_be_visible()
            await expect(refused.get_by_role("alert")).to_contain_text("The console is for programme staff")
            await _shot(refused, "refused")
            await family_browser.close()

            context = await browser.new_context(
                accept_downloads=True, viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            await _sign_in(page, base, "user_staff")
            await expect(page.get_by_role("heading", name="Console")).to_be_visible()
            await _shot(page, "home")

            # Find the family by its guardian's name, open it.
            await page.get_by_role("searchbox", name="Search").fill("Ana web")
            await page.get_by_role("button", name="Search").click()
            await expect(page.locator("#search-results")).to_contain_text("Ana web Doe")
            await _shot(page, "search")
            await page.get_by_role("link", name="Ana web Doe").click()
            await expect(page.get_by_role("heading", name="Family of Ana web Doe")).to_be_visible(
                timeout=WAIT_MS
            )

            # Change the child's allocation: over the maximum is refused on the page, then a good one.
            allocation = page.get_by_label("Monthly allocation ($)")
            await allocation.fill("5000")
            await page.get_by_role("button", name="Change allocation").click()
            await expect(page.get_by_role("alert")).to_contain_text(
                "The allocation was not changed", timeout=WAIT_MS
            )
            await page.get_by_label("Monthly allocation ($)").fill("1000")
            await page.get_by_role("button", name="Change allocation").click()
            await expect(page.get_by_role("status")).to_contain_text(
                "monthly allocation is now $1,000.00", timeout=WAIT_MS
            )
            await _shot(page, "family")

            # Retry the failed payment on the sandbox.
            await page.get_by_role("link", name="Failed payments").click()
            await expect(page.locator("#failed-payments")).to_contain_text("Ana web Doe")
            await _shot(page, "failed-payments")
            await page.get_by_role("button", name="Retry").click()
            await expect(page.get_by_role("status")).to_contain_text("went through")
            await expect(page.locator("#failed-payments")).to_contain_text("No failed payments.")

            # The audit log shows both changes, and exports them.
            await page.get_by_role("link", name="Audit log").click()
            entries = page.locator("#audit-entries")
            await expect(entries).to_contain_text("child.changed")
            await expect(entries).to_contain_text("payment_intent.retried")
            await expect(entries).to_contain_text("console:user_staff")
            await expect(entries).to_contain_text("120000 → 100000")
            await _shot(page, "audit")
            async with page.expect_download() as download_info:
                await page.locator("#export-csv").click()
            download = await download_info.value
            exported = await asyncio.to_thread(Path(await download.path()).read_text)
            rows = list(csv.DictReader(io.StringIO(exported)))
            # The household was made through the admin API, so its pushes, accounts and link are on
            # the log too.
            assert {row["action"] for row in rows} == {
                "family.created",
                "child.created",
                "provider.created",
                "account.onboarded",
                "account.created",
                "provider_child_link.linked",
                "child.changed",
                "payment_intent.retried",
            }
            assert download.suggested_filename == "audit.csv"
            await context.close()


def test_no_browser_skips_on_a_developers_machine_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        chromium_path()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="installs Debian's chromium"):
        chromium_path()
