"""The message job with the providers the settings name: Postmark or SendGrid for email, Twilio for SMS
(each a local fake server), the record saying which provider took it and its id, or why it did not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.jobs.outbox import OutboxJobQueue
from adapters.postgres.notifications.unit_of_work import SqlAlchemyNotificationsUnitOfWork
from domain.notifications.errors import DeliveryFailed
from domain.notifications.model import (
    About,
    Channel,
    Message,
    MessageKind,
    MessageRecord,
    MessageStatus,
    Recipient,
)
from domain.programme.statuses import Language
from entrypoints.jobs.context import JobContext, build_job_context, use_job_context
from entrypoints.jobs.notifications import send_message
from tests.fake_message_providers import (
    POSTMARK_TOKEN,
    SENDGRID_KEY,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakePostmark,
    FakeSendGrid,
    FakeTwilio,
    running,
)
from tests.fakes import FixedClock
from tests.integration.notifications.conftest import FRONTEND, mail_settings
from tests.integration.programme.conftest import UowFactory

INVITATION = Message(
    kind=MessageKind.PORTAL_INVITATION,
    recipient=Recipient("ana@example.org", Language.SPANISH, "Ana"),
    cause="onboarding:family:fam-1",
    about=About("family", "fam-1"),
    data={"role": "family", "first_name": "Ana", "sign_in_path": "/auth/sign-in"},
)
TEXT_INVITATION = Message(
    kind=MessageKind.PORTAL_INVITATION,
    recipient=Recipient("+13035550100", Language.ENGLISH, "Ana"),
    cause="onboarding:family:fam-1",
    about=About("family", "fam-1"),
    data={"role": "family", "first_name": "Ana", "sign_in_path": "/auth/sign-in"},
    channel=Channel.SMS,
)


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakePostmark, FakeSendGrid, FakeTwilio]]:
    with (
        running(FakePostmark()) as postmark,
        running(FakeSendGrid()) as sendgrid,
        running(FakeTwilio()) as twilio,
    ):
        yield postmark, sendgrid, twilio


@pytest.fixture(params=["postmark", "sendgrid"])
async def context(
    request: pytest.FixtureRequest,
    fakes: tuple[FakePostmark, FakeSendGrid, FakeTwilio],
    database_url: str,
    redis_url: str,
    job_queue: OutboxJobQueue,
    clock: FixedClock,
) -> AsyncIterator[JobContext]:
    postmark, sendgrid, twilio = fakes
    for fake in fakes:
        fake.reset()
    settings = mail_settings(
        database_url,
        redis_url,
        1,  # no SMTP: nothing may go that way
        email_provider=request.param,
        postmark_server_token=POSTMARK_TOKEN,
        postmark_api_url=postmark.url,
        sendgrid_api_key=SENDGRID_KEY,
        sendgrid_api_url=sendgrid.url,
        sms_provider="twilio",
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_from_number="+17205550199",
        twilio_api_url=twilio.url,
        message_http_timeout_seconds=5,
    )
    context = build_job_context(settings, job_queue, clock=clock)
    use_job_context(context)
    yield context
    use_job_context(None)
    await context.close()


async def _queue(new_uow: UowFactory, message: Message) -> int:
    async with new_uow() as uow:
        queued = await uow.notifier.notify(message)
        await uow.commit()
    return queued.message_id


async def _record(context: JobContext, message_id: int) -> MessageRecord:
    async with SqlAlchemyNotificationsUnitOfWork(context.session_factory) as uow:
        record = await uow.messages.get(message_id)
    assert record is not None
    return record


def _email_fake(
    context: JobContext, fakes: tuple[FakePostmark, FakeSendGrid, FakeTwilio]
) -> FakePostmark | FakeSendGrid:
    return fakes[0] if context.settings.email_provider == "postmark" else fakes[1]


async def test_the_named_email_provider_sends_it_and_the_record_keeps_its_id(
    new_uow: UowFactory, context: JobContext, fakes: tuple[FakePostmark, FakeSendGrid, FakeTwilio]
) -> None:
    fake = _email_fake(context, fakes)
    message_id = await _queue(new_uow, INVITATION)
    assert (await send_message(message_id))["status"] == "sent"
    assert (await send_message(message_id))["attempted"] is False  # a redelivered job sends nothing more
    [request] = fake.requests
    body = request.json()
    sent_subject = body.get("Subject") or body.get("subject")
    assert sent_subject == "[TESTING] Su portal de CAP Colorado está listo"
    assert f"{FRONTEND}/auth/sign-in" in request.body.decode()
    record = await _record(context, message_id)
    assert (record.status, record.provider, record.attempts) == (MessageStatus.SENT, fake_name(fake), 1)
    assert record.provider_message_id in ("pm-0001", "sg-0001")
    assert fakes[2].requests == []


def fake_name(fake: FakePostmark | FakeSendGrid) -> str:
    return "postmark" if isinstance(fake, FakePostmark) else "sendgrid"


async def test_a_refusal_fails_the_message_at_once_and_an_outage_is_retried(
    new_uow: UowFactory, context: JobContext, fakes: tuple[FakePostmark, FakeSendGrid, FakeTwilio]
) -> None:
    fake = _email_fake(context, fakes)
    fake.down = True
    message_id = await _queue(new_uow, INVITATION)
    with pytest.raises(DeliveryFailed, match="503"):
        await send_message(message_id)
    pending = await _record(context, message_id)
    assert (pending.status, pending.attempts) == (MessageStatus.PENDING, 1)
    assert "503" in str(pending.last_error)
    fake.down = False
    fake.answer_next.append(
        (422, {"ErrorCode": 300, "Message": "Invalid", "errors": [{"message": "Invalid"}]})
    )
    result = await send_message(message_id)
    assert (result["status"], result["attempts"]) == ("failed", 2)
    failed = await _record(context, message_id)
    assert "422" in str(failed.last_error)


async def test_a_text_goes_by_twilio(
    new_uow: UowFactory, context: JobContext, fakes: tuple[FakePostmark, FakeSendGrid, FakeTwilio]
) -> None:
    twilio = fakes[2]
    message_id = await _queue(new_uow, TEXT_INVITATION)
    assert (await send_message(message_id))["status"] == "sent"
    [request] = twilio.requests
    form = request.form()
    assert (form["To"], form["From"]) == ("+13035550100", "+17205550199")
    assert form["Body"].startswith("[TESTING] ")
    assert f"{FRONTEND}/auth/sign-in" in form["Body"]
    record = await _record(context, message_id)
    assert (record.provider, record.sent_to) == ("twilio", ("+13035550100",))
    assert str(record.provider_message_id).startswith("SM")
