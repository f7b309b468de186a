"""``/clicks`` (one count per person and tracking id, atomic under concurrency) and hourly activity (one
row per person and UTC hour, no statement on the hot path once the hour is noted, never failing a
request), through the real routes on real Postgres."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from entrypoints.settings import Settings
from tests.e2e.concurrency import writes_held
from tests.e2e.identity_support import OPERATOR, create_account, signed_in_as
from tests.e2e.payment_support import overlapping_client_at
from tests.e2e.programme_support import NOW, Client, db_rows, household
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.statement_counts import counting
from tests.tokens import TokenMinter

BANNER = "pathways_banner"


async def test_a_click_is_counted_per_person_and_read_back(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    home = await household(programme_client, minter, fake_clerk, "clk")
    unseen = await programme_client.get(f"/clicks?tracking_id={BANNER}", headers=home.family_headers)
    assert unseen.status_code == 404, unseen.text
    assert unseen.json()["code"] == "not_clicked"

    first = await programme_client.post("/clicks", json={"tracking_id": BANNER}, headers=home.family_headers)
    assert (first.status_code, first.json()) == (201, {"tracking_id": BANNER})
    link = {"tracking_id": BANNER, "url": "https://example.org/pathways"}
    again = await programme_client.post("/clicks", json=link, headers=home.family_headers)
    assert (again.status_code, again.json()) == (200, {"tracking_id": BANNER})
    seen = await programme_client.get(f"/clicks?tracking_id={BANNER}", headers=home.family_headers)
    assert (seen.status_code, seen.json()) == (200, {"tracking_id": BANNER})
    # The provider is another person: its banner still shows.
    other = await programme_client.get(f"/clicks?tracking_id={BANNER}", headers=home.provider_headers)
    assert other.status_code == 404

    rows = await db_rows(settings, "SELECT * FROM clicks")
    assert [(r["clerk_user_id"], r["tracking_id"], r["click_count"], r["url"]) for r in rows] == [
        (home.family_user, BANNER, 2, "https://example.org/pathways")
    ]
    assert (rows[0]["family_id"], rows[0]["provider_id"]) == (home.family_id, None)


async def test_twenty_clicks_at_once_count_twenty(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    settings: Settings,
    database_url: str,
) -> None:
    home = await household(programme_client, minter, fake_clerk, "race")
    roomy = replace(settings, database_pool_size=40)  # a plain pool of 20: one connection per click
    async with overlapping_client_at(roomy, FixedClock(NOW)) as client:
        # All twenty truly at once: each waits to write its click until all twenty are waiting.
        async with writes_held(database_url, "clicks") as held:
            clicks = [
                asyncio.create_task(
                    client.post("/clicks", json={"tracking_id": BANNER}, headers=home.provider_headers)
                )
                for _ in range(20)
            ]
            await held.until_waiting(20)
        answers = await asyncio.gather(*clicks)
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201]
    rows = await db_rows(
        settings, "SELECT click_count FROM clicks WHERE clerk_user_id = $1", home.provider_user
    )
    assert [r["click_count"] for r in rows] == [20]


async def test_clicks_refuse_bad_input_strangers_and_unlinked_accounts(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk, settings: Settings
) -> None:
    home = await household(programme_client, minter, fake_clerk, "bad")
    bodies = [
        {},
        {"tracking_id": ""},
        {"tracking_id": "x" * 129},
        {"tracking_id": 5},
        {"tracking_id": "a", "b": 1},
    ]
    for body in bodies:
        response = await programme_client.post("/clicks", json=body, headers=home.family_headers)
        assert response.status_code == 400, (body, response.text)
    long_query = await programme_client.get(f"/clicks?tracking_id={'x' * 129}", headers=home.family_headers)
    assert long_query.status_code == 400
    assert (await programme_client.post("/clicks", json={"tracking_id": BANNER})).status_code == 401
    by_key = await programme_client.post("/clicks", json={"tracking_id": BANNER}, headers=OPERATOR)
    assert by_key.status_code == 401
    await create_account(programme_client, "user_unlinked", "family")
    unlinked = await programme_client.post(
        "/clicks", json={"tracking_id": BANNER}, headers=signed_in_as(minter, "user_unlinked")
    )
    assert (unlinked.status_code, unlinked.json()["code"]) == (403, "not_linked")
    assert await db_rows(settings, "SELECT * FROM clicks") == []


async def test_activity_is_one_row_per_person_and_hour_and_free_once_noted(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    settings: Settings,
    clock: FixedClock,
) -> None:
    home = await household(programme_client, minter, fake_clerk, "act")  # signed-in requests this hour
    services = programme_client.app.state.services
    with counting(services.engine, services.raw_pool) as statements:
        response = await programme_client.get("/auth/me", headers=home.family_headers)
    assert response.status_code == 200
    assert len(statements) == 1, statements  # the account lookup only: this hour is noted already

    clock.current += timedelta(hours=1)
    for _ in range(3):
        assert (await programme_client.get("/auth/me", headers=home.family_headers)).status_code == 200
    rows = await db_rows(
        settings, "SELECT clerk_user_id, hour, family_id FROM hourly_activity ORDER BY hour, clerk_user_id"
    )
    start = clock.current.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    family_rows = [(r["hour"], r["family_id"]) for r in rows if r["clerk_user_id"] == home.family_user]
    assert family_rows == [(start, home.family_id), (start + timedelta(hours=1), home.family_id)]
    assert [r["hour"] for r in rows if r["clerk_user_id"] == home.provider_user] == [start]


async def test_activity_that_cannot_be_written_never_fails_the_request(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    settings: Settings,
    clock: FixedClock,
) -> None:
    home = await household(programme_client, minter, fake_clerk, "down")
    await db_rows(settings, "ALTER TABLE hourly_activity RENAME TO hourly_activity_away")
    try:
        clock.current += timedelta(hours=1)  # a new hour: the note is attempted, and fails
        response = await programme_client.get("/auth/me", headers=home.family_headers)
        assert response.status_code == 200, response.text
    finally:
        await db_rows(settings, "ALTER TABLE hourly_activity_away RENAME TO hourly_activity")
    # Not remembered as noted: the next request of the hour tries again and succeeds.
    assert (await programme_client.get("/auth/me", headers=home.family_headers)).status_code == 200
    rows = await db_rows(
        settings, "SELECT hour FROM hourly_activity WHERE clerk_user_id = $1", home.family_user
    )
    assert len(rows) == 2
