"""Attendance through the real routes (frontend-contract §2.4, §2.15): last week's record made for a
provider paid that week, the due lists in the frontend's shapes (first opening stamped once), entry by
both sides with the staff's notice, a second entry and bad counts refused, another family's or provider's
record a 404, a center asked only once its month is over, and a pair no longer linked filled with 0/0."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from entrypoints.settings import Settings
from tests.e2e.attendance_support import MONDAY_AFTER, WEEK, center_household, create_week, paid_household
from tests.e2e.concurrency import writes_held
from tests.e2e.identity_support import OPERATOR
from tests.e2e.payment_support import overlapping_client_at, scalar
from tests.e2e.programme_support import Client, db_rows
from tests.fake_clerk import FakeClerk
from tests.fakes import FixedClock
from tests.tokens import TokenMinter

NO_ID = "00000000-0000-4000-8000-000000000000"


def rows(*entries: tuple[str, int, int]) -> dict[str, Any]:
    return {"attendance": [{"id": i, "full_days": f, "half_days": h} for i, f, h in entries]}


async def test_both_sides_enter_last_weeks_attendance_once(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> None:
    home = await paid_household(programme_client, minter, fake_clerk, sessions, "att")
    clock.current = MONDAY_AFTER
    made = await create_week(sessions, clock)
    assert (made.eligible, made.created) == (1, 1)

    # The family's list: the frontend's shape, every row's child and provider listed beside it.
    response = await programme_client.get("/family/attendance", headers=home.family_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"attendance", "children", "providers"}
    [row] = body["attendance"]
    assert (row["date"], row["child_id"], row["provider_id"]) == (
        WEEK.isoformat(),
        home.child_id,
        home.provider_id,
    )
    assert home.child_id in [c["id"] for c in body["children"]]
    assert set(body["children"][0]) == {"id", "first_name", "last_name"}
    assert [p["id"] for p in body["providers"]] == [home.provider_id]
    assert set(body["providers"][0]) == {"id", "name"}

    # The first opening is kept: opening again later changes nothing.
    clock.current = MONDAY_AFTER + timedelta(hours=3)
    assert (await programme_client.get("/family/attendance", headers=home.family_headers)).status_code == 200
    [opened] = await db_rows(settings, "SELECT family_opened_at, provider_opened_at FROM attendance")
    assert opened["family_opened_at"] == MONDAY_AFTER
    assert opened["provider_opened_at"] is None

    # Counts outside 0..7 and ids that are not due from the family are refused; nothing is written.
    too_many = await programme_client.post(
        "/family/attendance", json=rows((row["id"], 8, 0)), headers=home.family_headers
    )
    assert too_many.status_code == 400, too_many.text
    unknown = await programme_client.post(
        "/family/attendance", json=rows((row["id"], 1, 0), (NO_ID, 1, 0)), headers=home.family_headers
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "attendance_not_found")
    assert await scalar(sessions, "SELECT count(*) FROM attendance WHERE family_entered_at IS NOT NULL") == 0

    entered = await programme_client.post(
        "/family/attendance", json=rows((row["id"], 2, 1)), headers=home.family_headers
    )
    assert entered.status_code == 200, entered.text
    again = await programme_client.post(
        "/family/attendance", json=rows((row["id"], 3, 0)), headers=home.family_headers
    )
    assert (again.status_code, again.json()["code"]) == (400, "attendance_already_entered")
    after = await programme_client.get("/family/attendance", headers=home.family_headers)
    assert after.json()["attendance"] == []

    # The provider's side is its own.
    provider_view = await programme_client.get("/provider/attendance", headers=home.provider_headers)
    assert provider_view.status_code == 200, provider_view.text
    assert set(provider_view.json()) == {"attendance", "children"}
    [provider_row] = provider_view.json()["attendance"]
    assert provider_row == {"id": row["id"], "date": WEEK.isoformat(), "child_id": home.child_id}
    assert home.child_id in [c["id"] for c in provider_view.json()["children"]]
    done = await programme_client.post(
        "/provider/attendance", json=rows((row["id"], 3, 0)), headers=home.provider_headers
    )
    assert done.status_code == 200, done.text

    [record] = await db_rows(settings, "SELECT * FROM attendance")
    assert (record["family_full_days"], record["family_half_days"]) == (2, 1)
    assert (record["provider_full_days"], record["provider_half_days"]) == (3, 0)
    notices = await db_rows(
        settings, "SELECT recipient, data FROM messages WHERE kind = 'staff_attendance_entered' ORDER BY id"
    )
    assert [n["recipient"] for n in notices] == ["staff", "staff"]
    assert "2 full, 1 half" in notices[0]["data"]
    assert WEEK.isoformat() in notices[0]["data"]


async def test_another_familys_or_providers_record_is_not_found(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    mine = await center_household(programme_client, minter, fake_clerk, "own")
    theirs = await center_household(programme_client, minter, fake_clerk, "oth")
    clock.current = MONDAY_AFTER
    assert (await create_week(sessions, clock)).created == 2
    their_rows = (await programme_client.get("/family/attendance", headers=theirs.family_headers)).json()
    [their_row] = their_rows["attendance"]
    for path, headers in (
        ("/family/attendance", mine.family_headers),
        ("/provider/attendance", mine.provider_headers),
    ):
        response = await programme_client.post(path, json=rows((their_row["id"], 1, 0)), headers=headers)
        assert (response.status_code, response.json()["code"]) == (404, "attendance_not_found"), path


async def test_a_center_is_asked_for_its_side_once_the_month_is_over(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    home = await center_household(programme_client, minter, fake_clerk, "ctr")
    clock.current = MONDAY_AFTER
    await create_week(sessions, clock)  # a center: no paid care day needed
    [row] = (await programme_client.get("/family/attendance", headers=home.family_headers)).json()[
        "attendance"
    ]
    in_january = await programme_client.get("/provider/attendance", headers=home.provider_headers)
    assert in_january.json()["attendance"] == []
    early = await programme_client.post(
        "/provider/attendance", json=rows((row["id"], 5, 0)), headers=home.provider_headers
    )
    assert early.status_code == 404, early.text
    clock.current = datetime(2025, 2, 1, 17, 0, tzinfo=UTC)
    in_february = await programme_client.get("/provider/attendance", headers=home.provider_headers)
    assert [r["id"] for r in in_february.json()["attendance"]] == [row["id"]]


async def test_a_pair_no_longer_linked_is_filled_with_zero_days_when_opened(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> None:
    home = await center_household(programme_client, minter, fake_clerk, "gone")
    clock.current = MONDAY_AFTER
    await create_week(sessions, clock)
    unlinked = await programme_client.delete(
        f"/admin/providers/{home.provider_id}/children/{home.child_id}", headers=OPERATOR
    )
    assert unlinked.status_code == 200, unlinked.text
    listed = await programme_client.get("/family/attendance", headers=home.family_headers)
    assert listed.json()["attendance"] == []
    [record] = await db_rows(settings, "SELECT * FROM attendance")
    assert (record["family_full_days"], record["family_half_days"]) == (0, 0)
    assert record["family_entered_at"] == MONDAY_AFTER
    assert record["provider_entered_at"] is None  # the provider's side is the provider's to open


async def test_the_literal_paths_are_not_taken_for_a_child_id(
    programme_client: Client, minter: TokenMinter, fake_clerk: FakeClerk
) -> None:
    home = await center_household(programme_client, minter, fake_clerk, "lit")
    listed = await programme_client.get("/family/attendance", headers=home.family_headers)
    assert (listed.status_code, listed.json()["attendance"]) == (200, [])
    posted = await programme_client.post(
        "/family/attendance", json=rows((NO_ID, 0, 0)), headers=home.family_headers
    )
    assert posted.status_code == 404, posted.text  # the route's own answer, not 405
    assert (
        await programme_client.get(f"/family/{home.child_id}", headers=home.family_headers)
    ).status_code == 200


async def test_two_entries_of_one_week_at_once_enter_it_once(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    database_url: str,
    clock: FixedClock,
) -> None:
    home = await center_household(programme_client, minter, fake_clerk, "race")
    clock.current = MONDAY_AFTER
    await create_week(sessions, clock)
    [row] = (await programme_client.get("/family/attendance", headers=home.family_headers)).json()[
        "attendance"
    ]
    async with overlapping_client_at(settings, clock) as client:
        # Both read the record before either writes: the record's row lock must make the second wait
        # and then see the first entry.
        async with writes_held(database_url, "attendance") as held:
            posts = [
                asyncio.create_task(
                    client.post(
                        "/family/attendance", json=rows((row["id"], n, 0)), headers=home.family_headers
                    )
                )
                for n in (1, 2)
            ]
            await held.until_blocked(2)
        answers = await asyncio.gather(*posts)
    outcomes = sorted((a.status_code, a.json().get("code")) for a in answers)
    assert outcomes == [(200, None), (400, "attendance_already_entered")], [a.text for a in answers]
    notices = await scalar(sessions, "SELECT count(*) FROM messages WHERE kind = 'staff_attendance_entered'")
    assert notices == 1
