"""Postmark, SendGrid and Twilio against local fake servers: what each request carries, the receipt, and
what each answer means (a 4xx fails the message at once; a 5xx, a 429, a timeout or no server at all
is an outage, retried); no credential ever shows in an error."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator

import pytest

from adapters.notifications.postmark import PostmarkEmailSender, PostmarkSettings
from adapters.notifications.sendgrid import SendGridEmailSender, SendGridSettings
from adapters.notifications.twilio import TwilioSettings, TwilioSmsSender
from domain.notifications.errors import DeliveryFailed
from domain.notifications.ports import Email, TextMessage
from tests.fake_http import Reply
from tests.fake_message_providers import (
    POSTMARK_TOKEN,
    SENDGRID_KEY,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakePostmark,
    FakeProvider,
    FakeSendGrid,
    FakeTwilio,
    running,
)

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
TEXT = TextMessage(to="+13035550100", body="Your care days are due", idempotency_key="cause|sms:+13035550100")
SECRETS = (POSTMARK_TOKEN, SENDGRID_KEY, TWILIO_TOKEN)


@pytest.fixture(scope="module")
def _servers() -> Iterator[tuple[FakePostmark, FakeSendGrid, FakeTwilio]]:
    with (
        running(FakePostmark()) as postmark,
        running(FakeSendGrid()) as sendgrid,
        running(FakeTwilio()) as twilio,
    ):
        yield postmark, sendgrid, twilio


@pytest.fixture
def postmark(_servers: tuple[FakePostmark, FakeSendGrid, FakeTwilio]) -> FakePostmark:
    _servers[0].reset()
    return _servers[0]


@pytest.fixture
def sendgrid(_servers: tuple[FakePostmark, FakeSendGrid, FakeTwilio]) -> FakeSendGrid:
    _servers[1].reset()
    return _servers[1]


@pytest.fixture
def twilio(_servers: tuple[FakePostmark, FakeSendGrid, FakeTwilio]) -> FakeTwilio:
    _servers[2].reset()
    return _servers[2]


def _postmark(url: str, *, token: str = POSTMARK_TOKEN, timeout: float = 5.0) -> PostmarkEmailSender:
    return PostmarkEmailSender(PostmarkSettings(token, api_url=url, timeout_seconds=timeout))


def _sendgrid(url: str, *, key: str = SENDGRID_KEY, timeout: float = 5.0) -> SendGridEmailSender:
    return SendGridEmailSender(SendGridSettings(key, api_url=url, timeout_seconds=timeout))


def _twilio(url: str, *, token: str = TWILIO_TOKEN, timeout: float = 5.0, **fields: str) -> TwilioSmsSender:
    settings = TwilioSettings(TWILIO_SID, token, api_url=url, timeout_seconds=timeout, **fields)
    if not fields:
        settings = TwilioSettings(TWILIO_SID, token, "+17205550199", api_url=url, timeout_seconds=timeout)
    return TwilioSmsSender(settings)


async def test_postmark_gets_the_email_and_gives_its_message_id(postmark: FakePostmark) -> None:
    receipt = await _postmark(postmark.url).send_email(EMAIL)
    [request] = postmark.requests
    assert (request.method, request.route) == ("POST", "/email")
    assert request.headers["X-Postmark-Server-Token"] == POSTMARK_TOKEN
    assert request.json() == {
        "From": "CAP Colorado <portal@example.org>",
        "To": "ana@example.org, luis@example.org",
        "Subject": "Hola",
        "TextBody": "Texto\n",
        "HtmlBody": "<p>Texto</p>",
        "ReplyTo": "help@example.org",
        "MessageStream": "outbound",
        "Headers": [{"Name": "X-CAP-Message-Key", "Value": "cause|email:ana@example.org"}],
    }
    assert (receipt.provider, receipt.provider_message_id) == ("postmark", "pm-0001")


async def test_sendgrid_gets_text_before_html_and_gives_its_message_id(sendgrid: FakeSendGrid) -> None:
    receipt = await _sendgrid(sendgrid.url).send_email(EMAIL)
    [request] = sendgrid.requests
    assert (request.route, request.headers["Authorization"]) == ("/v3/mail/send", f"Bearer {SENDGRID_KEY}")
    assert request.json() == {
        "personalizations": [{"to": [{"email": "ana@example.org"}, {"email": "luis@example.org"}]}],
        "from": {"email": "portal@example.org", "name": "CAP Colorado"},
        "reply_to": {"email": "help@example.org"},
        "subject": "Hola",
        "content": [
            {"type": "text/plain", "value": "Texto\n"},
            {"type": "text/html", "value": "<p>Texto</p>"},
        ],
        "headers": {"X-CAP-Message-Key": "cause|email:ana@example.org"},
        "custom_args": {"cap_message_key": "cause|email:ana@example.org"},
    }
    assert (receipt.provider, receipt.provider_message_id) == ("sendgrid", "sg-0001")


async def test_an_email_without_html_or_reply_to_sends_only_what_it_has(
    postmark: FakePostmark, sendgrid: FakeSendGrid
) -> None:
    plain = Email("p@example.org", "CAP", ("a@example.org",), "S", "T\n", None, None, "k")
    await _postmark(postmark.url).send_email(plain)
    await _sendgrid(sendgrid.url).send_email(plain)
    assert "HtmlBody" not in postmark.last_json()
    assert "ReplyTo" not in postmark.last_json()
    assert sendgrid.last_json()["content"] == [{"type": "text/plain", "value": "T\n"}]
    assert "reply_to" not in sendgrid.last_json()


async def test_twilio_gets_a_form_with_basic_auth_and_gives_the_sid(twilio: FakeTwilio) -> None:
    receipt = await _twilio(twilio.url).send_sms(TEXT)
    [request] = twilio.requests
    assert request.route == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (
        request.headers["Authorization"]
        == "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    )
    assert request.form() == {"To": "+13035550100", "Body": "Your care days are due", "From": "+17205550199"}
    assert receipt.provider == "twilio"
    assert str(receipt.provider_message_id).startswith("SM")


async def test_twilio_sends_from_the_messaging_service_when_one_is_set(twilio: FakeTwilio) -> None:
    await _twilio(twilio.url, messaging_service_sid="MG0001").send_sms(TEXT)
    form = twilio.requests[-1].form()
    assert (form.get("MessagingServiceSid"), "From" in form) == ("MG0001", False)


async def test_twilio_is_never_asked_to_text_a_number_that_is_not_e164(twilio: FakeTwilio) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await _twilio(twilio.url).send_sms(TextMessage("303-555-0100", "hi", "k"))
    assert failed.value.permanent is True
    assert "E.164" in failed.value.message
    assert twilio.requests == []


async def _send_with(fake: FakeProvider, *, wait: float = 5.0, wrong_key: bool = False) -> None:
    wrong = "nope" if wrong_key else None
    if isinstance(fake, FakePostmark):
        await _postmark(fake.url, token=wrong or POSTMARK_TOKEN, timeout=wait).send_email(EMAIL)
    elif isinstance(fake, FakeSendGrid):
        await _sendgrid(fake.url, key=wrong or SENDGRID_KEY, timeout=wait).send_email(EMAIL)
    else:
        await _twilio(fake.url, token=wrong or TWILIO_TOKEN, timeout=wait).send_sms(TEXT)


PROVIDERS = ["postmark", "sendgrid", "twilio"]


@pytest.fixture(params=PROVIDERS)
def provider(
    request: pytest.FixtureRequest, _servers: tuple[FakePostmark, FakeSendGrid, FakeTwilio]
) -> FakeProvider:
    fake: FakeProvider = _servers[PROVIDERS.index(request.param)]
    fake.reset()
    return fake


async def _failure(fake: FakeProvider, **options: float | bool) -> DeliveryFailed:
    with pytest.raises(DeliveryFailed) as failed:
        await _send_with(fake, **options)  # type: ignore[arg-type]  # wait: float, wrong_key: bool
    assert not any(secret in failed.value.message for secret in SECRETS), failed.value.message
    return failed.value


async def test_a_wrong_credential_fails_the_message_at_once(provider: FakeProvider) -> None:
    failed = await _failure(provider, wrong_key=True)
    assert (failed.permanent, failed.message.split()[1]) == (True, "401")
    assert failed.provider in PROVIDERS


# The providers' own refusals, each with the words it answers them in.
INACTIVE = "You tried to send to a recipient that has been marked as inactive."
INVALID = {"message": "Does not contain a valid address.", "field": "personalizations.0.to.0.email"}
UNSUBSCRIBED = {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}
REFUSALS = {
    "postmark": ((422, {"ErrorCode": 406, "Message": INACTIVE}), "406 You tried"),
    "sendgrid": (
        (400, {"errors": [INVALID]}),
        "Does not contain a valid address. (personalizations.0.to.0.email)",
    ),
    "twilio": ((400, UNSUBSCRIBED), "21610 Attempt to send"),
}


async def test_a_refusal_fails_the_message_at_once_in_the_provider_s_words(provider: FakeProvider) -> None:
    name = PROVIDERS[[FakePostmark, FakeSendGrid, FakeTwilio].index(type(provider))]
    answer, words = REFUSALS[name]
    provider.answer_next.append(answer)
    failed = await _failure(provider)
    assert failed.permanent is True
    assert failed.message.startswith(f"{name}: {answer[0]} ")
    assert words in failed.message


@pytest.mark.parametrize(
    "answer",
    [
        (500, {"errors": [{"message": "Internal error"}]}),
        Reply(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
        (429, {"message": "Too many requests"}),
    ],
    ids=["500", "502-html", "429"],
)
async def test_a_server_error_or_a_rate_limit_is_an_outage(
    provider: FakeProvider, answer: tuple[int, object] | Reply
) -> None:
    provider.answer_next.append(answer)
    failed = await _failure(provider)
    assert failed.permanent is False
    status = answer.status if isinstance(answer, Reply) else answer[0]
    assert f": {status} " in failed.message


async def test_a_provider_that_is_down_is_an_outage_and_the_next_try_goes_through(
    provider: FakeProvider,
) -> None:
    provider.down = True
    assert (await _failure(provider)).message.split()[1:3] == ["503", "Service"]
    provider.down = False
    await _send_with(provider)
    assert len(provider.requests) == 2


async def test_a_provider_that_answers_too_late_is_an_outage(provider: FakeProvider) -> None:
    provider.slow_seconds = 1.0
    failed = await _failure(provider, wait=0.2)
    assert failed.permanent is False
    assert "no answer within 0.2s" in failed.message


async def test_a_provider_that_is_not_there_is_an_outage() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    for send in (
        _postmark(url).send_email(EMAIL),
        _sendgrid(url).send_email(EMAIL),
        _twilio(url).send_sms(TEXT),
    ):
        with pytest.raises(DeliveryFailed) as failed:
            await send
        assert failed.value.permanent is False
        assert "ConnectError" in failed.value.message


async def test_a_postmark_200_with_an_error_code_is_a_refusal(postmark: FakePostmark) -> None:
    postmark.answer_next.append(
        (200, {"ErrorCode": 300, "Message": "Invalid email request", "MessageID": ""})
    )
    failed = await _failure(postmark)
    assert (failed.permanent, failed.message) == (True, "postmark: 300 Invalid email request")
