"""Process-level checks moved out of the unit tier (they start a Python interpreter each): the CLI's
one-line configuration error, and log lines still buffered when a process exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _messages(text: str) -> list[str]:
    return [json.loads(line)["message"] for line in text.splitlines()]


def test_the_cli_stops_with_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "worker"],
        env={"APP_ENV": "staging", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cap-portal: configuration error: API_KEY: required when APP_ENV is staging"
    ]


def test_lines_still_buffered_at_exit_are_written() -> None:
    script = (
        "import logging\n"
        "from adapters.logging import configure_logging, info_fields\n"
        "configure_logging('web', 'INFO')\n"
        "logging.getLogger('cap_portal.x').info('through logging')\n"
        "info_fields(logging.getLogger('cap_portal.access'), 'request', {'status': 200})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert _messages(result.stderr) == ["through logging", "request"]
