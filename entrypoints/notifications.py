"""What sends a process's messages, built from its settings (EMAIL_PROVIDER, SMTP_*, POSTMARK_*,
SENDGRID_*, SMS_PROVIDER, TWILIO_*, FROM_EMAIL_*...)."""

from __future__ import annotations

from adapters.notifications.postmark import PostmarkEmailSender, PostmarkSettings
from adapters.notifications.rendering import TemplateRenderer
from adapters.notifications.sendgrid import SendGridEmailSender, SendGridSettings
from adapters.notifications.smtp import SmtpEmailSender, SmtpSettings
from adapters.notifications.twilio import TwilioSettings, TwilioSmsSender
from domain.notifications.delivery import Envelope, Postman
from domain.notifications.errors import DeliveryFailed
from domain.notifications.ports import Email, EmailSender, Receipt, SmsSender
from entrypoints.settings import Settings, SettingsError

# Local stand-ins for the sender addresses, for development and tests (required elsewhere).
LOCAL_FROM_EXTERNAL = "portal@cap.localhost"
LOCAL_FROM_INTERNAL = "internal@cap.localhost"


class EmailNotConfigured:
    """Stands in for the email provider when the settings name none that can work: every message is an
    outage (recorded and retried), so fixing the settings and restarting the worker sends it."""

    def __init__(self, problem: str, name: str) -> None:
        self._problem = problem
        self.name = name

    async def send_email(self, email: Email) -> Receipt:
        raise DeliveryFailed(self._problem, permanent=False, provider=self.name)


def build_email_sender(settings: Settings) -> EmailSender:
    try:
        settings.require_email()
    except SettingsError as problem:
        return EmailNotConfigured(str(problem), settings.email_provider)
    if settings.email_provider == "smtp":
        return SmtpEmailSender(
            SmtpSettings(
                host=settings.smtp_host or "",
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                security=settings.smtp_security,
                timeout_seconds=float(settings.smtp_timeout_seconds),
            )
        )
    timeout = float(settings.message_http_timeout_seconds)
    if settings.email_provider == "postmark":
        return PostmarkEmailSender(
            PostmarkSettings(
                server_token=settings.postmark_server_token or "",
                api_url=settings.postmark_api_url,
                message_stream=settings.postmark_message_stream,
                timeout_seconds=timeout,
            )
        )
    return SendGridEmailSender(
        SendGridSettings(
            api_key=settings.sendgrid_api_key or "",
            api_url=settings.sendgrid_api_url,
            timeout_seconds=timeout,
        )
    )


def build_sms_sender(settings: Settings) -> SmsSender | None:
    """None when SMS_PROVIDER is none: a text asked for then fails, saying so (see delivery)."""
    if settings.sms_provider != "twilio":
        return None
    return TwilioSmsSender(
        TwilioSettings(
            account_sid=settings.twilio_account_sid or "",
            auth_token=settings.twilio_auth_token or "",
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            api_url=settings.twilio_api_url,
            timeout_seconds=float(settings.message_http_timeout_seconds),
        )
    )


def build_postman(settings: Settings) -> Postman:
    return Postman(email=build_email_sender(settings), sms=build_sms_sender(settings))


def build_envelope(settings: Settings) -> Envelope:
    return Envelope(
        from_external=settings.from_email_external or LOCAL_FROM_EXTERNAL,
        from_internal=settings.from_email_internal or LOCAL_FROM_INTERNAL,
        staff_recipients=settings.internal_email_recipients,
        reply_to=settings.reply_to_email,
        subject_prefix=settings.subject_prefix,
    )


def build_renderer(settings: Settings) -> TemplateRenderer:
    return TemplateRenderer(settings.frontend_url)
