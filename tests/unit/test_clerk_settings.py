"""The CLERK_* settings: formats checked, and a web process that cannot verify tokens refuses to start."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import SettingsError, load_settings
from tests.tokens import new_key, public_pem

PEM = public_pem(new_key())


def _load(tmp_path: Path, **env: str) -> object:
    return load_settings(env, env_file=tmp_path / ".env")


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("CLERK_JWT_KEY", "not a pem", "PEM public key"),
        ("CLERK_JWKS_URL", "clerk.example.com/jwks", "http(s) URL"),
        ("CLERK_ISSUER", "clerk.example.com", "http(s) URL"),
        ("CLERK_AUTHORIZED_PARTIES", "localhost:5173", "http(s) URL"),
        ("CLERK_SECRET_KEY", "pk_test_abc", "sk_test_ or sk_live_"),
        ("CLERK_WEBHOOK_SECRET", "secret", "whsec_"),
        ("CLERK_WEBHOOK_SECRET", "whsec_!!!", "base64"),
        ("CLERK_API_URL", "api.clerk.com", "http(s) URL"),
    ],
)
def test_a_malformed_clerk_value_names_the_variable(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        _load(tmp_path, **{name: value})
    assert str(raised.value).startswith(f"{name}: ")
    assert fragment in str(raised.value)


def test_a_pem_on_one_line_with_escaped_newlines_is_accepted(tmp_path: Path) -> None:
    settings = load_settings({"CLERK_JWT_KEY": PEM.replace("\n", "\\n")}, env_file=tmp_path / ".env")
    assert settings.clerk_jwt_key == PEM.strip()


def test_secrets_are_not_in_the_settings_repr(tmp_path: Path) -> None:
    settings = load_settings(
        {"CLERK_SECRET_KEY": "sk_test_hush", "CLERK_WEBHOOK_SECRET": "whsec_aHVzaA==", "API_KEY": "k" * 20},
        env_file=tmp_path / ".env",
    )
    assert "hush" not in repr(settings)
    assert "aHVzaA" not in repr(settings)
    assert "kkkk" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"APP_ENV": "production"}, "CLERK_JWT_KEY: required when APP_ENV is production"),
        ({"CLERK_JWT_KEY": PEM}, "CLERK_ISSUER: required"),
        (
            {
                "CLERK_JWT_KEY": PEM,
                "CLERK_JWKS_URL": "https://c.example/jwks.json",
                "CLERK_ISSUER": "https://c.x",
            },
            "CLERK_JWKS_URL: set either",
        ),
    ],
)
def test_sign_in_configuration_problems_stop_the_web_process(
    tmp_path: Path, env: dict[str, str], problem: str
) -> None:
    settings = load_settings({"API_KEY": "k" * 20, **env}, env_file=tmp_path / ".env")
    with pytest.raises(SettingsError, match=f"^{problem}"):
        settings.require_sign_in()


def test_development_may_run_without_sign_in_configured(tmp_path: Path) -> None:
    load_settings({}, env_file=tmp_path / ".env").require_sign_in()
