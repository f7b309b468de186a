"""The development stand-in for Clerk's user directory: a small JSON file under CAP_DATA_DIR.

With `cap-portal dev`'s own signing key there is no Clerk at all, so without this the account's email
stays empty and nothing receives the frontend's metadata. `cap-portal dev-token --email` records the
email here; the web process reads it (POST /admin/accounts without an email) and writes each account's
public metadata beside it, where a developer can look at what Clerk would have been sent.
Any user id is known (anyone can sign in with a development token); unknown ones have no email.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from domain.identity.model import DirectoryUser

FILE_NAME = "dev-directory.json"


def record_email(data_dir: Path, user_id: str, email: str) -> None:
    """What `dev-token --email` does: remember the email of ``user_id``."""
    _update(data_dir / FILE_NAME, user_id, {"email": email})


class DevDirectory:
    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / FILE_NAME

    async def read_user(self, user_id: str) -> DirectoryUser:
        users = await asyncio.to_thread(_read, self._path)
        entry = users.get(user_id, {})
        email = entry.get("email")
        metadata = entry.get("public_metadata")
        return DirectoryUser(
            user_id=user_id,
            email=email if isinstance(email, str) else None,
            public_metadata=metadata if isinstance(metadata, dict) else {},
        )

    async def write_public_metadata(self, user_id: str, metadata: dict[str, object]) -> None:
        await asyncio.to_thread(_update, self._path, user_id, {"public_metadata": metadata})

    async def close(self) -> None:
        return None


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _update(path: Path, user_id: str, changes: dict[str, Any]) -> None:
    users = _read(path)
    users[user_id] = {**users.get(user_id, {}), **changes}
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.write_text(json.dumps(users, indent=2, sort_keys=True) + "\n")
    scratch.replace(path)  # atomic: a reader never sees half a file
