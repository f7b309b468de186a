"""The embedded Postgres and Redis really start, keep their data across restarts,
recover from a crashed run, and run side by side."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import asyncpg
import pytest
import redis

from adapters.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServerError

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _pg_execute(url: str, *statements: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(_dsn(url))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _pg_fetch_column(url: str, query: str) -> list[object]:
    async def run() -> list[object]:
        connection = await asyncpg.connect(_dsn(url))
        try:
            return [row[0] for row in await connection.fetch(query)]
        finally:
            await connection.close()

    return asyncio.run(run())


def _start_then_get_killed(server_class: str, data_dir: Path, setup: str) -> int:
    """Run a server in a child Python, let it write data, then SIGKILL the child.

    The server it started is left orphaned, exactly as after a crashed `cap-portal dev`.
    Returns the child's pid.
    """
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from adapters.embedded import {server_class}
        url = {server_class}(Path({str(data_dir)!r})).start()
        {setup}
        print("ready", flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signal.SIGKILL)
    child.wait()
    return child.pid


# --- Postgres ---


def test_postgres_data_survives_restart(tmp_path: Path) -> None:
    first = EmbeddedPostgres(tmp_path / "pg")
    url = first.start()
    assert url.startswith("postgresql+asyncpg://postgres@127.0.0.1:")
    assert url.endswith("/cap_portal")
    _pg_execute(url, "CREATE TABLE child (name text)", "INSERT INTO child VALUES ('Ada'), ('Grace')")
    first.stop()
    first.stop()  # a second stop is a no-op

    with EmbeddedPostgres(tmp_path / "pg") as second:
        assert _pg_fetch_column(second.url, "SELECT name FROM child ORDER BY name") == ["Ada", "Grace"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs Postgres as another account")
def test_postgres_stops_when_its_path_was_closed_to_the_server_account_meanwhile(tmp_path: Path) -> None:
    """As a second pytest session does to /tmp/pytest-of-root while the first's server runs."""
    parent = tmp_path / "closed"
    server = EmbeddedPostgres(parent / "pg")
    server.start()
    try:
        parent.chmod(0o700)
    finally:
        server.stop()
    assert not (parent / "pg" / "pgdata" / "postmaster.pid").exists()


def test_postgres_creates_the_requested_database(tmp_path: Path) -> None:
    with EmbeddedPostgres(tmp_path / "pg", database="other-db") as server:
        assert server.url.endswith("/other-db")
        assert _pg_fetch_column(server.url, "SELECT current_database()") == ["other-db"]


def test_postgres_stops_an_orphan_left_by_a_killed_run(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    setup = (
        "import asyncio, asyncpg\n"
        "        async def go():\n"
        "            c = await asyncpg.connect(url.replace('+asyncpg', ''))\n"
        '            await c.execute("CREATE TABLE t (v int); INSERT INTO t VALUES (7)")\n'
        "            await c.close()\n"
        "        asyncio.run(go())"
    )
    _start_then_get_killed("EmbeddedPostgres", data_dir, setup)
    orphan_pid = int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
    assert _alive(orphan_pid)

    with EmbeddedPostgres(data_dir) as server:
        assert not _alive(orphan_pid)
        assert _pg_fetch_column(server.url, "SELECT v FROM t") == [7]


def test_postgres_ignores_a_stale_pid_file_whose_pid_was_reused(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg")
    _pg_execute(server.start(), "CREATE TABLE t (v int)", "INSERT INTO t VALUES (1)")
    pgdata = tmp_path / "pg" / "pgdata"
    lines = (pgdata / "postmaster.pid").read_text().splitlines()
    server.stop()
    # As after a crash plus a container restart: the recorded pid now belongs to an
    # unrelated live process of the same user. Postgres alone refuses to start then.
    impostor = _sleeper_owned_like(pgdata)
    try:
        (pgdata / "postmaster.pid").write_text("\n".join([str(impostor.pid), *lines[1:]]) + "\n")
        with EmbeddedPostgres(tmp_path / "pg") as restarted:
            assert _pg_fetch_column(restarted.url, "SELECT v FROM t") == [1]
        assert impostor.poll() is None  # left alone
    finally:
        impostor.kill()
        impostor.wait()


# --- Redis ---


def test_redis_data_survives_restart(tmp_path: Path) -> None:
    first = EmbeddedRedis(tmp_path / "redis")
    url = first.start()
    assert url.startswith("redis://127.0.0.1:")
    assert url.endswith("/0")
    client = redis.Redis.from_url(url)
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    client.set("budget:2026-11", "1250")
    client.rpush("queue", "a", "b")
    client.close()
    first.stop()
    first.stop()  # a second stop is a no-op
    assert (tmp_path / "redis" / "appendonly.aof").exists()
    assert (tmp_path / "redis" / "dump.rdb").exists()

    with EmbeddedRedis(tmp_path / "redis") as second:
        client = redis.Redis.from_url(second.url)
        assert client.get("budget:2026-11") == b"1250"
        assert client.lrange("queue", 0, -1) == [b"a", b"b"]
        client.close()


def test_redis_stops_an_orphan_left_by_a_killed_run(tmp_path: Path) -> None:
    data_dir = tmp_path / "redis"
    setup = "import redis; redis.Redis.from_url(url).set('k', 'kept')"
    _start_then_get_killed("EmbeddedRedis", data_dir, setup)
    orphan_pid = int((data_dir / "redis.pid").read_text())
    assert _alive(orphan_pid)

    with EmbeddedRedis(data_dir) as server:
        assert not _alive(orphan_pid)
        client = redis.Redis.from_url(server.url)
        assert client.get("k") == b"kept"
        client.close()


# --- side by side ---


def test_two_instances_run_side_by_side(tmp_path: Path) -> None:
    with (
        EmbeddedPostgres(tmp_path / "a" / "pg") as pg_a,
        EmbeddedPostgres(tmp_path / "b" / "pg") as pg_b,
        EmbeddedRedis(tmp_path / "a" / "redis") as redis_a,
        EmbeddedRedis(tmp_path / "b" / "redis") as redis_b,
    ):
        urls = [pg_a.url, pg_b.url, redis_a.url, redis_b.url]
        ports = {url.rsplit(":", 1)[1].split("/")[0] for url in urls}
        assert len(ports) == 4
        assert not ports & {"5432", "6379"}

        _pg_execute(pg_a.url, "CREATE TABLE only_in_a (v int)")
        assert _pg_fetch_column(pg_b.url, "SELECT to_regclass('only_in_a')::text") == [None]
        client_a, client_b = redis.Redis.from_url(redis_a.url), redis.Redis.from_url(redis_b.url)
        client_a.set("k", "a")
        assert client_b.get("k") is None
        client_a.close()
        client_b.close()


def test_a_data_dir_has_one_owner_at_a_time(tmp_path: Path) -> None:
    with EmbeddedPostgres(tmp_path / "pg"), EmbeddedRedis(tmp_path / "redis"):
        with pytest.raises(EmbeddedServerError, match="in use"):
            EmbeddedPostgres(tmp_path / "pg").start()
        with pytest.raises(EmbeddedServerError, match="in use"):
            EmbeddedRedis(tmp_path / "redis").start()


def _sleeper_owned_like(path: Path) -> subprocess.Popen[bytes]:
    """A harmless process running as the owner of ``path`` (the server account when we are root)."""
    owner = path.stat()
    if os.geteuid() == 0:
        return subprocess.Popen(["sleep", "120"], user=owner.st_uid, group=owner.st_gid, extra_groups=[])
    return subprocess.Popen(["sleep", "120"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _process_state(pid)


def _process_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"
