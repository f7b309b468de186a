"""Delivering a recorded message with fakes: sent once, outages recorded and retried until the fifth
attempt fails it, refusals fail it at once, staff mail goes to INTERNAL_EMAIL_RECIPIENTS, and only a
failed message can be resent."""

from __future__ import annotations

import pytest

from domain.audit import AuditStamp
from domain.notifications.delivery import (
    SEND_MESSAGE_JOB,
    Delivery,
    Envelope,
    Postman,
    deliver_message,
    resend_message,
)
from domain.notifications.errors import DeliveryFailed, MessageNotFailed, MessageNotFound
from domain.notifications.model import (
    MAX_ATTEMPTS,
    About,
    Channel,
    InvalidPhoneNumber,
    Message,
    MessageKind,
    MessageStatus,
    Recipient,
)
from domain.programme.statuses import Language
from tests.fakes import FixedClock
from tests.notification_fakes import (
    NOW,
    FakeEmailSender,
    FakeNotificationsUnitOfWork,
    FakeRenderer,
    FakeSmsSender,
    record_of,
)

ENVELOPE = Envelope(
    from_external="portal@example.org",
    from_internal="internal@example.org",
    staff_recipients=("staff1@example.org", "staff2@example.org"),
    reply_to="help@example.org",
    subject_prefix="[TESTING] ",
)
INVITATION = Message(
    kind=MessageKind.PORTAL_INVITATION,
    recipient=Recipient("ana@example.org", Language.SPANISH, "Ana"),
    cause="onboarding:family:fam",
    about=About("family", "fam"),
    data={"first_name": "Ana", "role": "family", "sign_in_path": "/auth/sign-in"},
)


async def _deliver(
    uow: FakeNotificationsUnitOfWork,
    email: FakeEmailSender,
    message_id: int = 1,
    *,
    sms: FakeSmsSender | None = None,
    envelope: Envelope = ENVELOPE,
) -> Delivery:
    postman = Postman(email=email, sms=sms)
    return await deliver_message(uow, FakeRenderer(), postman, envelope, FixedClock(NOW), message_id)


async def test_a_pending_message_is_sent_once_and_recorded() -> None:
    uow, email = FakeNotificationsUnitOfWork(record_of(1, INVITATION)), FakeEmailSender()
    done = await _deliver(uow, email)
    again = await _deliver(uow, email)
    assert (done.status, done.attempted, done.attempts) == (MessageStatus.SENT, True, 1)
    assert (again.status, again.attempted) == (MessageStatus.SENT, False)
    [sent] = email.sent
    assert (sent.to, sent.from_address, sent.from_name) == (
        ("ana@example.org",),
        "portal@example.org",
        "CAP Colorado",
    )
    assert sent.subject == "[TESTING] Subject of portal_invitation"
    assert (sent.reply_to, sent.idempotency_key) == ("help@example.org", INVITATION.idempotency_key)
    assert "portal_invitation/es" in sent.text  # rendered in the recipient's language
    record = uow.records[1]
    assert (record.status, record.provider, record.provider_message_id) == (
        MessageStatus.SENT,
        "fake-email",
        "fake-1",
    )
    assert (record.sent_at, record.sent_to, record.subject) == (
        NOW,
        ("ana@example.org",),
        "Subject of portal_invitation",
    )


async def test_an_outage_is_recorded_and_raised_for_a_retry_until_the_last_attempt_fails_it() -> None:
    uow, email = FakeNotificationsUnitOfWork(record_of(1, INVITATION)), FakeEmailSender()
    email.fail_next(MAX_ATTEMPTS, message="connection refused")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(DeliveryFailed):
            await _deliver(uow, email)
        record = uow.records[1]
        assert (record.attempts, record.last_error) == (attempt, "connection refused")
        expected = MessageStatus.FAILED if attempt == MAX_ATTEMPTS else MessageStatus.PENDING
        assert record.status is expected
    late = await _deliver(uow, email)  # a stray redelivery after the end sends nothing
    assert (late.attempted, email.sent) == (False, [])


async def test_an_outage_then_success_clears_the_error() -> None:
    uow, email = FakeNotificationsUnitOfWork(record_of(1, INVITATION)), FakeEmailSender()
    email.fail_next(1)
    with pytest.raises(DeliveryFailed):
        await _deliver(uow, email)
    assert (await _deliver(uow, email)).status is MessageStatus.SENT
    assert (uow.records[1].attempts, uow.records[1].last_error) == (2, None)


async def test_a_refusal_fails_the_message_at_once_without_a_retry() -> None:
    uow, email = FakeNotificationsUnitOfWork(record_of(1, INVITATION)), FakeEmailSender()
    email.fail_next(1, permanent=True, message="550 no such mailbox")
    done = await _deliver(uow, email)
    assert (done.status, done.attempts, done.error) == (MessageStatus.FAILED, 1, "550 no such mailbox")
    assert uow.records[1].status is MessageStatus.FAILED


async def test_staff_mail_goes_to_the_internal_recipients_from_the_internal_address() -> None:
    staff = Message(
        MessageKind.STAFF_ONBOARDED, Recipient.staff(), "onboarding:family:fam", About("family", "fam")
    )
    uow, email = FakeNotificationsUnitOfWork(record_of(1, staff)), FakeEmailSender()
    await _deliver(uow, email)
    [sent] = email.sent
    assert (sent.to, sent.from_address, sent.from_name, sent.internal) == (
        ("staff1@example.org", "staff2@example.org"),
        "internal@example.org",
        "CAP Internal",
        True,
    )
    assert uow.records[1].sent_to == ("staff1@example.org", "staff2@example.org")


async def test_staff_mail_without_internal_recipients_fails_saying_so() -> None:
    staff = Message(MessageKind.STAFF_ONBOARDED, Recipient.staff(), "c", About("family", "fam"))
    uow = FakeNotificationsUnitOfWork(record_of(1, staff))
    envelope = Envelope(from_external="a@example.org", from_internal="b@example.org")
    done = await _deliver(uow, FakeEmailSender(), envelope=envelope)
    assert done.status is MessageStatus.FAILED
    assert "INTERNAL_EMAIL_RECIPIENTS" in (done.error or "")


async def test_sms_goes_to_e164_numbers_only_and_fails_when_sms_is_off() -> None:
    with pytest.raises(InvalidPhoneNumber, match=r"E\.164"):
        Message(
            MessageKind.PORTAL_INVITATION,
            Recipient("303-555-0100"),
            "c",
            About("family", "f"),
            channel=Channel.SMS,
        )
    text = Message(
        MessageKind.PORTAL_INVITATION,
        Recipient("+13035550100"),
        "c",
        About("family", "f"),
        channel=Channel.SMS,
    )
    uow = FakeNotificationsUnitOfWork(record_of(1, text))
    off = await _deliver(uow, FakeEmailSender())
    assert (off.status, off.error) == (MessageStatus.FAILED, "SMS is not configured (set SMS_PROVIDER)")
    uow, sms = FakeNotificationsUnitOfWork(record_of(1, text)), FakeSmsSender()
    await _deliver(uow, FakeEmailSender(), sms=sms)
    assert [(m.to, m.body.startswith("[TESTING] ")) for m in sms.sent] == [("+13035550100", True)]


async def test_only_a_failed_message_is_resent_from_its_first_attempt_by_a_new_job() -> None:
    uow = FakeNotificationsUnitOfWork(
        record_of(1, INVITATION, status=MessageStatus.FAILED, attempts=MAX_ATTEMPTS, last_error="down"),
        record_of(2, INVITATION, status=MessageStatus.SENT),
    )
    again = await resend_message(uow, FixedClock(NOW), 1)
    assert (again.status, again.attempts) == (MessageStatus.PENDING, 0)
    assert [(name, args) for _, name, _, args, _ in uow.state.jobs] == [(SEND_MESSAGE_JOB, (1,))]
    with pytest.raises(MessageNotFailed):
        await resend_message(uow, FixedClock(NOW), 2)
    with pytest.raises(MessageNotFound):
        await resend_message(uow, FixedClock(NOW), 99)
    assert (await _deliver(uow, FakeEmailSender())).status is MessageStatus.SENT


async def test_an_operators_resend_is_on_the_audit_log_and_a_refused_one_is_not() -> None:
    uow = FakeNotificationsUnitOfWork(
        record_of(1, INVITATION, status=MessageStatus.FAILED, attempts=MAX_ATTEMPTS, last_error="down"),
        record_of(2, INVITATION, status=MessageStatus.SENT),
    )
    stamp = AuditStamp("console:user_staff", NOW)
    await resend_message(uow, FixedClock(NOW), 1, audit=stamp)
    with pytest.raises(MessageNotFailed):
        await resend_message(uow, FixedClock(NOW), 2, audit=stamp)
    [entry] = uow.audit.committed
    assert (entry.actor, entry.action, entry.record_type, entry.record_id) == (
        "console:user_staff",
        "message.resent",
        "message",
        "1",
    )
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["status"], entry.before["attempts"], entry.before["last_error"]) == (
        "failed",
        MAX_ATTEMPTS,
        "down",
    )
    assert (entry.after["status"], entry.after["attempts"]) == ("pending", 0)


def test_the_idempotency_key_is_the_cause_and_the_recipient() -> None:
    other_person = Message(INVITATION.kind, Recipient("luis@example.org"), INVITATION.cause, INVITATION.about)
    same_person_other_case = Message(
        INVITATION.kind, Recipient("ANA@example.org"), INVITATION.cause, INVITATION.about
    )
    assert INVITATION.idempotency_key == "onboarding:family:fam|email:ana@example.org"
    assert other_person.idempotency_key != INVITATION.idempotency_key
    assert same_person_other_case.idempotency_key == INVITATION.idempotency_key
