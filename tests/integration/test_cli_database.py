"""The migration commands and the psql shell, run as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from entrypoints.cli.db import next_revision_id
from entrypoints.cli.shell import psql_arguments
from tests.infrastructure import scratch_database


def _cap_portal(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_upgrade_current_history_and_downgrade(postgres_server_url: str, tmp_path: Path) -> None:
    with scratch_database(postgres_server_url) as url:
        upgraded = _cap_portal(url, "db", "upgrade", cwd=tmp_path)
        assert upgraded.returncode == 0
        assert upgraded.stdout.startswith("database at ")
        assert upgraded.stdout.rstrip().endswith("(head) (was empty (no migration applied))")
        current = _cap_portal(url, "db", "current", cwd=tmp_path)
        assert "(head)" in current.stdout
        history = _cap_portal(url, "db", "history", cwd=tmp_path)
        assert "0001_baseline" in history.stdout
        again = _cap_portal(url, "db", "upgrade", cwd=tmp_path)
        assert "(was" not in again.stdout  # nothing to do, and it says where the database is
        nonsense = _cap_portal(url, "db", "downgrade", "nonsense", cwd=tmp_path)
        assert nonsense.returncode == 2
        assert nonsense.stderr.count("\n") == 1, nonsense.stderr
        assert nonsense.stderr.startswith("cap-portal db: ")
        assert "nonsense" in nonsense.stderr
        down = _cap_portal(url, "db", "downgrade", "base", cwd=tmp_path)
        assert down.returncode == 0
        assert down.stdout.startswith("database at empty (no migration applied) (was ")
        assert "(head)" not in _cap_portal(url, "db", "current", cwd=tmp_path).stdout


def test_a_new_migration_is_numbered_like_the_others() -> None:
    existing = ["0001_baseline", "0002_jobs", "0007_ledger_and_wallets", "__init__"]
    assert next_revision_id("Add care-day notes!", existing) == "0008_add_care_day_notes"
    assert next_revision_id("x" * 60, []) == "0001_" + "x" * 40


def test_psql_arguments_keep_the_password_out_of_argv() -> None:
    args, password = psql_arguments("postgresql+asyncpg://cap:s%40cret@db.internal:6543/cap_portal")
    assert args == ["-h", "db.internal", "-p", "6543", "-U", "cap", "cap_portal"]
    assert password == "s@cret"
    assert "s@cret" not in " ".join(args)


def test_db_shell_explains_when_psql_is_missing(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1/db"}
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "db-shell"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "psql is not installed" in result.stderr


def test_the_shell_has_top_level_await_the_use_cases_and_no_secret_in_settings(
    database_url: str, redis_url: str, tmp_path: Path
) -> None:
    script = (
        "print('ANSWER', await sql('select 41 + 1'))\n"
        "print('USE_CASES', hasattr(use_cases.allocations, 'create_allocations_for_month'))\n"
        "print('SETTINGS', settings)\n"
    )
    secret_url = database_url.replace("postgres@", "postgres:not-the-password@", 1)
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "shell"],
        input=script,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": secret_url,
            "REDIS_URL": redis_url,
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "ANSWER [(42,)]" in result.stdout, result.stdout + result.stderr
    assert "USE_CASES True" in result.stdout
    assert "not-the-password" not in result.stdout
