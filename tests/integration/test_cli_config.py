"""`cap-portal config --check` against the test Postgres and Redis, as an operator runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_API_KEY
from tests.fake_smtp import running_fake_smtp


def _config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "config", "--check"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "API_KEY": TEST_API_KEY, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_working_configuration_passes_and_shows_no_secret(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    with running_fake_smtp() as smtp:
        result = _config(
            tmp_path,
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            SMTP_HOST=smtp.host,
            SMTP_PORT=str(smtp.port),
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   postgres: reachable, migrations at head" in result.stdout
    assert "ok   redis: reachable" in result.stdout
    assert f"ok   email: smtp at 127.0.0.1:{smtp.port} answers" in result.stdout
    assert TEST_API_KEY not in result.stdout
    assert "API_KEY=(set, hidden; 1 key)" in result.stdout


def test_each_problem_is_one_line_and_the_exit_is_2(tmp_path: Path) -> None:
    result = _config(
        tmp_path,
        APP_ENV="staging",
        DATABASE_URL="postgresql+asyncpg://cap:s3cret@127.0.0.1:1/cap_portal",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert result.returncode == 2
    failures = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert [line.split(":")[0] for line in failures] == [
        "FAIL sign-in",
        "FAIL postgres",
        "FAIL redis",
        "FAIL email",
    ]
    assert "FAIL email: SMTP_HOST: required when EMAIL_PROVIDER is smtp" in result.stdout
    assert "s3cret" not in result.stdout
    assert "DATABASE_URL=postgresql+asyncpg://cap:***@127.0.0.1:1/cap_portal" in result.stdout


def test_an_smtp_server_that_is_not_there_fails_the_email_line(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _config(tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    assert result.returncode == 2
    assert f"FAIL email: smtp at 127.0.0.1:{port} does not answer" in result.stdout


def test_an_http_email_provider_is_not_called(tmp_path: Path) -> None:
    result = _config(tmp_path, EMAIL_PROVIDER="postmark", POSTMARK_SERVER_TOKEN="t" * 20)
    assert "ok   email: postmark (its key is set; not called: that would send a message)" in result.stdout


def test_an_http_email_provider_without_its_key_is_one_configuration_line(tmp_path: Path) -> None:
    result = _config(tmp_path, EMAIL_PROVIDER="sendgrid")
    assert result.returncode == 2
    assert result.stderr == (
        "cap-portal: configuration error: SENDGRID_API_KEY: required when EMAIL_PROVIDER is sendgrid\n"
    )
