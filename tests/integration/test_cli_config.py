"""`cap-portal config --check` against the test Postgres and Redis, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TEST_API_KEY


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
    result = _config(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   postgres: reachable, migrations at head" in result.stdout
    assert "ok   redis: reachable" in result.stdout
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
    assert [line.split(":")[0] for line in failures] == ["FAIL sign-in", "FAIL postgres", "FAIL redis"]
    assert "s3cret" not in result.stdout
    assert "DATABASE_URL=postgresql+asyncpg://cap:***@127.0.0.1:1/cap_portal" in result.stdout
