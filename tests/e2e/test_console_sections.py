"""The family's and provider's pages with every list they show (guardians, children, allocations by
month with care days and lump sums, payments, messages, attendance, invitations, ledger; a provider's
children and rates, payment settings, payments, ledger), each list a page at a time and as CSV; the
CSVs say what the database holds; a non-admin is refused on every list and CSV."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from entrypoints.http.console import family_pages, provider_pages
from entrypoints.settings import Settings
from tests.e2e.attendance_support import MONDAY_AFTER, WEEK, create_week, paid_household
from tests.e2e.console_support import csv_rows, readable_refusal, sign_in_staff
from tests.e2e.identity_support import create_account
from tests.e2e.programme_support import Client, Household, db_rows, family_body, post_ok
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

NO_ID = "00000000-0000-4000-8000-000000000000"
FAMILY_LISTS = sorted(family_pages.SECTIONS)
PROVIDER_LISTS = sorted(provider_pages.SECTIONS)


async def _seeded(
    client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> Household:
    """A household with a paid week, a lump sum, an invitation each way, and the week's attendance."""
    home = await paid_household(client, minter, fake_clerk, sessions, "sec")
    lump = {"allocation_id": home.allocation_id, "provider_id": home.provider_id, "amount_cents": 10_000,
            "days": 2, "half_days": 1}  # fmt: skip
    made = await client.post("/lump-sums", json=lump, headers=home.family_headers)
    assert made.status_code == 201, made.text
    await post_ok(client, "/provider/invite-family", {"family_email": "ana.sec@x.org"},
                  headers=home.provider_headers)  # fmt: skip
    invite = {"provider_email": "other.sec@x.org", "child_ids": [home.child_id]}
    await post_ok(client, "/family/invite-provider", invite, headers=home.family_headers)
    clock.current = MONDAY_AFTER
    assert (await create_week(sessions, clock)).created == 1
    await sign_in_staff(client, minter)
    return home


async def _csv(client: Client, path: str) -> list[dict[str, str]]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    name = path.removeprefix("/console/").replace("/", "-")  # families-<id>-ledger.csv
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    return csv_rows(response.text)


async def test_the_family_page_shows_every_list_and_each_csv_says_what_the_database_holds(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    settings: Settings,
) -> None:
    home = await _seeded(programme_client, minter, fake_clerk, sessions, clock)
    base = f"/console/families/{home.family_id}"
    page = await programme_client.get(base)
    assert page.status_code == 200, page.text
    for shown in ("Ana sec Doe", "Kid0 sec Doe", "January 2025", "2025-01-06 Half Day",
                  "Lump sum $100.00", "status-paid", "family_invited", "ana.sec@x.org",
                  "other.sec@x.org", "received", "sent", WEEK.isoformat(), "family to provider"):  # fmt: skip
        assert shown in page.text, shown
    for name in FAMILY_LISTS:
        assert f'href="{base}/{name}.csv"' in page.text, name
        listed = await programme_client.get(f"{base}/{name}")
        assert listed.status_code == 200, (name, listed.text)
        assert f'id="{name}-rows"' in listed.text

    [guardian] = await _csv(programme_client, f"{base}/guardians.csv")
    assert (guardian["name"], guardian["email"]) == ("Ana sec Doe", "ana.sec@x.org")
    months = await _csv(programme_client, f"{base}/allocations.csv")
    stored_months = await db_rows(settings, "SELECT month FROM month_allocations ORDER BY month DESC")
    assert [m["month"] for m in months] == [r["month"].isoformat() for r in stored_months]
    [month] = [m for m in months if m["month"] == "2025-01-01"]
    allocation = (
        await db_rows(settings, "SELECT * FROM month_allocations WHERE id = $1", home.allocation_id)
    )[0]
    assert (month["month"], month["care_days"], month["child_id"]) == ("2025-01-01", "3", home.child_id)
    for column in ("allocation_cents", "paid_cents", "lump_sum_cents"):
        assert month[column] == str(allocation[column]) != "0", column
    days = await _csv(programme_client, f"{base}/care-days.csv")
    stored = await db_rows(settings, "SELECT date, amount_cents FROM care_days ORDER BY date")
    assert [(d["date"], d["amount_cents"], d["paid"]) for d in days] == [
        (r["date"].isoformat(), str(r["amount_cents"]), "yes") for r in stored
    ]
    [lump_sum] = await _csv(programme_client, f"{base}/lump-sums.csv")
    assert (lump_sum["amount_cents"], lump_sum["days"], lump_sum["half_days"]) == ("10000", "2", "1")

    payments = await _csv(programme_client, f"{base}/payments.csv")
    intents = await db_rows(settings, "SELECT id::text, amount_cents, status FROM payment_intents"
                            " WHERE family_id = $1 ORDER BY created_at DESC, id", home.family_id)  # fmt: skip
    assert len(intents) == 2
    assert [(p["intent_id"], p["amount_cents"], p["status"]) for p in payments] == [
        (r["id"], str(r["amount_cents"]), r["status"]) for r in intents
    ]
    ledger = await _csv(programme_client, f"{base}/ledger.csv")
    entries = await db_rows(
        settings,
        "SELECT e.id, e.amount_cents, e.balance_after_cents FROM ledger_entries e"
        " JOIN ledger_accounts a ON a.id = e.account_id WHERE a.owner_id = $1 AND a.kind = 'family_wallet'"
        " ORDER BY e.id DESC",
        home.family_id,
    )
    assert len(entries) >= 3  # funded, then two payments to the provider
    assert [(e["entry_id"], e["amount_cents"], e["balance_after_cents"]) for e in ledger] == [
        (str(r["id"]), str(r["amount_cents"]), str(r["balance_after_cents"])) for r in entries
    ]
    messages = await _csv(programme_client, f"{base}/messages.csv")
    sent = await db_rows(
        settings,
        "SELECT id FROM messages WHERE (about_type = 'family' AND about_id = $1)"
        " OR lower(recipient) = 'ana.sec@x.org' ORDER BY created_at DESC, id DESC",
        home.family_id,
    )
    assert [m["message_id"] for m in messages] == [str(r["id"]) for r in sent]
    assert ("family_invited", "ana.sec@x.org") in [(m["kind"], m["recipient"]) for m in messages]
    assert "other.sec@x.org" not in [m["recipient"] for m in messages]  # the provider's, not the family's
    invitations = await _csv(programme_client, f"{base}/invitations.csv")
    assert sorted((i["direction"], i["status"]) for i in invitations) == [
        ("received", "not opened"), ("sent", "not opened")
    ]  # fmt: skip
    [attendance] = await _csv(programme_client, f"{base}/attendance.csv")
    assert (attendance["week"], attendance["child"], attendance["family_entered"]) == (
        WEEK.isoformat(), "Kid0 sec Doe", "overdue"
    )  # fmt: skip
    assert attendance["blocks_paying"] == "yes"


async def test_the_provider_page_shows_every_list_and_each_csv_says_what_the_database_holds(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    settings: Settings,
) -> None:
    home = await _seeded(programme_client, minter, fake_clerk, sessions, clock)
    base = f"/console/providers/{home.provider_id}"
    page = await programme_client.get(base)
    assert page.status_code == 200, page.text
    for shown in ("Kid0 sec Doe", "$40.00", f"/console/families/{home.family_id}", "Ana sec Doe",
                  "status-paid", "status-active", "provider_wallet"):  # fmt: skip
        assert shown in page.text, shown
    assert '<dd id="payability">yes</dd>' in page.text
    for name in PROVIDER_LISTS:
        assert f'href="{base}/{name}.csv"' in page.text, name
        listed = await programme_client.get(f"{base}/{name}")
        assert listed.status_code == 200, (name, listed.text)
        assert f'id="{name}-rows"' in listed.text

    [child] = await _csv(programme_client, f"{base}/children.csv")
    rates = (await db_rows(settings, "SELECT * FROM payment_rates WHERE child_id = $1", home.child_id))[0]
    assert (child["child_id"], child["family_id"]) == (home.child_id, home.family_id)
    assert (child["half_day_rate_cents"], child["full_day_rate_cents"]) == (
        str(rates["half_day_rate_cents"]), str(rates["full_day_rate_cents"])
    )  # fmt: skip
    instruments = {row["method"]: row for row in await _csv(programme_client, f"{base}/instruments.csv")}
    stored = (await db_rows(settings, "SELECT * FROM provider_payment_settings WHERE provider_id = $1",
                            home.provider_id))[0]  # fmt: skip
    assert (instruments["card"]["chosen"], instruments["card"]["status"]) == ("yes", stored["card_status"])
    assert instruments["card"]["instrument_id"] == stored["card_id"]
    assert instruments["ach"]["chosen"] == "no"
    assert instruments["card"]["wallet_balance_cents"] == str(stored["wallet_balance_cents"] or "")
    payments = await _csv(programme_client, f"{base}/payments.csv")
    intents = await db_rows(settings, "SELECT id::text FROM payment_intents WHERE provider_id = $1"
                            " ORDER BY created_at DESC, id", home.provider_id)  # fmt: skip
    assert [p["intent_id"] for p in payments] == [r["id"] for r in intents]
    assert {p["family"] for p in payments} == {"Ana sec Doe"}
    ledger = await _csv(programme_client, f"{base}/ledger.csv")
    entries = await db_rows(
        settings,
        "SELECT e.id, a.kind, e.amount_cents FROM ledger_entries e JOIN ledger_accounts a"
        " ON a.id = e.account_id WHERE a.owner_id = $1 ORDER BY e.id DESC",
        home.provider_id,
    )
    assert entries
    assert [(e["entry_id"], e["account"], e["amount_cents"]) for e in ledger] == [
        (str(r["id"]), r["kind"], str(r["amount_cents"])) for r in entries
    ]


async def test_a_long_list_is_shown_a_page_at_a_time_and_whole_in_its_csv(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    family = await post_ok(programme_client, "/admin/families", family_body("pager"))
    rows = [(f"about-{n:02d}", f"k-{n}") for n in range(27)]
    await _insert_messages(settings, family["id"], rows)
    await sign_in_staff(programme_client, minter)
    base = f"/console/families/{family['id']}"
    page = await programme_client.get(base)
    assert page.text.count("reminder_test") == 10
    assert f'href="{base}/messages"' in page.text  # the rest behind "All messages"
    first = await programme_client.get(f"{base}/messages")
    assert first.text.count("reminder_test") == 25
    assert 'rel="next"' in first.text
    second = await programme_client.get(f"{base}/messages", params={"page": 2})
    assert second.text.count("reminder_test") == 2
    assert 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text
    assert len(await _csv(programme_client, f"{base}/messages.csv")) == 27


async def _insert_messages(settings: Settings, family_id: str, rows: list[tuple[str, str]]) -> None:
    # Messages about the family as the notifications' log holds them (their sending is not the point).
    for subject, key in rows:
        await db_rows(
            settings,
            "INSERT INTO messages (channel, kind, recipient, language, data, about_type, about_id,"
            " idempotency_key, status, subject) VALUES ('email', 'reminder_test', 'x@y.org', 'en', '{}',"
            " 'family', $1, $2, 'pending', $3) RETURNING id",
            family_id,
            key,
            subject,
        )


async def test_unknown_lists_and_owners_are_readable_not_found_pages(
    programme_client: Client, minter: TokenMinter
) -> None:
    await sign_in_staff(programme_client, minter)
    family = await post_ok(programme_client, "/admin/families", family_body("nf"))
    for path, said in (
        (f"/console/families/{family['id']}/nonsense", "There is no such list on this page."),
        (f"/console/families/{family['id']}/nonsense.csv", "There is no such list on this page."),
        (f"/console/families/{NO_ID}/ledger", "There is no family with that id."),
        ("/console/families/not-an-id/payments.csv", "There is no family with that id."),
        (f"/console/providers/{NO_ID}/children", "There is no provider with that id."),
        ("/console/providers/nope/ledger.csv", "There is no provider with that id."),
        (f"/console/families/{family['id']}/ledger?page=0", ""),
    ):
        response = await programme_client.get(path)
        assert response.status_code in (400, 404), path
        assert response.headers["content-type"].startswith("text/html"), path
        assert said in response.text, path
        assert readable_refusal(response.text), path


@pytest.mark.parametrize(
    "path",
    [f"/console/families/{NO_ID}/{name}{suffix}" for name in FAMILY_LISTS for suffix in ("", ".csv")]
    + [f"/console/providers/{NO_ID}/{name}{suffix}" for name in PROVIDER_LISTS for suffix in ("", ".csv")],
)
async def test_a_non_admin_is_refused_every_list_and_csv(
    client: Client, minter: TokenMinter, path: str
) -> None:
    await create_account(client, "user_parent", "family")
    client.cookies.set("__session", minter.token("user_parent"))
    refused = await client.get(path, follow_redirects=False)
    assert refused.status_code == 403
    assert "The console is for programme staff" in refused.text
    client.cookies.clear()
    assert (await client.get(path, follow_redirects=False)).status_code == 303
