"""Friday's payment reminders on real Postgres: a family that can pay a provider for next week and has paid
nothing of it gets one "pay your provider by Monday" message (once, however often the job runs), in its
language; a paid care day next week, a center, a child not payment-enabled, no budget left to schedule and
the programme's end each mean no message."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.money.reminders import ReminderWeek, reminders_stopped
from domain.programme.care_days import CareDay, CareDayType
from domain.programme.config import DEFAULT_BUSINESS_TIMEZONE, ProgrammeRules
from domain.programme.providers import ProviderType
from domain.programme.records import UNSAVED_ID
from domain.programme.statuses import ApplicationStatus, Language
from entrypoints.cli import cli
from entrypoints.jobs import job_manager
from entrypoints.jobs.books import PAYMENT_REMINDERS_CRON, send_payment_reminders_job
from entrypoints.jobs.context import JobContext
from tests.fakes import FixedClock
from tests.integration.programme.conftest import NOW, Seeded, UowFactory, seed

# Friday 3 January 2025, 08:00 in Denver: next week is Monday 6 to Sunday 12 January.
FRIDAY = datetime(2025, 1, 3, 15, 0, tzinfo=UTC)
NEXT_MONDAY = date(2025, 1, 6)


async def payable(new_uow: UowFactory, **provider: Any) -> Seeded:
    seeded = await seed(new_uow())
    async with new_uow() as uow:
        fields = {"status": ApplicationStatus.APPROVED, "payment_enabled": True, **provider}
        await uow.providers.save(replace(seeded.provider, **fields))
        await uow.commit()
    return seeded


async def reminders(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        query = text("SELECT * FROM messages WHERE kind = 'payment_reminder' ORDER BY id")
        return [dict(r) for r in (await connection.execute(query)).mappings()]


async def batch_totals(engine: AsyncEngine) -> dict[int, int]:
    async with engine.connect() as connection:
        query = text(
            "SELECT b.id, count(m.id) FROM message_batches b LEFT JOIN messages m ON m.batch_id = b.id "
            "WHERE b.kind = 'payment_reminder' GROUP BY b.id"
        )
        return {row[0]: row[1] for row in await connection.execute(query)}


async def care_day(new_uow: UowFactory, seeded: Seeded, day: date, **fields: Any) -> None:
    async with new_uow() as uow:
        added = await uow.care_days.add(
            CareDay(
                UNSAVED_ID,
                seeded.allocation.id,
                seeded.child.id,
                seeded.provider.id,
                day,
                CareDayType.FULL_DAY,
                amount_cents=8_000,
                amount_missing_cents=None,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        if fields:
            await uow.care_days.save(replace(added, **fields))
        await uow.commit()


@pytest.fixture
def friday(clock: FixedClock) -> FixedClock:
    clock.current = FRIDAY
    return clock


async def test_a_family_that_can_pay_for_next_week_is_reminded_once(
    context: JobContext, friday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await payable(new_uow)
    async with new_uow() as uow:
        await uow.families.save(replace(seeded.family, language=Language.SPANISH))
        await uow.commit()
    await care_day(new_uow, seeded, NEXT_MONDAY)  # scheduled, not paid: still reminded

    first = await send_payment_reminders_job()
    again = await send_payment_reminders_job()

    assert (first["week_start"], first["reminded"], first["stopped"]) == ("2025-01-06", 1, False)
    assert (again["reminded"], again["already_reminded"]) == (0, 1)
    [message] = await reminders(engine)
    assert (message["recipient"], message["language"], message["about_id"]) == (
        "ana@example.org", "es", seeded.family.id,
    )  # fmt: skip
    assert message["data"]["deadline"] == "2025-01-06"
    assert message["data"]["providers"] == [seeded.provider.name]
    assert message["data"]["children"] == [seeded.child.first_name]
    # Each run is a batch counting the messages it asked for: the first one's, none for the second.
    assert message["batch_id"] == first["batch_id"] is not None
    assert again["batch_id"] not in (None, first["batch_id"])
    assert await batch_totals(engine) == {first["batch_id"]: 1, again["batch_id"]: 0}


async def test_a_paid_care_day_next_week_means_no_reminder(
    context: JobContext, friday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    paid = await payable(new_uow)
    paid_last_week = await payable(new_uow)
    await care_day(new_uow, paid, NEXT_MONDAY + timedelta(days=6), last_submitted_at=FRIDAY)
    await care_day(new_uow, paid_last_week, NEXT_MONDAY - timedelta(days=1), last_submitted_at=FRIDAY)

    result = await send_payment_reminders_job()

    assert result["reminded"] == 1
    assert [m["about_id"] for m in await reminders(engine)] == [paid_last_week.family.id]


@pytest.mark.parametrize(
    "provider",
    [
        {"type": ProviderType.CENTER},
        {"payment_enabled": False},
        {"status": ApplicationStatus.PENDING},
    ],
)
async def test_only_approved_payment_enabled_providers_paid_by_the_week_count(
    context: JobContext,
    friday: FixedClock,
    new_uow: UowFactory,
    engine: AsyncEngine,
    provider: dict[str, Any],
) -> None:
    await payable(new_uow, **provider)
    result = await send_payment_reminders_job()
    assert (result["reminded"], result["batch_id"]) == (0, None)  # nobody to remind: no batch either
    assert await reminders(engine) == []
    assert await batch_totals(engine) == {}


async def test_a_child_not_payment_enabled_or_with_no_budget_left_is_not_a_reason(
    context: JobContext, friday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    disabled = await payable(new_uow)
    async with new_uow() as uow:
        await uow.children.save(replace(disabled.child, payment_enabled=False))
        await uow.commit()
    spent = await seed(new_uow(), allocation_cents=8_000)
    async with new_uow() as uow:
        await uow.providers.save(
            replace(spent.provider, status=ApplicationStatus.APPROVED, payment_enabled=True)
        )
        await uow.commit()
    await care_day(new_uow, spent, date(2025, 1, 20))  # the whole budget is scheduled (not paid)

    assert (await send_payment_reminders_job())["reminded"] == 0


async def test_a_budget_spent_on_lump_sums_leaves_nothing_to_remind_about(
    context: JobContext, friday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    seeded = await payable(new_uow)
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE month_allocations SET lump_sum_cents = allocation_cents WHERE id = :id"),
            {"id": seeded.allocation.id},
        )

    assert (await send_payment_reminders_job())["reminded"] == 0


async def test_no_reminder_once_the_programme_has_ended(
    context: JobContext, friday: FixedClock, new_uow: UowFactory, engine: AsyncEngine
) -> None:
    await payable(new_uow)
    context.settings = replace(context.settings, program_end_date=date(2025, 1, 1))

    result = await send_payment_reminders_job()

    assert (result["stopped"], result["reminded"]) == (True, 0)
    assert await reminders(engine) == []


def test_the_programme_end_stops_reminders_by_today_and_by_the_week_s_month() -> None:
    ends_july = ProgrammeRules(program_end_date=date(2026, 7, 1))
    cross_month = ReminderWeek.after(date(2026, 6, 26))  # Monday 29 June to Sunday 5 July
    assert cross_month.monday == date(2026, 6, 29)
    assert not reminders_stopped(date(2026, 6, 26), cross_month, ends_july)  # still June's budget
    july = ReminderWeek.after(date(2026, 7, 3))
    assert reminders_stopped(date(2026, 7, 3), july, ends_july)
    assert reminders_stopped(date(2026, 7, 1), ReminderWeek.after(date(2026, 7, 1)), ends_july)


def test_reminders_are_a_friday_schedule_in_business_time() -> None:
    definition = job_manager.definition("money.send_payment_reminders")
    assert definition.cron == PAYMENT_REMINDERS_CRON == "0 8 * * 5"
    assert definition.cron_timezone is None


def _remind(database_url: str, redis_url: str, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING", **env}
    result = CliRunner().invoke(cli, ["payments", "remind", "--json", *args], env=environment)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


async def test_reminders_by_hand_run_the_job_s_use_case_once_per_week(
    database_url: str, redis_url: str, engine: AsyncEngine
) -> None:
    code, first = await asyncio.to_thread(_remind, database_url, redis_url)
    assert code == 0
    assert (first["stopped"], first["reminded"], first["batch_id"]) == (False, [], None)
    monday = date.fromisoformat(first["week_start"])
    business_today = datetime.now(ZoneInfo(DEFAULT_BUSINESS_TIMEZONE)).date()  # not the host's (UTC) date
    assert (monday.weekday(), monday > business_today) == (0, True)  # next week's Monday

    code, ended = await asyncio.to_thread(_remind, database_url, redis_url, PROGRAM_END_DATE="2020-01-01")
    assert (code, ended["stopped"]) == (0, True)
    assert await reminders(engine) == []
