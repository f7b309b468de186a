"""A Redis that accepts connections and never answers (SIGSTOP, a network black hole): enqueueing
never blocks the event loop, the job's row still commits for the relay, and /health says 503."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.e2e.concurrency import overlapping_client

HEADERS = {"X-API-Key": TEST_API_KEY}


class BlackHole:
    """Accepts TCP connections and never answers, until :meth:`release` drops them all (and any
    later one as it arrives)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._listener.getsockname()[1]}/0"
        self.connected = threading.Event()
        self._held: list[socket.socket] = []
        self._closed = False
        self._released = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            if self._released:  # from now on a connection is dropped at once
                connection.close()
                continue
            self._held.append(connection)
            self.connected.set()

    def release(self) -> None:
        self._released = True
        for connection in self._held:
            connection.close()
        self._held.clear()

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.release()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    yield hole
    hole.close()


async def test_a_hung_redis_never_blocks_the_loop_and_the_job_row_commits(
    settings: Settings, black_hole: BlackHole
) -> None:
    # A long send timeout, so that only the release below ends the send: if the send ran on the
    # event loop, the request to "/" could not be answered while it waits.
    hung = replace(settings, redis_url=black_hole.url, job_send_timeout_seconds=600)
    async with overlapping_client(hung) as client:  # requests really overlap on this loop
        posting = asyncio.create_task(client.post("/example-job", json={}, headers=HEADERS))
        await asyncio.to_thread(black_hole.connected.wait, 60)  # the send is under way, stuck

        welcome = await client.get("/")
        assert welcome.status_code == 200
        assert not posting.done()  # still waiting on Redis, and the loop went on serving

        black_hole.release()  # the connection drops: the send fails, is logged, and the relay will resend
        response = await posting
        assert response.status_code == 202
        job_id = response.json()["job_id"]
        status = await client.get(f"/jobs/{job_id}/status", headers=HEADERS)
        assert (status.status_code, status.json()["status"]) == (200, "queued")


async def test_health_answers_503_within_its_timeout_when_redis_hangs(
    settings: Settings, black_hole: BlackHole
) -> None:
    async with AsyncTestClient(
        create_app(replace(settings, redis_url=black_hole.url), configure_process=False)
    ) as c:
        health = await asyncio.wait_for(c.get("/health"), 30)  # its own timeout is 2 s; 30 = "it answers"
    assert health.status_code == 503
    assert health.json()["redis"] != "connected"
