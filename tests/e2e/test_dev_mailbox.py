"""`cap-portal dev` runs the development mailbox: its worker's messages land as files under CAP_DATA_DIR,
`cap-portal mail list/show` read them, and dev-urls.json and `config --check` say where it is."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest

from tests.e2e.programme_support import provider_body
from tests.e2e.test_dev_command import _free_port
from tests.e2e.test_dev_supervision import Dev, eventually

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Under /tmp: the embedded Postgres runs as another user when we are root (see test_dev_supervision).
    path = Path(tempfile.mkdtemp(prefix="cap-dev-mail-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _call(url: str, api_key: str, body: object = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "X-API-Key": api_key}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def _beside(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A `cap-portal` command from another terminal: it finds the running dev by itself."""
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CAP_DATA_DIR": str(data_dir)},
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_dev_delivers_messages_into_its_mailbox(data_dir: Path) -> None:
    dev = Dev(data_dir, _free_port())
    try:
        dev.wait_for_line("| ready:")
        dev.wait_for_line("read it with cap-portal mail list")
        urls = json.loads((data_dir / "dev-urls.json").read_text())
        assert urls["mailbox"] == str(data_dir / "mail")
        assert urls["smtp_url"] == f"smtp://127.0.0.1:{urls['smtp_port']}"

        base, api_key = urls["api_url"], (data_dir / "dev-api-key").read_text().strip()
        status, provider = _call(f"{base}/admin/providers", api_key, provider_body("mailbox"))
        assert status == 201, provider
        status, done = _call(
            f"{base}/provider/onboard", api_key, {"clerk_user_id": "user_pat", "provider_id": provider["id"]}
        )
        assert status == 200, done
        message_url = f"{base}/messages/{done['portal_invitation_message_id']}"
        eventually(lambda: _call(message_url, api_key)[1]["status"] != "pending", "the invitation sent")
        sent = _call(message_url, api_key)[1]
        assert (sent["status"], sent["provider"], sent["attempts"]) == ("sent", "smtp", 1), sent

        listed = _beside(data_dir, "mail", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        mails = json.loads(listed.stdout)
        assert [mail["to"] for mail in mails] == ["pat.mailbox@x.org"]
        assert mails[0]["message_key"] == sent["idempotency_key"]
        assert mails[0]["subject"] == f"[DEVELOPMENT] {sent['subject']}"
        shown = _beside(data_dir, "mail", "show", mails[0]["id"][:15])
        assert shown.returncode == 0, shown.stderr
        assert "To: pat.mailbox@x.org" in shown.stdout
        assert "/auth/sign-in" in shown.stdout

        checked = _beside(data_dir, "config", "--check")
        assert f"ok   email: smtp at 127.0.0.1:{urls['smtp_port']} answers" in checked.stdout, checked.stdout
    finally:
        dev.process.send_signal(signal.SIGINT)
        dev.process.wait(60)
    assert dev.process.returncode == 0, dev.output()
    # The mailbox outlives dev: it is data, read with dev stopped too.
    after = _beside(data_dir, "mail", "list")
    assert after.returncode == 0, after.stderr
    assert "pat.mailbox@x.org" in after.stdout


def test_dev_leaves_a_configured_provider_alone(data_dir: Path) -> None:
    """No mailbox when the operator named an SMTP server: dev says messages may leave the machine."""
    env = {"SMTP_HOST": "smtp.example.org"}
    dev = Dev(data_dir, _free_port(), env)
    try:
        dev.wait_for_line("email goes through smtp.example.org (configured)")
        dev.wait_for_line("| ready:")
        urls = json.loads((data_dir / "dev-urls.json").read_text())
        assert "mailbox" not in urls
        assert "smtp_host" not in urls
    finally:
        dev.process.send_signal(signal.SIGTERM)
        dev.process.wait(60)
