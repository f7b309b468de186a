"""The SMTP adapter against real local servers: a message with text and HTML parts and our key, refusals
(permanent for 5xx, an outage for 4xx), a server that never answers (timeout) and one that is not there."""

from __future__ import annotations

import socket

import pytest

from adapters.notifications.smtp import SmtpEmailSender, SmtpSettings
from domain.notifications.errors import DeliveryFailed
from domain.notifications.ports import Email
from tests.fake_smtp import FakeSmtp, silent_smtp_server

EMAIL = Email(
    from_address="portal@example.org",
    from_name="CAP Colorado",
    to=("ana@example.org", "luis@example.org"),
    subject="Hola",
    text="Texto\n",
    html="<p>Texto</p>",
    reply_to="help@example.org",
    idempotency_key="cause|email:ana@example.org",
)


async def test_an_email_arrives_with_both_parts_and_our_key(smtp: FakeSmtp) -> None:
    receipt = await SmtpEmailSender(SmtpSettings("127.0.0.1", smtp.port)).send_email(EMAIL)
    [received] = smtp.received
    assert received.sender == "portal@example.org"
    assert received.recipients == ["ana@example.org", "luis@example.org"]
    assert received.message["X-CAP-Message-Key"] == EMAIL.idempotency_key
    assert (received.body("plain").strip(), received.body("html").strip()) == ("Texto", "<p>Texto</p>")
    assert (receipt.provider, receipt.provider_message_id) == ("smtp", received.message["Message-ID"])


@pytest.mark.parametrize(
    ("reply", "permanent"), [("550 5.1.1 no such user", True), ("452 4.2.2 full", False)]
)
async def test_a_refusal_says_whether_retrying_can_help(smtp: FakeSmtp, reply: str, permanent: bool) -> None:
    smtp.refuse_with = reply
    with pytest.raises(DeliveryFailed) as failed:
        await SmtpEmailSender(SmtpSettings("127.0.0.1", smtp.port)).send_email(EMAIL)
    assert failed.value.permanent is permanent
    assert reply.split()[0] in failed.value.message


async def test_a_server_that_never_answers_is_an_outage_after_the_timeout() -> None:
    with silent_smtp_server() as port:
        sender = SmtpEmailSender(SmtpSettings("127.0.0.1", port, timeout_seconds=0.3))
        with pytest.raises(DeliveryFailed) as failed:
            await sender.send_email(EMAIL)
    assert failed.value.permanent is False
    assert "Timeout" in failed.value.message


async def test_a_server_that_is_not_there_is_an_outage() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryFailed) as failed:
        await SmtpEmailSender(SmtpSettings("127.0.0.1", port)).send_email(EMAIL)
    assert failed.value.permanent is False
