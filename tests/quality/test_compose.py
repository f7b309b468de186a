"""compose.yaml, checked without a container engine (none runs here): its structure, its variables
against compose.env.example, and that the settings it hands the services pass the services' own checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from dotenv import dotenv_values

from entrypoints.settings import _PARSERS, load_settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
pytestmark = pytest.mark.quality


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _example() -> dict[str, str]:
    return {k: v or "" for k, v in dotenv_values(ROOT / "compose.env.example").items()}


def test_the_stack_has_its_services_and_the_app_waits_for_the_migration(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "redis", "mailpit", *APP_SERVICES}
    for name in ("web", "worker", "scheduler"):
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_app_services_read_compose_env_never_the_development_env(compose: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert [entry["path"] for entry in service["env_file"]] == ["compose.env"]
        assert service["environment"]["APP_ENV"] == "${APP_ENV:-staging}"


def test_every_variable_is_documented_and_a_real_setting() -> None:
    text = (ROOT / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = _example()
    assert used <= set(example), f"not in compose.env.example: {sorted(used - set(example))}"
    assert set(example) <= set(_PARSERS), f"not settings: {sorted(set(example) - set(_PARSERS))}"
    # What staging refuses to start without is refused by compose itself, before anything starts.
    for required in ("API_KEY", "CLERK_ISSUER"):
        assert re.search(rf"\$\{{{required}:\?", text), required


def test_the_documented_file_filled_in_passes_what_the_web_process_checks(compose: dict[str, Any]) -> None:
    filled = {**_example(), "API_KEY": "k" * 20, "CLERK_ISSUER": "https://clerk.example.org"}
    filled["CLERK_JWKS_URL"] = "https://clerk.example.org/.well-known/jwks.json"
    fixed = {
        k: v
        for k, v in compose["x-app"]["environment"].items()
        if "${" not in v  # DATABASE_URL, REDIS_URL: set by compose itself
    }
    settings = load_settings({**filled, **fixed}, env_file=ROOT / "no-such.env")
    assert settings.app_env == "staging"
    settings.require_database_url()
    settings.require_redis_url()
    settings.require_sign_in()


def test_the_stack_s_email_goes_to_its_mailpit_unless_compose_env_names_a_server(
    compose: dict[str, Any],
) -> None:
    environment = compose["x-app"]["environment"]
    assert (environment["SMTP_HOST"], environment["SMTP_PORT"]) == (
        "${SMTP_HOST:-mailpit}",
        "${SMTP_PORT:-1025}",
    )
    assert compose["services"]["mailpit"]["image"].startswith("axllent/mailpit:v")
    # The preflight greets the SMTP server, so the migration waits for Mailpit to be up.
    assert compose["services"]["migrate"]["depends_on"]["mailpit"]["condition"] == "service_healthy"
    # As compose fills it in: the documented file's email settings pass what the worker checks.
    filled = {**_example(), "API_KEY": "k" * 20, "SMTP_HOST": "mailpit", "SMTP_PORT": "1025"}
    settings = load_settings(filled, env_file=ROOT / "no-such.env")
    settings.require_email()
    assert (settings.email_provider, settings.smtp_host, settings.smtp_port) == ("smtp", "mailpit", 1025)


def test_the_psql_client_matches_the_server(compose: dict[str, Any]) -> None:
    # Debian 13 (trixie) ships postgresql-client 17.
    assert compose["services"]["postgres"]["image"] == "postgres:17"
    containerfile = (ROOT / "Containerfile").read_text()
    assert "FROM python:3.11-slim-trixie AS runtime" in containerfile
    assert "postgresql-client" in containerfile
