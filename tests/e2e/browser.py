"""A real browser for the console's tests: Debian's Chromium, headless, driven by Playwright.

Playwright never downloads a browser here: it launches the system's (``CHROMIUM_PATH``, default
``/usr/bin/chromium``, which ``.ci/run`` installs from Debian's packages). Without one the browser tests
skip on a developer's machine, and fail under CI (``CI=true``), where a missing browser is a broken set-up.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
import uvicorn
from litestar import Litestar
from playwright.async_api import Browser, async_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # tests run as root (CI too), where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_SECONDS = 60


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if Path(path).exists():
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"no Chromium at {path}: .ci/run installs Debian's chromium package")
    pytest.skip(f"no Chromium at {path} (apt-get install -y chromium chromium-driver)")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A fresh headless Chromium (Playwright gives each launch a new, empty profile)."""
    executable = chromium_path()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@contextmanager
def served(app: Litestar) -> Iterator[str]:
    """``app`` on a real HTTP port (uvicorn in a thread with its own event loop); yields the base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    started = threading.Event()
    for _ in range(START_TIMEOUT_SECONDS * 20):
        if server.started:
            return
        if not thread.is_alive():
            raise RuntimeError("the console's server stopped before it started")
        started.wait(0.05)  # uvicorn has no start callback: look again shortly
    raise TimeoutError("the console's server did not start")
