"""Messages on real Postgres: recorded in the caller's transaction with their job (nothing on rollback),
once per cause and recipient, sent by the job over real SMTP, never twice, resent only when failed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.notifications.unit_of_work import SqlAlchemyNotificationsUnitOfWork
from domain.notifications.delivery import SEND_MESSAGE_JOB, resend_message
from domain.notifications.errors import DeliveryFailed, MessageNotFailed
from domain.notifications.model import MAX_ATTEMPTS, About, Message, MessageKind, MessageStatus, Recipient
from domain.programme.statuses import Language
from entrypoints.jobs.context import JobContext
from entrypoints.jobs.notifications import send_message
from tests.fake_smtp import FakeSmtp
from tests.integration.notifications.conftest import FRONTEND
from tests.integration.programme.conftest import UowFactory

INVITATION = Message(
    kind=MessageKind.PORTAL_INVITATION,
    recipient=Recipient("ana@example.org", Language.SPANISH, "Ana"),
    cause="onboarding:family:fam-1",
    about=About("family", "fam-1"),
    data={"role": "family", "first_name": "Ana", "sign_in_path": "/auth/sign-in"},
)


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as connection:
        messages = (await connection.execute(text("SELECT count(*) FROM messages"))).scalar_one()
        jobs = (
            await connection.execute(
                text("SELECT count(*) FROM jobs WHERE name = :n"), {"n": SEND_MESSAGE_JOB}
            )
        ).scalar_one()
    return messages, jobs


async def _queue(new_uow: UowFactory, message: Message = INVITATION) -> int:
    async with new_uow() as uow:
        queued = await uow.notifier.notify(message)
        await uow.commit()
    return queued.message_id


async def test_a_rolled_back_transaction_records_and_sends_nothing(
    new_uow: UowFactory, engine: AsyncEngine, context: JobContext, smtp: FakeSmtp
) -> None:
    async with new_uow() as uow:
        await uow.notifier.notify(INVITATION)
        # leaves without commit: rolled back
    assert await _counts(engine) == (0, 0)
    assert smtp.received == []


async def test_the_same_cause_and_recipient_is_recorded_once_with_one_job(
    new_uow: UowFactory, engine: AsyncEngine
) -> None:
    first = await _queue(new_uow)
    async with new_uow() as uow:
        again = await uow.notifier.notify(INVITATION)
        await uow.commit()
    assert (again.message_id, again.new) == (first, False)
    assert await _counts(engine) == (1, 1)


async def test_the_job_sends_it_over_smtp_in_the_recipient_s_language_once(
    new_uow: UowFactory, context: JobContext, smtp: FakeSmtp
) -> None:
    message_id = await _queue(new_uow)
    result = await send_message(message_id)
    again = await send_message(message_id)  # a redelivered job message
    assert (result["status"], result["attempted"], again["attempted"]) == ("sent", True, False)
    [received] = smtp.received
    assert received.recipients == ["ana@example.org"]
    assert received.message["Subject"] == "[TESTING] Su portal de CAP Colorado está listo"
    assert received.message["From"] == "CAP Colorado <portal@example.org>"
    assert received.message["Reply-To"] == "help@example.org"
    assert f"{FRONTEND}/auth/sign-in" in received.body("plain")
    assert f'href="{FRONTEND}/auth/sign-in"' in received.body("html")
    async with SqlAlchemyNotificationsUnitOfWork(context.session_factory) as uow:
        record = await uow.messages.get(message_id)
    assert record is not None
    assert (record.status, record.attempts, record.provider) == (MessageStatus.SENT, 1, "smtp")
    assert record.provider_message_id == received.message["Message-ID"]
    assert record.sent_at == context.clock.now()


async def test_two_deliveries_at_once_send_one_email(
    new_uow: UowFactory, context: JobContext, smtp: FakeSmtp
) -> None:
    message_id = await _queue(new_uow)
    results = await asyncio.gather(send_message(message_id), send_message(message_id))
    assert sorted(r["attempted"] for r in results) == [False, True]
    assert len(smtp.received) == 1


async def test_staff_mail_goes_to_the_internal_recipients(
    new_uow: UowFactory, context: JobContext, smtp: FakeSmtp
) -> None:
    staff = Message(
        MessageKind.STAFF_PAYMENT_RATE_SET,
        Recipient.staff(),
        "payment_rate:7",
        About("payment_rate", "7"),
        {
            "provider_id": "p",
            "provider_name": "Sunny <Days>",
            "child_id": "c",
            "child_name": "Sam Diaz",
            "half_day_rate_cents": 2_500,
            "full_day_rate_cents": 5_000,
        },
    )
    await send_message(await _queue(new_uow, staff))
    [received] = smtp.received
    assert received.recipients == ["staff@example.org"]
    assert received.message["From"] == "CAP Internal <internal@example.org>"
    assert "Full-day rate: $50.00" in received.body("plain")
    assert "Sunny &lt;Days&gt;" in received.body("html")


async def test_a_refused_recipient_fails_the_message_at_once(
    new_uow: UowFactory, context: JobContext, smtp: FakeSmtp
) -> None:
    smtp.refuse_with = "550 5.1.1 no such mailbox"
    message_id = await _queue(new_uow)
    result = await send_message(message_id)
    assert (result["status"], result["attempts"]) == ("failed", 1)
    assert "550" in result["error"]


async def test_a_temporary_refusal_is_retried_until_the_attempts_run_out_then_resent(
    new_uow: UowFactory, context: JobContext, smtp: FakeSmtp
) -> None:
    smtp.refuse_with = "451 4.3.0 try again later"
    message_id = await _queue(new_uow)
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(DeliveryFailed, match="451"):
            await send_message(message_id)
    uow = SqlAlchemyNotificationsUnitOfWork(context.session_factory, jobs=context.jobs)
    async with uow:
        record = await uow.messages.get(message_id)
    assert record is not None
    assert (record.status, record.attempts) == (MessageStatus.FAILED, MAX_ATTEMPTS)

    smtp.refuse_with = None
    again = await resend_message(uow, context.clock, message_id)
    assert (again.status, again.attempts) == (MessageStatus.PENDING, 0)
    with pytest.raises(MessageNotFailed):
        await resend_message(uow, context.clock, message_id)
    assert (await send_message(message_id))["status"] == "sent"
    assert len(smtp.received) == 1
