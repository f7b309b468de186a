"""The one typed settings object, loaded from the environment and an optional ``.env``.

Nothing else reads ``os.environ``: each composition root calls :func:`load_settings` once and
hands the values down. A missing or malformed value stops the process with one clear line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from adapters.clerk.defaults import DEFAULT_API_URL as DEFAULT_CLERK_API_URL
from domain.money.payments import DEFAULT_MAX_PAYMENT_ATTEMPTS, DEFAULT_MAX_PAYMENT_CENTS, PaymentRules
from domain.programme.config import (
    DEFAULT_MAX_ALLOCATION_CENTS,
    DEFAULT_MAX_CHILDREN_PER_PROVIDER,
    ProgrammeRules,
)
from entrypoints import clerk_settings
from entrypoints.clerk_settings import sign_in_problem
from entrypoints.dev_urls import running_dev_urls
from entrypoints.settings_errors import SettingsError

__all__ = ["APP_ENVS", "AppEnv", "Settings", "SettingsError", "load_settings"]

AppEnv = Literal["development", "testing", "staging", "production"]
PaymentGatewayName = Literal["sandbox", "chek"]
EmailProviderName = Literal["smtp", "postmark", "sendgrid"]
SmsProviderName = Literal["none", "twilio"]
SmtpSecurity = Literal["none", "starttls", "tls"]
CHEK_SETTINGS = ("CHEK_BASE_URL", "CHEK_ACCOUNT_ID", "CHEK_PROGRAM_ID", "CHEK_API_KEY", "CHEK_WRITE_KEY")
APP_ENVS: tuple[AppEnv, ...] = ("development", "testing", "staging", "production")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / ".cap-data"


@dataclass(frozen=True, slots=True)
class Settings:
    app_env: AppEnv = "development"
    app_version: str = "local"
    database_url: str | None = None
    redis_url: str | None = None
    # Connections each web process keeps to Postgres (and half as many again in bursts).
    database_pool_size: int = 20
    # Opening a Postgres connection (or waiting for a pooled one) gives up after this long with a 503.
    database_connect_timeout_seconds: int = 5
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    sentry_dsn: str | None = None
    sentry_traces_sample_rate: float = 0.0
    cors_origins: tuple[str, ...] = ()
    frontend_url: str = "http://localhost:5173"
    # Signs the operator console's CSRF tokens; one value for every web process (random per process if unset).
    console_secret: str | None = field(default=None, repr=False)
    business_timezone: str = "America/Denver"
    cap_data_dir: Path = DEFAULT_DATA_DIR
    log_level: str = "INFO"
    # json: one JSON object per line (production); console: readable lines (what `dev` uses).
    log_format: Literal["json", "console"] = "json"
    max_request_body_bytes: int = 1_048_576
    clerk_jwt_key: str | None = None
    clerk_jwks_url: str | None = None
    clerk_issuer: str | None = None
    clerk_authorized_parties: tuple[str, ...] = ()
    clerk_secret_key: str | None = field(default=None, repr=False)
    clerk_webhook_secret: str | None = field(default=None, repr=False)
    clerk_api_url: str = DEFAULT_CLERK_API_URL
    max_children_per_provider: int = DEFAULT_MAX_CHILDREN_PER_PROVIDER
    max_allocation_cents: int = DEFAULT_MAX_ALLOCATION_CENTS
    # The largest amount one payment to a provider may move, and the tries of one payment before an
    # operator must look at it (domain/money/payments.py).
    max_payment_cents: int = DEFAULT_MAX_PAYMENT_CENTS
    payment_max_attempts: int = DEFAULT_MAX_PAYMENT_ATTEMPTS
    # No monthly allocation for a month starting on or after this date; None = the programme runs on.
    program_end_date: date | None = None
    # No attendance record or attendance reminder on or after this date (upstream: 2026-07-07).
    attendance_cutoff_date: date | None = None
    job_redelivery_seconds: int = 60
    scheduler_reconcile_seconds: int = 30
    job_relay_after_seconds: int = 10
    # A process that only sends jobs gives up on a Redis that does not answer after this long (the row
    # is committed; the relay sends it later), so a hung Redis cannot hold a request.
    job_send_timeout_seconds: int = 2
    # The web process's own Redis commands (queue-info, job status, retry, cancel) give up after this
    # long and answer 503, so a hung Redis never holds a request.
    redis_timeout_seconds: int = 2
    # Caps every job's retry backoff (None: each job's own, up to an hour). For tests and development,
    # where a retry of a money job should not wait minutes; production leaves it unset.
    job_max_backoff_seconds: int | None = None
    # Who moves the money: the sandbox (its own books in our database; development and tests) or Chek.
    payment_gateway: PaymentGatewayName = "sandbox"
    sandbox_programme_balance_cents: int = 1_000_000_000
    chek_base_url: str | None = None
    chek_account_id: str | None = None
    chek_program_id: str | None = None
    chek_api_key: str | None = field(default=None, repr=False)
    chek_write_key: str | None = field(default=None, repr=False)
    # Messages: who sends email (SMTP by default: `cap-portal dev` points it at its local mailbox).
    email_provider: EmailProviderName = "smtp"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_security: SmtpSecurity = "none"
    smtp_timeout_seconds: int = 10
    # Required outside development and testing, where these local stand-ins are used.
    from_email_external: str | None = None
    from_email_internal: str | None = None
    reply_to_email: str | None = None
    # Staff who get the internal emails (onboarding, payment rates set), comma-separated.
    internal_email_recipients: tuple[str, ...] = ()
    # The HTTP email providers (EMAIL_PROVIDER=postmark or sendgrid) and the SMS provider (Twilio).
    postmark_server_token: str | None = field(default=None, repr=False)
    postmark_api_url: str = "https://api.postmarkapp.com"
    postmark_message_stream: str = "outbound"
    sendgrid_api_key: str | None = field(default=None, repr=False)
    sendgrid_api_url: str = "https://api.sendgrid.com"
    # none: no SMS is sent (a message asked for by SMS fails, recorded, saying so).
    sms_provider: SmsProviderName = "none"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    # Texts come from this number (E.164) or, when set instead, from the Messaging Service.
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    # How long Postmark, SendGrid or Twilio may take to answer before the attempt counts as an outage.
    message_http_timeout_seconds: int = 10

    def redacted(self) -> dict[str, str]:
        """Every setting by its variable name, secrets hidden: safe to print or log."""
        shown: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            name = "API_KEY" if item.name == "api_keys" else item.name.upper()
            if value is None or value == ():
                shown[name] = ""
            elif not item.repr:  # the secrets: declared with repr=False
                count = f"{len(value)} key{'' if len(value) == 1 else 's'}"
                shown[name] = f"(set, hidden; {count})" if name == "API_KEY" else "(set, hidden)"
            elif isinstance(value, tuple):
                shown[name] = ",".join(value)
            elif isinstance(value, str) and "://" in value:
                shown[name] = _without_password(value)
            elif name == "CLERK_JWT_KEY":
                shown[name] = "(a PEM public key)"
            else:
                shown[name] = str(value)
        return shown

    def __repr__(self) -> str:
        # Written by hand (dataclass keeps it): the generated one showed the database password.
        inner = ", ".join(f"{name.lower()}={value!r}" for name, value in self.redacted().items() if value)
        return f"Settings({inner})"

    @property
    def allowed_origins(self) -> list[str]:
        """CORS origins; the frontend's own origin when none are listed."""
        return list(self.cors_origins) or [self.frontend_url.rstrip("/")]

    def require_database_url(self) -> str:
        if not self.database_url:
            raise SettingsError(self._not_set("DATABASE_URL", "postgresql+asyncpg://user@host/db"))
        return self.database_url

    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise SettingsError(self._not_set("REDIS_URL", "redis://host:6379/0"))
        return self.redis_url

    def _not_set(self, name: str, example: str) -> str:
        if self.app_env == "development":
            return (
                f"{name}: not set, and no `cap-portal dev` is running for CAP_DATA_DIR={self.cap_data_dir}"
                f" (start `cap-portal dev` in another terminal, or set {name}={example})"
            )
        return f"{name}: not set (expected {example})"

    def payment_rules(self) -> PaymentRules:
        return PaymentRules(max_payment_cents=self.max_payment_cents, max_attempts=self.payment_max_attempts)

    def programme_rules(self) -> ProgrammeRules:
        """The programme's rules as the domain takes them."""
        return ProgrammeRules(
            max_children_per_provider=self.max_children_per_provider,
            max_allocation_cents=self.max_allocation_cents,
            program_end_date=self.program_end_date,
            attendance_cutoff_date=self.attendance_cutoff_date,
            business_timezone=self.business_timezone,
        )

    def require_payment_gateway(self) -> None:
        """Every process that can move money checks this at start-up."""
        if self.payment_gateway == "sandbox" and self.app_env in ("staging", "production"):
            # The sandbox invents money: it must never stand in for the real gateway where people are paid.
            raise SettingsError(
                f"PAYMENT_GATEWAY: the sandbox is refused when APP_ENV is {self.app_env}; set chek"
            )
        if self.payment_gateway == "chek":
            missing = [name for name in CHEK_SETTINGS if not getattr(self, name.lower())]
            if missing:
                raise SettingsError(f"{missing[0]}: required when PAYMENT_GATEWAY is chek")

    def require_email(self) -> None:
        """What sending email needs (the worker sends; `config --check` says it beforehand)."""
        problem = self.message_provider_problem()
        if problem:
            raise SettingsError(problem)
        if self.email_provider == "smtp" and not self.smtp_host:
            raise SettingsError("SMTP_HOST: required when EMAIL_PROVIDER is smtp (`cap-portal dev` sets it)")
        if self.app_env in ("staging", "production"):
            for name in ("FROM_EMAIL_EXTERNAL", "FROM_EMAIL_INTERNAL"):
                if not getattr(self, name.lower()):
                    raise SettingsError(f"{name}: required when APP_ENV is {self.app_env}")

    def message_provider_problem(self) -> str | None:
        """A provider named without what it needs: refused when the settings load, as a missing key would
        only show later as every message failing. (Not SMTP_HOST: `cap-portal dev` provides that.)"""
        if self.email_provider == "postmark" and not self.postmark_server_token:
            return "POSTMARK_SERVER_TOKEN: required when EMAIL_PROVIDER is postmark"
        if self.email_provider == "sendgrid" and not self.sendgrid_api_key:
            return "SENDGRID_API_KEY: required when EMAIL_PROVIDER is sendgrid"
        if self.sms_provider != "twilio":
            return None
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
            if not getattr(self, name.lower()):
                return f"{name}: required when SMS_PROVIDER is twilio"
        if not (self.twilio_from_number or self.twilio_messaging_service_sid):
            return (
                "TWILIO_FROM_NUMBER: required when SMS_PROVIDER is twilio (or TWILIO_MESSAGING_SERVICE_SID)"
            )
        return None

    @property
    def subject_prefix(self) -> str:
        """Outside production every message says which environment sent it (as upstream did)."""
        return "" if self.app_env == "production" else f"[{self.app_env.upper()}] "

    def require_sign_in(self) -> None:
        problem = sign_in_problem(self)
        if problem:
            raise SettingsError(problem)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None and "@" not in parts.netloc:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    hidden = f"{user}:***@{host}" if parts.password is not None else f"***@{host}"
    return parts._replace(netloc=hidden).geturl()


def load_settings(
    environ: Mapping[str, str] | None = None,
    env_file: Path | None = None,
    *,
    find_dev: bool | None = None,
) -> Settings:
    """Read the environment (over ``.env`` values) and validate every variable.

    In development, a DATABASE_URL or REDIS_URL that is not set comes from the `cap-portal dev`
    running for CAP_DATA_DIR, if one is (``find_dev``; by default only when reading the real
    environment, so tests that pass ``environ`` never pick up a developer's running system).
    """
    raw = _merged_environment(environ, env_file)
    if find_dev if find_dev is not None else environ is None:
        raw = _with_running_dev_urls(raw)
    values: dict[str, Any] = {}
    for name, parse in _PARSERS.items():
        text = raw.get(name, "").strip()
        if text == "":
            continue
        try:
            values[name.lower()] = parse(text)
        except ValueError as exc:
            raise SettingsError(f"{name}: {exc}") from None
    settings = Settings(**_renamed(values))
    _check_required(settings)
    return settings


def _with_running_dev_urls(raw: dict[str, str]) -> dict[str, str]:
    """What is not set comes from the running `dev`: its database, its Redis, and its mailbox (when
    email is SMTP to nowhere yet), so a command beside it sends into the same mailbox."""
    if raw.get("APP_ENV", "development").strip() not in ("", "development"):
        return raw
    wanted = ["DATABASE_URL", "REDIS_URL"]
    if raw.get("EMAIL_PROVIDER", "smtp").strip() in ("", "smtp") and not raw.get("SMTP_HOST", "").strip():
        wanted += ["SMTP_HOST", "SMTP_PORT"]
    if all(raw.get(name, "").strip() for name in wanted):
        return raw
    data_dir = Path(raw["CAP_DATA_DIR"]) if raw.get("CAP_DATA_DIR", "").strip() else DEFAULT_DATA_DIR
    urls = running_dev_urls(data_dir)
    found = {name: urls.get(name.lower(), "") for name in wanted}
    merged = {**{k: v for k, v in found.items() if v}, **{k: v for k, v in raw.items() if v.strip()}}
    if found.get("SMTP_HOST") and found.get("SMTP_PORT"):
        merged["SMTP_PORT"] = found["SMTP_PORT"]  # the mailbox's host goes with the mailbox's port
    return merged


def _merged_environment(environ: Mapping[str, str] | None, env_file: Path | None) -> dict[str, str]:
    file = env_file if env_file is not None else Path.cwd() / ".env"
    from_file = {k: v for k, v in dotenv_values(file).items() if v is not None} if file.exists() else {}
    return {**from_file, **(os.environ if environ is None else environ)}


def _renamed(values: dict[str, Any]) -> dict[str, Any]:
    aliases = {"api_key": "api_keys"}
    known = {f.name for f in fields(Settings)}
    renamed = {aliases.get(k, k): v for k, v in values.items()}
    return {k: v for k, v in renamed.items() if k in known}


def _check_required(settings: Settings) -> None:
    if settings.app_env != "development" and not settings.api_keys:
        raise SettingsError(f"API_KEY: required when APP_ENV is {settings.app_env}")
    problem = settings.message_provider_problem()
    if problem:
        raise SettingsError(problem)


def _payment_gateway(text: str) -> PaymentGatewayName:
    if text == "sandbox":
        return "sandbox"
    if text == "chek":
        return "chek"
    raise ValueError(f"must be sandbox or chek, got {text!r}")


def _email_provider(text: str) -> EmailProviderName:
    if text == "smtp":
        return "smtp"
    if text == "postmark":
        return "postmark"
    if text == "sendgrid":
        return "sendgrid"
    raise ValueError(f"must be smtp, postmark or sendgrid, got {text!r}")


def _sms_provider(text: str) -> SmsProviderName:
    if text == "none":
        return "none"
    if text == "twilio":
        return "twilio"
    raise ValueError(f"must be none or twilio, got {text!r}")


def _e164(text: str) -> str:
    if not re.fullmatch(r"\+[1-9][0-9]{7,14}", text):
        raise ValueError(f"must be an E.164 phone number like +13035550100, got {text!r}")
    return text


def _smtp_security(text: str) -> SmtpSecurity:
    if text == "none":
        return "none"
    if text == "starttls":
        return "starttls"
    if text == "tls":
        return "tls"
    raise ValueError(f"must be none, starttls or tls, got {text!r}")


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"must be a port number (1-65535), got {text!r}")
    return int(text)


def _email_address(text: str) -> str:
    local, at, domain = text.partition("@")
    if not (local and at and domain) or any(c.isspace() for c in text) or "," in text:
        raise ValueError(f"must be an email address, got {text!r}")
    return text


def _email_addresses(text: str) -> tuple[str, ...]:
    return tuple(_email_address(part) for part in _comma_list(text))


def _app_env(text: str) -> AppEnv:
    for env in APP_ENVS:
        if text == env:
            return env
    raise ValueError(f"must be one of {', '.join(APP_ENVS)}, got {text!r}")


def _database_url(text: str) -> str:
    if not text.startswith("postgresql+asyncpg://"):
        raise ValueError("must start with postgresql+asyncpg://")
    return text


def _redis_url(text: str) -> str:
    if urlsplit(text).scheme not in {"redis", "rediss", "unix"}:
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return text


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _api_keys(text: str) -> tuple[str, ...]:
    keys = _comma_list(text)
    if any(len(key) < 16 for key in keys):
        raise ValueError("every key must be at least 16 characters long")
    return keys


def _sample_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise ValueError(f"must be a number between 0 and 1, got {text!r}") from None
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"must be between 0 and 1, got {rate}")
    return rate


def _http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"must be an http(s) URL, got {text!r}")
    return text


def _origins(text: str) -> tuple[str, ...]:
    origins = _comma_list(text)
    for origin in origins:
        if origin != "*":
            _http_url(origin)
    return origins


def _timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {text!r}") from None
    return text


def _console_secret(text: str) -> str:
    if len(text) < 32:
        raise ValueError(
            "must be at least 32 characters (python3 -c 'import secrets; print(secrets.token_hex())')"
        )
    return text


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"must be a positive whole number, got {text!r}")
    return int(text)


def _iso_date(text: str) -> date:
    # fromisoformat also takes 20260701 and 2026-W27; only the plain form is meant here.
    try:
        if len(text) == 10 and text[4] == text[7] == "-":
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValueError(f"must be a date YYYY-MM-DD, got {text!r}")


def _log_format(text: str) -> str:
    if text not in ("json", "console"):
        raise ValueError(f"must be json or console, got {text!r}")
    return text


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


_PARSERS: dict[str, Callable[[str], Any]] = {
    "APP_ENV": _app_env,
    "APP_VERSION": str,
    "DATABASE_URL": _database_url,
    "REDIS_URL": _redis_url,
    "API_KEY": _api_keys,
    "SENTRY_DSN": _http_url,
    "SENTRY_TRACES_SAMPLE_RATE": _sample_rate,
    "CORS_ORIGINS": _origins,
    "FRONTEND_URL": _http_url,
    "CONSOLE_SECRET": _console_secret,
    "BUSINESS_TIMEZONE": _timezone,
    "CAP_DATA_DIR": Path,
    "LOG_LEVEL": _log_level,
    "LOG_FORMAT": _log_format,
    "MAX_REQUEST_BODY_BYTES": _positive_int,
    "DATABASE_POOL_SIZE": _positive_int,
    "CLERK_JWT_KEY": clerk_settings.pem_public_key,
    "CLERK_JWKS_URL": _http_url,
    "CLERK_ISSUER": _http_url,
    "CLERK_AUTHORIZED_PARTIES": _origins,
    "CLERK_SECRET_KEY": clerk_settings.secret_key,
    "CLERK_WEBHOOK_SECRET": clerk_settings.webhook_secret,
    "CLERK_API_URL": _http_url,
    "MAX_CHILDREN_PER_PROVIDER": _positive_int,
    "MAX_ALLOCATION_CENTS": _positive_int,
    "MAX_PAYMENT_CENTS": _positive_int,
    "PAYMENT_MAX_ATTEMPTS": _positive_int,
    "PROGRAM_END_DATE": _iso_date,
    "ATTENDANCE_CUTOFF_DATE": _iso_date,
    "JOB_REDELIVERY_SECONDS": _positive_int,
    "SCHEDULER_RECONCILE_SECONDS": _positive_int,
    "JOB_RELAY_AFTER_SECONDS": _positive_int,
    "JOB_SEND_TIMEOUT_SECONDS": _positive_int,
    "REDIS_TIMEOUT_SECONDS": _positive_int,
    "DATABASE_CONNECT_TIMEOUT_SECONDS": _positive_int,
    "JOB_MAX_BACKOFF_SECONDS": _positive_int,
    "PAYMENT_GATEWAY": _payment_gateway,
    "SANDBOX_PROGRAMME_BALANCE_CENTS": _positive_int,
    "CHEK_BASE_URL": _http_url,
    "CHEK_ACCOUNT_ID": str,
    "CHEK_PROGRAM_ID": str,
    "CHEK_API_KEY": str,
    "CHEK_WRITE_KEY": str,
    "EMAIL_PROVIDER": _email_provider,
    "SMTP_HOST": str,
    "SMTP_PORT": _port,
    "SMTP_USERNAME": str,
    "SMTP_PASSWORD": str,
    "SMTP_SECURITY": _smtp_security,
    "SMTP_TIMEOUT_SECONDS": _positive_int,
    "FROM_EMAIL_EXTERNAL": _email_address,
    "FROM_EMAIL_INTERNAL": _email_address,
    "REPLY_TO_EMAIL": _email_address,
    "INTERNAL_EMAIL_RECIPIENTS": _email_addresses,
    "POSTMARK_SERVER_TOKEN": str,
    "POSTMARK_API_URL": _http_url,
    "POSTMARK_MESSAGE_STREAM": str,
    "SENDGRID_API_KEY": str,
    "SENDGRID_API_URL": _http_url,
    "SMS_PROVIDER": _sms_provider,
    "TWILIO_ACCOUNT_SID": str,
    "TWILIO_AUTH_TOKEN": str,
    "TWILIO_FROM_NUMBER": _e164,
    "TWILIO_MESSAGING_SERVICE_SID": str,
    "TWILIO_API_URL": _http_url,
    "MESSAGE_HTTP_TIMEOUT_SECONDS": _positive_int,
}
