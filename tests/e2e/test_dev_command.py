"""`cap-portal dev` brings the whole system up on embedded servers and takes it all down on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.infrastructure import asyncpg_dsn


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "CAP_DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "dev", "--port", str(port)],
        env=env,
        cwd=data_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_ready(process: subprocess.Popen[str]) -> dict[str, str]:
    """Read the supervisor's output until it says ready; return the URLs it printed."""
    assert process.stdout is not None
    found: dict[str, str] = {}
    deadline = time.monotonic() + 120
    for line in process.stdout:
        if "| database " in line:
            words = line.split()
            found["database"], found["redis"] = (
                words[words.index("database") + 1],
                words[words.index("redis") + 1],
            )
        if "| ready:" in line:
            found["ready"] = line
        if {"ready", "database"} <= set(found) or time.monotonic() > deadline:
            return found
    raise AssertionError(f"dev exited early with {process.wait()}")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", int(parts.port or 0)


def _get(url: str) -> tuple[int, dict[str, object]]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, json.loads(response.read())


async def _write_marker(database_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await connection.execute(
        "CREATE TABLE IF NOT EXISTS dev_marker (note text); INSERT INTO dev_marker VALUES ('kept')"
    )
    await connection.close()


async def _read_marker(database_url: str) -> list[str]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    rows = await connection.fetch("SELECT note FROM dev_marker")
    await connection.close()
    return [row["note"] for row in rows]


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=60)
    return out


async def test_dev_runs_everything_and_stops_cleanly_keeping_data(tmp_path: Path) -> None:
    port = _free_port()
    first = _start(tmp_path, port)
    try:
        urls = _wait_for_ready(first)
        assert urls["database"] != "postgresql+asyncpg://postgres@127.0.0.1:5432/cap_portal"
        status, body = _get(f"http://127.0.0.1:{port}/health")
        assert (status, body["status"]) == (200, "healthy")
        # Published for commands run from another terminal (cap-portal import, say).
        assert (tmp_path / "dev-database-url").read_text().strip() == urls["database"]
        await _write_marker(urls["database"])
    finally:
        output = _stop(first)
    assert first.returncode == 0, output
    assert "| stopped" in output
    assert not (tmp_path / "dev-database-url").exists()
    # Every child and both servers are gone: nothing answers any more.
    for host_port in (("127.0.0.1", port), _host_port(urls["database"]), _host_port(urls["redis"])):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(host_port, timeout=2).close()

    second = _start(tmp_path, port)
    try:
        urls = _wait_for_ready(second)
        assert await _read_marker(urls["database"]) == ["kept"]
    finally:
        _stop(second)
