"""Throwaway real servers for the test session: PostgreSQL and Redis.

Integration tests run against real servers, never mocks (DESIGN.md §8). This module starts them:

* PostgreSQL from ``initdb``/``postgres``/``pg_ctl`` found on PATH or under
  ``/usr/lib/postgresql/*/bin`` (Debian), in a temporary folder, listening only on 127.0.0.1 on a
  free port, with durability switched off for speed (``fsync``, ``synchronous_commit``,
  ``full_page_writes``). When running as root, the server runs as an unprivileged system user
  (``sirisma-test``, created if missing, else ``nobody``) because PostgreSQL refuses to run as root.
* Redis from ``redis-server`` on PATH, on a free loopback port, with persistence off.

If ``SIRISMA_TEST_POSTGRES_URL`` / ``SIRISMA_TEST_REDIS_URL`` is set, that server is used instead
and nothing is started (``managed`` is then False and stop/restart/kill raise ``NotManaged``).
The Redis server given that way is treated as disposable: tests flush it.

Processes never outlive the session: servers are stopped by the fixtures' teardown, again by an
``atexit`` hook, and on Linux the server processes get a parent-death signal so that even a killed
pytest takes them down with it.

Sessions: a server gets a process group of its own (to signal it whole) but stays in the
caller's session. With the kernel's autogroup on (Debian's default), every session is its own
scheduling group. PostgreSQL's backends start sessions of their own whatever the postmaster's,
so with autogroup on each connection is a group, and under a read route's load the backends
waited 0.15–0.3 s at a time for a CPU behind the web workers. So the postmaster goes into a CPU
cgroup of its own where the machine allows it, as ``sirisma cluster`` does
(``services.ops.cpu_group``; README, "Kernel scheduler").
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from services.ops import cpu_group
from services.ops.servers import RunAs as _RunAs  # shared with `sirisma cluster`
from services.ops.servers import ServerError, free_port, initdb, log_tail, unprivileged_user
from services.ops.servers import find_postgres_bin as _find_postgres_bin
from services.ops.servers import parent_death_signal as _parent_death_signal
from services.ops.servers import pid_alive as _pid_alive
from services.ops.servers import stop_process as _stop_process
from services.ops.servers import wait_until as _wait_until

POSTGRES_URL_ENV = "SIRISMA_TEST_POSTGRES_URL"
REDIS_URL_ENV = "SIRISMA_TEST_REDIS_URL"
UNPRIVILEGED_USER = "sirisma-test"
START_TIMEOUT = float(os.environ.get("SIRISMA_TEST_SERVER_TIMEOUT", "60"))
STOP_TIMEOUT = 30.0

POSTGRES_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "logging_collector": "off",
    "log_min_messages": "warning",
}


class NotManaged(ServerError):  # ServerError: a server could not be found, started or stopped
    """The server comes from an environment variable; this session cannot stop or restart it."""


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _make_base_dir(prefix: str, root: str | None = None) -> Path:
    """A fresh temporary folder, tagged with our pid so a later session can clean up after a
    session that was killed before it could (its servers died with it, its folder did not)."""
    parent = Path(root or tempfile.gettempdir())
    for stale in parent.glob(f"{prefix}*"):
        with contextlib.suppress(OSError, ValueError):
            owner = int((stale / "owner.pid").read_text())
            if owner != os.getpid() and not _pid_alive(owner):
                shutil.rmtree(stale, ignore_errors=True)
    base_dir = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    (base_dir / "owner.pid").write_text(str(os.getpid()))
    return base_dir


# Everything started in this process, stopped at exit if the fixtures did not get to it.
_started: list[PostgresServer | RedisServer] = []
_started_lock = threading.Lock()


def _register(server: PostgresServer | RedisServer) -> None:
    with _started_lock:
        _started.append(server)


@atexit.register
def _close_all() -> None:
    with _started_lock:
        servers = list(reversed(_started))
        _started.clear()
    for server in servers:
        with contextlib.suppress(Exception):
            server.close()


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def find_postgres_bin(name: str) -> str:
    """Path of a PostgreSQL server binary: PATH first, then the newest /usr/lib/postgresql/*/bin."""
    try:
        return _find_postgres_bin(name)
    except ServerError as exc:
        raise ServerError(f"{exc} Or set {POSTGRES_URL_ENV}.") from None


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The user to run PostgreSQL as when we are root; None when we are not root."""
    return unprivileged_user(UNPRIVILEGED_USER)


def _initdb(base_dir: Path, runas: _RunAs, env: dict[str, str]) -> None:
    initdb(base_dir / "data", runas, env)


def _build_postgres_url(params: dict[str, Any]) -> str:
    """A ``postgresql://`` URL from libpq parameters (host may be a socket directory)."""
    params = {k: v for k, v in params.items() if v not in (None, "")}
    host = str(params.pop("host", "127.0.0.1"))
    port = params.pop("port", None)
    user = params.pop("user", None)
    password = params.pop("password", None)
    dbname = str(params.pop("dbname", "postgres"))
    userinfo = ""
    if user is not None:
        userinfo = quote(str(user), safe="")
        if password is not None:
            userinfo += ":" + quote(str(password), safe="")
        userinfo += "@"
    if host.startswith("/") or "," in host:
        params = {"host": host, **({"port": port} if port else {}), **params}
        netloc = userinfo
    else:
        netloc = userinfo + host + (f":{port}" if port else "")
    query = urlencode({k: str(v) for k, v in params.items()})
    return urlunsplit(("postgresql", netloc, "/" + quote(dbname, safe=""), query, ""))


@dataclass
class PostgresServer:
    """A PostgreSQL server for tests; ``url`` points at its maintenance database."""

    host: str
    port: int
    user: str
    dbname: str
    url: str
    password: str | None = None
    managed: bool = True
    base_dir: Path | None = field(default=None, repr=False)
    _extra: dict[str, Any] = field(default_factory=dict, repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _runas: _RunAs = field(default_factory=lambda: _RunAs(None), repr=False)
    _closed: bool = field(default=False, repr=False)
    cpu_placement: cpu_group.Placement | None = field(default=None, repr=False)

    # ---- connection details ---------------------------------------------------------------

    def params(self, dbname: str | None = None) -> dict[str, Any]:
        """libpq parameters (host, port, user, password, dbname, ...) for ``dbname``."""
        return {
            **self._extra,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": dbname or self.dbname,
        }

    def url_for(self, dbname: str) -> str:
        return _build_postgres_url(self.params(dbname))

    def connect(self, dbname: str | None = None, **kwargs: Any) -> psycopg.Connection[Any]:
        params = {k: v for k, v in self.params(dbname).items() if v is not None}
        params.setdefault("connect_timeout", 5)
        return psycopg.connect(**{**params, **kwargs})

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a fresh name if none given) and return its URL."""
        name = name or f"test_{uuid.uuid4().hex[:16]}"
        with self.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still connected to it."""
        with self.connect(autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    # ---- process control (managed servers only) -------------------------------------------

    @property
    def data_dir(self) -> Path:
        self._require_managed()
        assert self.base_dir is not None
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        self._require_managed()
        assert self.base_dir is not None
        return self.base_dir / "postgres.log"

    @property
    def running(self) -> bool:
        if not self.managed:
            return True
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server (again) on the same port and data; returns once it accepts queries."""
        self._require_managed()
        if self.running:
            return
        postgres = find_postgres_bin("postgres")
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self._process = subprocess.Popen(
                [postgres, "-D", str(self.data_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base_dir,
                env=self._env(),
                process_group=0,  # not a session of its own: "Sessions" above
                preexec_fn=_parent_death_signal(signal.SIGINT),
                user=self._runas.user,
                group=self._runas.group,
                extra_groups=self._runas.extra_groups,
            )
        finally:
            log.close()
        self.cpu_placement = cpu_group.place(self._process.pid)  # "Sessions" above
        _wait_until(
            self._accepts_queries,
            what=f"PostgreSQL on 127.0.0.1:{self.port}",
            timeout=timeout,
            process=self._process,
            log=self.log_path,
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Fast shutdown (``pg_ctl stop -m fast``): disconnect clients, checkpoint, exit."""
        self._shutdown("fast", timeout)

    def kill(self, timeout: float = STOP_TIMEOUT) -> None:
        """Crash-like stop (``pg_ctl stop -m immediate``): no checkpoint; recovery at next start.

        The server runs with ``synchronous_commit=off``, so commits from the last few hundred
        milliseconds may be lost, as in a real crash. A test that needs a commit to survive
        ``kill()`` should ``SET synchronous_commit = on`` in that session first.
        """
        self._shutdown("immediate", timeout)

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """``pg_ctl restart -m fast`` equivalent: fast stop, then start on the same port."""
        self.stop()
        self.start(timeout)

    def ensure_running(self) -> None:
        """Start the server again if a test left it stopped (no-op for external servers)."""
        if self.managed and not self._closed and not self.running:
            self.start()

    def close(self) -> None:
        """Stop for good and delete the temporary folder (no-op for external servers)."""
        if not self.managed or self._closed:
            return
        self._closed = True
        try:
            self._shutdown("immediate", STOP_TIMEOUT)
        finally:
            if self.base_dir is not None:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    # ---- internals --------------------------------------------------------------------------

    def _require_managed(self) -> None:
        if not self.managed:
            raise NotManaged(f"PostgreSQL comes from {POSTGRES_URL_ENV}; it cannot be controlled")

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C", TZ="UTC", HOME=str(self.base_dir))
        return env

    def _accepts_queries(self) -> bool:
        with self.connect(connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True

    def _shutdown(self, mode: str, timeout: float) -> None:
        self._require_managed()
        process = self._process
        if process is None or process.poll() is not None:
            return
        pg_ctl = find_postgres_bin("pg_ctl")
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [pg_ctl, "stop", "-D", str(self.data_dir), "-m", mode,
                 "-w", "-t", str(int(timeout))],
                stdin=subprocess.DEVNULL, capture_output=True, cwd=self.base_dir, env=self._env(),
                timeout=timeout + 5, check=False,
                user=self._runas.user, group=self._runas.group,
                extra_groups=self._runas.extra_groups,
            )  # fmt: skip
        # Reap the postmaster; if pg_ctl could not stop it, signal it directly.
        _stop_process(process, signal.SIGQUIT if mode == "immediate" else signal.SIGINT, timeout)
        self._process = None
        if self.cpu_placement is not None:
            cpu_group.release(self.cpu_placement)


def _configure(base_dir: Path, port: int) -> None:
    settings = {
        **POSTGRES_SETTINGS,
        "port": str(port),
        "unix_socket_directories": f"'{base_dir}'",
    }
    conf = base_dir / "data" / "postgresql.conf"
    with conf.open("a") as f:  # keeps the file's owner
        f.write("\n# --- tests/servers.py ---\n")
        for key, value in settings.items():
            f.write(f"{key} = {value}\n")


def _postgres_from_env(url: str) -> PostgresServer:
    params = conninfo_to_dict(url)
    host = str(params.pop("host", "127.0.0.1") or "127.0.0.1")
    port = int(params.pop("port", 5432) or 5432)
    user = str(params.pop("user", "postgres") or "postgres")
    password = params.pop("password", None)
    dbname = str(params.pop("dbname", "postgres") or "postgres")
    server = PostgresServer(
        host=host, port=port, user=user, dbname=dbname, url=url,
        password=None if password is None else str(password), managed=False, _extra=params,
    )  # fmt: skip
    _wait_until(
        server._accepts_queries, what=f"PostgreSQL at {POSTGRES_URL_ENV}", timeout=START_TIMEOUT,
        process=None, log=None,
    )  # fmt: skip
    return server


def start_postgres(timeout: float = START_TIMEOUT) -> PostgresServer:
    """The session's PostgreSQL: ``$SIRISMA_TEST_POSTGRES_URL`` or a fresh throwaway cluster."""
    env_url = os.environ.get(POSTGRES_URL_ENV)
    if env_url:
        return _postgres_from_env(env_url)

    runas = _RunAs(_unprivileged_user())
    # Short path: the unix socket path must stay under ~100 characters.
    tmp_root = "/tmp" if os.path.isdir("/tmp") and len(tempfile.gettempdir()) > 40 else None
    base_dir = _make_base_dir("sirisma-pg-", tmp_root)
    if runas.user is not None and runas.group is not None:
        os.chown(base_dir, runas.user, runas.group)
    server = PostgresServer(
        host="127.0.0.1", port=0, user="postgres", dbname="postgres", url="",
        base_dir=base_dir, _runas=runas,
    )  # fmt: skip
    _register(server)
    try:
        _initdb(base_dir, runas, server._env())
        # A free port can be taken between probing and binding: try a few.
        for attempt in range(3):
            server.port = free_port()
            server.url = server.url_for("postgres")
            _configure(base_dir, server.port)
            try:
                server.start(timeout)
                break
            except ServerError:
                server._shutdown("immediate", STOP_TIMEOUT)
                if attempt == 2 or "could not bind" not in log_tail(server.log_path):
                    raise
        return server
    except BaseException:
        server.close()
        raise


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------


def _redis_url(host: str, port: int, db: int, password: str | None = None) -> str:
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{host}:{port}/{db}"


@dataclass
class RedisServer:
    """A Redis server for tests; ``url`` points at database 0 (or the env URL's database)."""

    host: str
    port: int
    url: str
    db: int = 0
    password: str | None = None
    managed: bool = True
    base_dir: Path | None = field(default=None, repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    def url_for(self, db: int) -> str:
        """URL of logical database ``db`` (0-15) on this server."""
        if not self.managed:
            parts = urlsplit(self.url)
            return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))
        return _redis_url(self.host, self.port, db, self.password)

    def client(self, db: int | None = None, **kwargs: Any) -> redis.Redis:
        kwargs.setdefault("socket_connect_timeout", 5)
        kwargs.setdefault("socket_timeout", 10)
        return redis.Redis.from_url(self.url_for(self.db if db is None else db), **kwargs)

    def flushall(self) -> None:
        with self.client() as client:
            client.flushall()

    @property
    def log_path(self) -> Path:
        self._require_managed()
        assert self.base_dir is not None
        return self.base_dir / "redis.log"

    @property
    def running(self) -> bool:
        if not self.managed:
            return True
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start (again) on the same port; returns once it answers PING. Data starts empty."""
        self._require_managed()
        if self.running:
            return
        redis_server = shutil.which("redis-server")
        if redis_server is None:
            raise ServerError(
                "redis-server not found on PATH. Install it (Debian: apt-get install "
                f"redis-server) or set {REDIS_URL_ENV}."
            )
        # fmt: off
        args = [
            redis_server,
            "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
            "--dir", str(self.base_dir), "--logfile", str(self.log_path),
            "--daemonize", "no", "--databases", "16",
        ]
        # fmt: on
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.base_dir,
            process_group=0,  # not a session of its own: "Sessions" above
            preexec_fn=_parent_death_signal(signal.SIGTERM),
        )
        _wait_until(
            self._pings,
            what=f"Redis on 127.0.0.1:{self.port}",
            timeout=timeout,
            process=self._process,
            log=self.log_path,
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Clean shutdown (SIGTERM; nothing is saved)."""
        self._require_managed()
        if self._process is not None:
            _stop_process(self._process, signal.SIGTERM, timeout)
            self._process = None

    def kill(self) -> None:
        """Crash: SIGKILL."""
        self._require_managed()
        if self._process is not None:
            _stop_process(self._process, signal.SIGKILL, 10)
            self._process = None

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Stop, then start on the same port. Persistence is off, so data does not survive."""
        self.stop()
        self.start(timeout)

    def ensure_running(self) -> None:
        if self.managed and not self._closed and not self.running:
            self.start()

    def close(self) -> None:
        if not self.managed or self._closed:
            return
        self._closed = True
        try:
            self.stop()
        finally:
            if self.base_dir is not None:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    def _require_managed(self) -> None:
        if not self.managed:
            raise NotManaged(f"Redis comes from {REDIS_URL_ENV}; it cannot be controlled")

    def _pings(self) -> bool:
        with self.client(socket_connect_timeout=1, socket_timeout=2) as client:
            return bool(client.ping())


def start_redis(timeout: float = START_TIMEOUT) -> RedisServer:
    """The session's Redis: ``$SIRISMA_TEST_REDIS_URL`` or a fresh throwaway server."""
    env_url = os.environ.get(REDIS_URL_ENV)
    if env_url:
        parts = urlsplit(env_url)
        db = int(parts.path.strip("/") or 0) if parts.path.strip("/").isdigit() else 0
        server = RedisServer(
            host=parts.hostname or "127.0.0.1", port=parts.port or 6379, url=env_url, db=db,
            password=parts.password, managed=False,
        )  # fmt: skip
        _wait_until(
            server._pings, what=f"Redis at {REDIS_URL_ENV}", timeout=timeout, process=None,
            log=None,
        )  # fmt: skip
        return server

    base_dir = _make_base_dir("sirisma-redis-")
    server = RedisServer(host="127.0.0.1", port=0, url="", base_dir=base_dir)
    _register(server)
    try:
        for attempt in range(3):
            server.port = free_port()
            server.url = server.url_for(0)
            try:
                server.start(timeout)
                break
            except ServerError:
                server.kill()
                if attempt == 2:
                    raise
        return server
    except BaseException:
        server.close()
        raise
