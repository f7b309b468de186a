"""What the console's page tests share: staff signed in with the ``__session`` cookie, the form's CSRF
token, a CSV export read back."""

from __future__ import annotations

import csv
import io

from tests.e2e.identity_support import create_account
from tests.e2e.programme_support import Client
from tests.tokens import TokenMinter

STAFF = "user_staff"


async def sign_in_staff(client: Client, minter: TokenMinter, user_id: str = STAFF) -> None:
    await create_account(client, user_id, "admin")
    client.cookies.set("__session", minter.token(user_id))


async def csrf(client: Client) -> str:
    """The console's CSRF token (the cookie a console page sets), to send back in a form."""
    await client.get("/console")
    token = client.cookies.get("cap_console_csrf")
    assert token
    return token


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def readable_refusal(page_text: str) -> bool:
    """A refusal shown as a page: no JSON error body, no traceback."""
    return '"code"' not in page_text and "Traceback" not in page_text
