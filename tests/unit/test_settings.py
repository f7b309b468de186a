from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from entrypoints.settings import Settings, SettingsError, load_settings

VALID_KEY = "k" * 20


def test_defaults_are_for_development(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=tmp_path / ".env")
    assert settings.app_env == "development"
    assert settings.business_timezone == "America/Denver"
    assert settings.api_keys == ()
    assert settings.allowed_origins == ["http://localhost:5173"]
    assert (settings.max_children_per_provider, settings.max_allocation_cents) == (2, 140_000)
    assert settings.program_end_date is None


def test_programme_rules_are_read(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "MAX_CHILDREN_PER_PROVIDER": "3",
            "MAX_ALLOCATION_CENTS": "90000",
            "PROGRAM_END_DATE": "2026-07-01",
            "ATTENDANCE_CUTOFF_DATE": "2026-07-07",
        },
        env_file=tmp_path / ".env",
    )
    assert (settings.max_children_per_provider, settings.max_allocation_cents) == (3, 90_000)
    assert settings.program_end_date == date(2026, 7, 1)
    rules = settings.programme_rules()
    assert (rules.max_children_per_provider, rules.max_allocation_cents) == (3, 90_000)
    assert rules.program_end_date == date(2026, 7, 1)
    assert rules.attendance_cutoff_date == date(2026, 7, 7)


def test_values_are_parsed_and_typed(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "APP_ENV": "production",
            "API_KEY": f"{VALID_KEY}, {'z' * 16}",
            "SENTRY_TRACES_SAMPLE_RATE": "0.25",
            "CORS_ORIGINS": "https://a.example.org,https://b.example.org",
            "DATABASE_URL": "postgresql+asyncpg://u:p@db/cap",
            "REDIS_URL": "redis://cache:6379/1",
            "CAP_DATA_DIR": str(tmp_path),
            "DATABASE_POOL_SIZE": "25",
        },
        env_file=tmp_path / ".env",
    )
    assert settings.api_keys == (VALID_KEY, "z" * 16)
    assert settings.database_pool_size == 25
    assert settings.sentry_traces_sample_rate == 0.25
    assert settings.cors_origins == ("https://a.example.org", "https://b.example.org")
    assert settings.cap_data_dir == tmp_path


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("APP_VERSION=from-file\nBUSINESS_TIMEZONE=America/Chicago\n")
    settings = load_settings({"APP_VERSION": "from-env"}, env_file=env_file)
    assert settings.app_version == "from-env"
    assert settings.business_timezone == "America/Chicago"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("APP_ENV", "prod", "must be one of development"),
        ("DATABASE_URL", "postgres://db/cap", "postgresql+asyncpg://"),
        ("REDIS_URL", "http://cache", "redis://"),
        ("API_KEY", "short", "at least 16"),
        ("SENTRY_TRACES_SAMPLE_RATE", "lots", "number between 0 and 1"),
        ("SENTRY_TRACES_SAMPLE_RATE", "1.5", "between 0 and 1"),
        ("SENTRY_DSN", "not a url", "http(s) URL"),
        ("CORS_ORIGINS", "localhost:5173", "http(s) URL"),
        ("BUSINESS_TIMEZONE", "Mars/Olympus", "unknown timezone"),
        ("MAX_REQUEST_BODY_BYTES", "-3", "positive whole number"),
        ("DATABASE_POOL_SIZE", "0", "positive whole number"),
        ("MAX_CHILDREN_PER_PROVIDER", "0", "positive whole number"),
        ("MAX_ALLOCATION_CENTS", "1400.00", "positive whole number"),
        ("PROGRAM_END_DATE", "20260701", "YYYY-MM-DD"),
        ("PROGRAM_END_DATE", "2026-02-30", "YYYY-MM-DD"),
        ("ATTENDANCE_CUTOFF_DATE", "2026-7-7", "YYYY-MM-DD"),
    ],
)
def test_a_malformed_value_names_the_variable(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({name: value}, env_file=tmp_path / ".env")
    assert str(raised.value).startswith(f"{name}: ")
    assert fragment in str(raised.value)


@pytest.mark.parametrize("app_env", ["testing", "staging", "production"])
def test_api_key_is_required_outside_development(tmp_path: Path, app_env: str) -> None:
    with pytest.raises(SettingsError, match=r"^API_KEY: required when APP_ENV is"):
        load_settings({"APP_ENV": app_env}, env_file=tmp_path / ".env")


def test_missing_urls_are_reported_when_needed() -> None:
    with pytest.raises(SettingsError, match=r"^DATABASE_URL: not set"):
        Settings().require_database_url()
    with pytest.raises(SettingsError, match=r"^REDIS_URL: not set"):
        Settings().require_redis_url()


def test_in_development_a_missing_url_says_how_to_find_the_system(tmp_path: Path) -> None:
    settings = Settings(cap_data_dir=tmp_path)
    with pytest.raises(SettingsError) as raised:
        settings.require_database_url()
    message = str(raised.value)
    assert message.startswith("DATABASE_URL: not set, and no `cap-portal dev` is running for CAP_DATA_DIR=")
    assert "set DATABASE_URL=postgresql+asyncpg://" in message
    assert "\n" not in message


def _published(tmp_path: Path, pid: int) -> None:
    (tmp_path / "dev-urls.json").write_text(
        json.dumps({"pid": pid, "database_url": "postgresql+asyncpg://u@h:1/d", "redis_url": "redis://h:2/0"})
    )


def test_urls_of_a_dev_that_is_gone_are_not_used(tmp_path: Path) -> None:
    _published(tmp_path, 2**31 - 1)  # above any pid_max: no such process
    settings = load_settings({"CAP_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env", find_dev=True)
    assert (settings.database_url, settings.redis_url) == (None, None)


def test_a_live_process_that_is_not_dev_is_not_taken_for_it(tmp_path: Path) -> None:
    _published(tmp_path, os.getpid())  # pytest: alive, but not `cap-portal dev`
    settings = load_settings({"CAP_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env", find_dev=True)
    assert settings.database_url is None


def test_settings_passed_in_never_look_for_a_running_dev_by_default(tmp_path: Path) -> None:
    _published(tmp_path, os.getpid())
    assert load_settings({"CAP_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env").database_url is None


def test_log_format_is_json_unless_console_is_asked_for(tmp_path: Path) -> None:
    assert load_settings({}, env_file=tmp_path / ".env").log_format == "json"
    assert load_settings({"LOG_FORMAT": "console"}, env_file=tmp_path / ".env").log_format == "console"
    with pytest.raises(SettingsError, match=r"^LOG_FORMAT: must be json or console"):
        load_settings({"LOG_FORMAT": "pretty"}, env_file=tmp_path / ".env")


def test_no_secret_shows_in_the_settings_repr(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql+asyncpg://cap:pg-secret@db/cap_portal",
            "REDIS_URL": "redis://:redis-secret@cache:6379/0",
            "SENTRY_DSN": "https://dsn-secret@o1.ingest.sentry.io/5",
            "API_KEY": "api-key-secret-0123456789",
        },
        env_file=tmp_path / ".env",
    )
    shown = repr(settings)
    for secret in ("pg-secret", "redis-secret", "dsn-secret", "api-key-secret"):
        assert secret not in shown
    assert "postgresql+asyncpg://cap:***@db/cap_portal" in shown


def test_the_sandbox_is_the_default_and_refused_where_people_are_paid(tmp_path: Path) -> None:
    assert load_settings({}, env_file=tmp_path / ".env").payment_gateway == "sandbox"
    load_settings({}, env_file=tmp_path / ".env").require_payment_gateway()
    for env in ("staging", "production"):
        settings = load_settings({"APP_ENV": env, "API_KEY": "k" * 16}, env_file=tmp_path / ".env")
        with pytest.raises(SettingsError, match="PAYMENT_GATEWAY: the sandbox is refused"):
            settings.require_payment_gateway()


def test_chek_needs_every_chek_setting_and_keeps_its_keys_out_of_repr(tmp_path: Path) -> None:
    values = {
        "PAYMENT_GATEWAY": "chek",
        "CHEK_BASE_URL": "https://chek.example",
        "CHEK_ACCOUNT_ID": "a",
        "CHEK_PROGRAM_ID": "p",
        "CHEK_API_KEY": "api-secret-value",
        "CHEK_WRITE_KEY": "write-secret-value",
    }
    settings = load_settings(values, env_file=tmp_path / ".env")
    settings.require_payment_gateway()
    assert "secret-value" not in repr(settings)
    partial = load_settings({**values, "CHEK_WRITE_KEY": ""}, env_file=tmp_path / ".env")
    with pytest.raises(SettingsError, match="CHEK_WRITE_KEY: required when PAYMENT_GATEWAY is chek"):
        partial.require_payment_gateway()
    with pytest.raises(SettingsError, match="PAYMENT_GATEWAY"):
        load_settings({"PAYMENT_GATEWAY": "paypal"}, env_file=tmp_path / ".env")


def test_email_settings_are_read_and_the_smtp_password_stays_hidden(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "SMTP_HOST": "mail.example.org",
            "SMTP_PORT": "587",
            "SMTP_SECURITY": "starttls",
            "SMTP_PASSWORD": "smtp-secret-value",
            "FROM_EMAIL_EXTERNAL": "portal@example.org",
            "INTERNAL_EMAIL_RECIPIENTS": "a@example.org, b@example.org",
        },
        env_file=tmp_path / ".env",
    )
    assert (settings.email_provider, settings.smtp_port, settings.smtp_security) == ("smtp", 587, "starttls")
    assert settings.internal_email_recipients == ("a@example.org", "b@example.org")
    assert "smtp-secret-value" not in repr(settings)
    assert settings.redacted()["SMTP_PASSWORD"] == "(set, hidden)"
    settings.require_email()


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("EMAIL_PROVIDER", "mailgun", "smtp, postmark or sendgrid"),
        ("SMTP_PORT", "70000", "port number"),
        ("SMTP_SECURITY", "ssl", "none, starttls or tls"),
        ("FROM_EMAIL_EXTERNAL", "portal", "email address"),
        ("INTERNAL_EMAIL_RECIPIENTS", "a@example.org, nobody", "email address"),
    ],
)
def test_a_malformed_email_setting_names_the_variable(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    with pytest.raises(SettingsError, match=f"^{name}: .*{fragment}"):
        load_settings({name: value}, env_file=tmp_path / ".env")


def test_email_needs_its_server_and_real_senders_where_people_get_mail(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^SMTP_HOST: required when EMAIL_PROVIDER is smtp"):
        load_settings({}, env_file=tmp_path / ".env").require_email()
    production = load_settings(
        {"APP_ENV": "production", "API_KEY": "k" * 16, "SMTP_HOST": "mail"}, env_file=tmp_path / ".env"
    )
    with pytest.raises(SettingsError, match=r"^FROM_EMAIL_EXTERNAL: required when APP_ENV is production"):
        production.require_email()
    assert production.subject_prefix == ""
    assert load_settings({}, env_file=tmp_path / ".env").subject_prefix == "[DEVELOPMENT] "


@pytest.fixture
def dev_like_process() -> Iterator[int]:
    """A live process whose command line names `dev`, as a running `cap-portal dev` does."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; print('up', flush=True); sys.stdin.read()", "dev"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    # Once it speaks it has exec'd: before that its command line is still pytest's.
    assert process.stdout.readline() == "up\n"
    yield process.pid
    process.communicate()


def _published_with_mailbox(tmp_path: Path, pid: int) -> None:
    urls = {"pid": pid, "database_url": "postgresql+asyncpg://u@h:1/d", "redis_url": "redis://h:2/0"}
    urls |= {"smtp_host": "127.0.0.1", "smtp_port": "2526", "mailbox": str(tmp_path / "mail")}
    (tmp_path / "dev-urls.json").write_text(json.dumps(urls))


def test_commands_beside_dev_send_into_its_mailbox(tmp_path: Path, dev_like_process: int) -> None:
    _published_with_mailbox(tmp_path, dev_like_process)
    found = load_settings({"CAP_DATA_DIR": str(tmp_path)}, env_file=tmp_path / ".env", find_dev=True)
    assert (found.database_url, found.smtp_host, found.smtp_port) == (
        "postgresql+asyncpg://u@h:1/d",
        "127.0.0.1",
        2526,
    )
    # The mailbox's port goes with its host, whatever SMTP_PORT says alone.
    alone = {"CAP_DATA_DIR": str(tmp_path), "SMTP_PORT": "2525"}
    assert load_settings(alone, env_file=tmp_path / ".env", find_dev=True).smtp_port == 2526


@pytest.mark.parametrize(
    ("configured", "host"),
    [
        ({"SMTP_HOST": "smtp.example.org"}, "smtp.example.org"),
        ({"EMAIL_PROVIDER": "postmark", "POSTMARK_SERVER_TOKEN": "t"}, None),
    ],
)
def test_a_configured_email_provider_is_kept_beside_dev(
    tmp_path: Path, dev_like_process: int, configured: dict[str, str], host: str | None
) -> None:
    _published_with_mailbox(tmp_path, dev_like_process)
    environ = {"CAP_DATA_DIR": str(tmp_path), **configured}
    found = load_settings(environ, env_file=tmp_path / ".env", find_dev=True)
    assert (found.smtp_host, found.smtp_port) == (host, 25)
    assert found.database_url == "postgresql+asyncpg://u@h:1/d"


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"EMAIL_PROVIDER": "postmark"}, "POSTMARK_SERVER_TOKEN: required when EMAIL_PROVIDER is postmark"),
        ({"EMAIL_PROVIDER": "sendgrid"}, "SENDGRID_API_KEY: required when EMAIL_PROVIDER is sendgrid"),
        ({"SMS_PROVIDER": "twilio"}, "TWILIO_ACCOUNT_SID: required when SMS_PROVIDER is twilio"),
        (
            {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC1"},
            "TWILIO_AUTH_TOKEN: required when SMS_PROVIDER is twilio",
        ),
        (
            {"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"},
            "TWILIO_FROM_NUMBER: required when SMS_PROVIDER is twilio (or TWILIO_MESSAGING_SERVICE_SID)",
        ),
        ({"SMS_PROVIDER": "carrier-pigeon"}, "SMS_PROVIDER: must be none or twilio, got 'carrier-pigeon'"),
        ({"TWILIO_FROM_NUMBER": "720-555-0199"}, "TWILIO_FROM_NUMBER: must be an E.164 phone number"),
    ],
)
def test_a_message_provider_without_what_it_needs_is_a_settings_error(
    tmp_path: Path, values: dict[str, str], problem: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(values, env_file=tmp_path / ".env")
    assert str(raised.value).startswith(problem)


def test_message_providers_with_their_keys_load_and_keep_the_keys_hidden(tmp_path: Path) -> None:
    values = {
        "EMAIL_PROVIDER": "sendgrid",
        "SENDGRID_API_KEY": "SG.sendgrid-secret",
        "POSTMARK_SERVER_TOKEN": "postmark-secret",
        "SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "twilio-secret",
        "TWILIO_MESSAGING_SERVICE_SID": "MG1",
    }
    settings = load_settings(values, env_file=tmp_path / ".env")
    assert (settings.email_provider, settings.sms_provider) == ("sendgrid", "twilio")
    shown = repr(settings) + str(settings.redacted())
    for secret in ("sendgrid-secret", "postmark-secret", "twilio-secret"):
        assert secret not in shown
    assert settings.redacted()["TWILIO_AUTH_TOKEN"] == "(set, hidden)"
    assert load_settings({}, env_file=tmp_path / ".env").sms_provider == "none"


def test_the_database_connect_timeout_is_a_setting(tmp_path: Path) -> None:
    assert load_settings({}, env_file=tmp_path / ".env").database_connect_timeout_seconds == 5
    chosen = load_settings({"DATABASE_CONNECT_TIMEOUT_SECONDS": "30"}, env_file=tmp_path / ".env")
    assert chosen.database_connect_timeout_seconds == 30
    with pytest.raises(SettingsError, match=r"^DATABASE_CONNECT_TIMEOUT_SECONDS: "):
        load_settings({"DATABASE_CONNECT_TIMEOUT_SECONDS": "0"}, env_file=tmp_path / ".env")
