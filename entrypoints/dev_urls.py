"""``$CAP_DATA_DIR/dev-urls.json``: where a running `cap-portal dev` can be reached.

`dev` writes it once its servers are up and removes it when it stops. In development, commands run
beside it (`cap-portal import`, `allocations create`, `shell`) read it when DATABASE_URL or REDIS_URL
is not set, so they find the running system by themselves. The file names the dev process; a file
whose process is gone (a crash, a reboot) is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FILE_NAME = "dev-urls.json"


@contextlib.contextmanager
def published(data_dir: Path, urls: dict[str, str]) -> Iterator[Path]:
    """Write the file for as long as the block runs (atomically: a reader never sees half of it)."""
    path = data_dir / FILE_NAME
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps({"pid": os.getpid(), **urls}, indent=2) + "\n")
    scratch.replace(path)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            if _read(path).get("pid") == os.getpid():
                path.unlink()


def running_dev_urls(data_dir: Path) -> dict[str, str]:
    """The URLs of the `cap-portal dev` running for ``data_dir``; empty when none runs."""
    found = _read(data_dir / FILE_NAME)
    pid = found.pop("pid", None)
    if not isinstance(pid, int) or not _is_dev_process(pid):
        return {}
    return {key: value for key, value in found.items() if isinstance(value, str)}


def _read(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _is_dev_process(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:
        pass  # alive, someone else's
    except OSError:
        return False
    # After a reboot the pid may belong to anything: on Linux, check it is a `dev` command.
    with contextlib.suppress(OSError):
        return b"dev" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return True
