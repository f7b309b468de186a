"""`cap-portal dev` trusts the development key and `cap-portal dev-token` signs in against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.error import HTTPError

from adapters.clerk.dev_keys import KEY_FILE
from tests.e2e.test_dev_command import _free_port, _start, _stop, _wait_for_ready


def _dev_token(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "dev-token", *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CAP_DATA_DIR": str(data_dir), **env},
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _call(url: str, headers: dict[str, str], body: object = None) -> tuple[int, dict[str, object]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def test_dev_token_signs_in_to_cap_portal_dev(tmp_path: Path) -> None:
    port = _free_port()
    process = _start(tmp_path, port)
    try:
        _wait_for_ready(process)
        base = f"http://127.0.0.1:{port}"
        token = _dev_token(tmp_path, "--user-id", "user_dev", "--email", "dev@x.org").stdout.strip()
        api_key = (tmp_path / "dev-api-key").read_text().strip()
        created = _call(
            f"{base}/admin/accounts",
            {"X-API-Key": api_key},
            {"clerk_user_id": "user_dev", "roles": ["admin"]},
        )
        assert created[0] == 201
        # --email went to the development directory, so the account has it, and the frontend's
        # metadata was written there instead of to Clerk.
        assert (created[1]["email"], created[1]["directory_synced"]) == ("dev@x.org", True)
        directory = json.loads((tmp_path / "dev-directory.json").read_text())
        assert directory["user_dev"]["public_metadata"]["types"] == ["admin"]
        pending = _call(f"{base}/admin/accounts", {"X-API-Key": api_key}, {"email": "later@x.org"})
        assert pending[0] == 201
        assert pending[1]["created_at"] is not None
        status, me = _call(f"{base}/auth/me", {"Authorization": f"Bearer {token}"})
        assert (status, me["roles"]) == (200, ["admin"])
        forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
        assert _call(f"{base}/auth/me", {"Authorization": f"Bearer {forged}"})[0] == 401
    finally:
        _stop(process)


def test_the_development_key_is_made_once(tmp_path: Path) -> None:
    _dev_token(tmp_path, "--user-id", "user_a")
    key = (tmp_path / KEY_FILE).read_bytes()
    _dev_token(tmp_path, "--user-id", "user_b")
    assert (tmp_path / KEY_FILE).read_bytes() == key
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0


def test_dev_token_refuses_when_the_server_would_not_trust_it(tmp_path: Path) -> None:
    other = _dev_token(tmp_path, "--user-id", "user_a", CLERK_JWKS_URL="https://clerk.example.com/jwks.json")
    production = _dev_token(tmp_path, "--user-id", "user_a", APP_ENV="production", API_KEY="k" * 20)
    assert other.returncode == 2
    assert "CLERK_JWKS_URL" in other.stderr
    assert production.returncode == 2
    assert "APP_ENV" in production.stderr
