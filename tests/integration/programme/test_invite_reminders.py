"""Tuesday's and Friday's invite reminders on real Postgres: a family with an Approved child, no provider
and no invitation ever made gets "invite your provider" (email, and a text to a valid number), in its
language, once per day however often the job runs; a linked child, an invitation made, an application
through a link, no Approved child and the programme's end each mean no message."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.jobs.outbox import OutboxJobQueue
from adapters.postgres.invitations import SqlAlchemyInvitationsUnitOfWork
from domain.invitations.model import Direction, Invitation
from domain.programme.config import DEFAULT_BUSINESS_TIMEZONE
from domain.programme.families import Family
from domain.programme.statuses import ApplicationStatus, Language
from entrypoints.cli import cli
from entrypoints.jobs import job_manager
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.invitations import INVITE_REMINDERS_CRON, send_invite_reminders_job
from tests.fakes import FixedClock
from tests.integration.programme.conftest import NOW, a_child, a_family, a_provider

Factory = Callable[[], SqlAlchemyInvitationsUnitOfWork]


@pytest.fixture
def new_uow(session_factory: async_sessionmaker[AsyncSession], job_queue: OutboxJobQueue) -> Factory:
    return lambda: SqlAlchemyInvitationsUnitOfWork(session_factory, jobs=job_queue)


async def _family(new_uow: Factory, *, status: ApplicationStatus = ApplicationStatus.APPROVED,
                  **fields: Any) -> tuple[Family, str]:  # fmt: skip
    family = replace(a_family(), **fields)
    child = a_child(family.id, status=status)
    async with new_uow() as uow:
        await uow.families.add(family)
        await uow.children.add(child)
        await uow.commit()
    return family, child.id


def _with_contact(family: Family, email: str | None, phone: str | None) -> Family:
    guardian = replace(family.guardians[0], email=email, phone_number=phone)
    return replace(family, guardians=(guardian,))


async def _messages(engine: AsyncEngine) -> list[dict[str, Any]]:
    query = text(
        "SELECT about_id, channel, recipient, language, data FROM messages WHERE kind = 'invite_reminder'"
        " ORDER BY about_id, channel"
    )
    async with engine.connect() as connection:
        return [dict(r) for r in (await connection.execute(query)).mappings()]


async def test_families_without_a_provider_are_reminded_by_email_and_text_once_a_day(
    context: JobContext, clock: FixedClock, new_uow: Factory, engine: AsyncEngine
) -> None:
    spanish, spanish_child = await _family(new_uow, language=Language.SPANISH)
    # Email only (a number that is not E.164 is not texted), text only, and nothing to reach at all.
    email_only, _ = await _family(new_uow)
    text_only, _ = await _family(new_uow)
    unreachable, _ = await _family(new_uow)
    async with new_uow() as uow:
        await uow.families.save(_with_contact(email_only, "e@example.org", "303-555-0100"))
        await uow.families.save(_with_contact(text_only, None, "+13035550111"))
        await uow.families.save(_with_contact(unreachable, None, None))
        await uow.commit()

    first = await send_invite_reminders_job()
    again = await send_invite_reminders_job()

    assert (first["day"], first["stopped"], first["reminded"], first["unreachable"]) == (
        "2025-01-01",
        False,
        3,
        1,
    )
    assert (again["reminded"], again["already_reminded"]) == (0, 3)
    sent = {(m["about_id"], m["channel"]): m for m in await _messages(engine)}
    assert set(sent) == {
        (spanish.id, "email"), (spanish.id, "sms"), (email_only.id, "email"), (text_only.id, "sms"),
    }  # fmt: skip
    assert sent[(spanish.id, "email")]["language"] == "es"
    assert sent[(spanish.id, "sms")]["recipient"] == "+13035550100"
    data = sent[(spanish.id, "email")]["data"]
    data = json.loads(data) if isinstance(data, str) else data
    assert data["path"] == f"/family/{spanish_child}/providers/invite"

    clock.current = NOW + timedelta(days=2)  # Friday: reminded again, a new day's messages
    friday = await send_invite_reminders_job()
    assert (friday["day"], friday["reminded"]) == ("2025-01-03", 3)
    assert len(await _messages(engine)) == 8


async def test_a_provider_an_invitation_a_link_or_no_approved_child_means_no_reminder(
    context: JobContext, new_uow: Factory, engine: AsyncEngine
) -> None:
    _, linked_child = await _family(new_uow)
    invited, _ = await _family(new_uow)
    await _family(new_uow, link_id=str(uuid.uuid4()))
    await _family(new_uow, status=ApplicationStatus.PENDING)
    provider = a_provider()
    async with new_uow() as uow:
        await uow.providers.add(provider)
        await uow.links.link(provider.id, linked_child)
        made = Invitation(
            0, str(uuid.uuid4()), Direction.FAMILY_INVITES_PROVIDER, "p@example.org", None, Language.ENGLISH,
            NOW, family_id=invited.id,
        )  # fmt: skip
        await uow.invitations.add(made)
        await uow.commit()

    result = await send_invite_reminders_job()

    assert (result["reminded"], result["batch_id"]) == (0, None)
    assert await _messages(engine) == []


async def test_no_reminder_once_the_programme_has_ended(
    context: JobContext, new_uow: Factory, engine: AsyncEngine
) -> None:
    await _family(new_uow)
    context.settings = replace(context.settings, program_end_date=date(2025, 1, 1))

    result = await send_invite_reminders_job()

    assert (result["stopped"], result["reminded"]) == (True, 0)
    assert await _messages(engine) == []


def test_reminders_are_a_tuesday_and_friday_schedule_in_business_time() -> None:
    definition = job_manager.definition("invitations.send_invite_reminders")
    assert definition.cron == INVITE_REMINDERS_CRON == "0 8 * * 2,5"
    assert definition.cron_timezone is None


def _business_today() -> date:
    # The run's day is the programme's (America/Denver), not UTC's: from 17:00 to midnight Denver time
    # (00:00-07:00 UTC) the two differ, and a CI run at 05:30 UTC failed on comparing with UTC's.
    return datetime.now(ZoneInfo(DEFAULT_BUSINESS_TIMEZONE)).date()


def _remind(database_url: str, redis_url: str, **env: str) -> tuple[int, dict[str, Any]]:
    environment = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING", **env}
    result = CliRunner().invoke(cli, ["invitations", "remind", "--json"], env=environment)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


async def test_reminders_by_hand_run_the_job_s_use_case_once_a_day(
    database_url: str, redis_url: str, new_uow: Factory, engine: AsyncEngine
) -> None:
    family, _ = await _family(new_uow)
    code, first = await asyncio.to_thread(_remind, database_url, redis_url)
    assert (code, first["reminded"], first["day"]) == (0, [family.id], _business_today().isoformat())
    code, again = await asyncio.to_thread(_remind, database_url, redis_url)
    assert (code, again["reminded"], again["already_reminded"]) == (0, [], [family.id])

    code, ended = await asyncio.to_thread(_remind, database_url, redis_url, PROGRAM_END_DATE="2020-01-01")
    assert (code, ended["stopped"]) == (0, True)
    assert len(await _messages(engine)) == 2  # the first run's email and text
