"""``sirisma cluster``: the distributed shape of compose.yaml on one machine, without Docker.

It starts, from the machine's own binaries and the same ``sirisma`` entry points the compose file
uses (``COMMANDS``), PostgreSQL, Redis, the one-shot ``migrate``, the submission and review HTTP
services, the projector, the relay, Celery workers and Celery beat; each process logs to
``<run dir>/logs/<name>.log``. It then supervises them as systemd or Docker's restart policy would:
a process that exits is started again (after 0.5 s, doubling to at most 30 s while it keeps
failing). Ctrl-C (or SIGTERM) stops everything in order: the HTTP services first (they finish the
requests in flight), then beat, relay and projector, then the workers (Celery's warm shutdown
finishes the running tasks), then Redis and last PostgreSQL.

The run folder keeps the data between runs: ``postgres/`` (the cluster's data directory),
``redis/`` (its append-only file), ``data/`` (``SIRISMA_DATA_DIR``, document blobs included),
``secret_key``, ``logs/`` and ``state.json`` (URLs, ports and the pid of every process, rewritten
whenever one changes; tools and the system test read it).

PostgreSQL listens on 127.0.0.1 only, with trust authentication: a development and test shape,
not a production one. As in compose, ``migrate`` runs as the owner role and every service as the
app role (services/db_roles.py), which may only read and append to the event log. As root,
PostgreSQL runs as the unprivileged system user ``sirisma``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from services.ops import pg_memory

log = logging.getLogger("sirisma.cluster")

# The entry point of each compose service (compose.yaml runs exactly these, checked by a test);
# the cluster adds only per-process options such as the Celery node name.
COMMANDS: dict[str, list[str]] = {
    "migrate": ["migrate"],
    "submission": ["serve"],
    "review": ["serve"],
    "projector": ["project"],
    "relay": ["relay"],
    "worker": ["worker", "--concurrency", "4"],
    "beat": ["beat"],
}
# Variables the cluster sets itself; any other SIRISMA_* of the caller (SMTP, SLA …) passes on.
OWN_SETTINGS = (
    "SIRISMA_DATABASE_URL", "SIRISMA_MIGRATE_DATABASE_URL", "SIRISMA_REDIS_URL",
    "SIRISMA_DATA_DIR", "SIRISMA_BLOB_DIR",
    "SIRISMA_HOST", "SIRISMA_PORT", "SIRISMA_SERVICE", "SIRISMA_METRICS_PORT", "SIRISMA_LOG_JSON",
)  # fmt: skip
POSTGRES_USER = "sirisma"  # the system account PostgreSQL runs as when we are root
DATABASE = "sirisma"
# The roles of services/db_roles.py: `migrate` runs as the owner, every service as the app role.
OWNER_ROLE, APP_ROLE = "sirisma_owner", "sirisma_app"
# Seconds a process gets to stop after SIGTERM before SIGKILL: uvicorn drains requests for up to
# 20 s, a worker finishes its running tasks (an SMTP conversation may take SIRISMA_SMTP_TIMEOUT).
STOP_TIMEOUTS = {"submission": 30.0, "review": 30.0, "worker": 60.0}
MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0  # a process that ran this long starts again without delay


class ClusterError(click.ClickException):
    """The cluster could not start (the message says why and what to do)."""


def sirisma_command() -> list[str]:
    """How to run the ``sirisma`` entry point with this interpreter."""
    script = Path(sys.executable).with_name("sirisma")
    return [str(script)] if script.exists() else [sys.executable, "-m", "services.cli"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# One supervised process
# --------------------------------------------------------------------------------------------


@dataclass
class Process:
    """A child the supervisor keeps running: how to start it, how to stop it, its log."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    stop_signal: int = signal.SIGTERM
    stop_timeout: float = 20.0
    group: int = 2  # stop order: 0 first (HTTP) … 4 last (PostgreSQL)
    port: int | None = None
    ready: Callable[[], bool] | None = None
    runas: Any = None  # services.ops.servers.RunAs for PostgreSQL
    own_cpu_group: bool = False  # PostgreSQL: services.ops.cpu_group (README, "Kernel scheduler")
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    starts: int = 0
    exits: list[dict[str, Any]] = field(default_factory=list)
    backoff: float = 0.5
    next_start: float = 0.0

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None and self.popen.poll() is None else None

    def start(self) -> None:
        from services.ops.servers import parent_death_signal

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with open(self.log_path, "ab") as out:
            out.write(f"=== {_now()} start #{self.starts}: {' '.join(self.argv)}\n".encode())
            out.flush()
            runas = self.runas
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                # A process group of its own: Ctrl-C reaches the supervisor only, which stops the
                # services in order. Not a session of its own: with the kernel's autogroup on,
                # each session is a scheduling group of its own (README, "Kernel scheduler").
                process_group=0,
                preexec_fn=parent_death_signal(self.stop_signal),
                user=runas.user if runas else None,
                group=runas.group if runas else None,
                extra_groups=runas.extra_groups if runas else None,
            )
        self.started_at = time.monotonic()
        log.info("%s started (pid %d)", self.name, self.popen.pid)
        if self.own_cpu_group:
            from services.ops import cpu_group

            log.info("%s scheduling: %s", self.name, cpu_group.place(self.popen.pid))

    def reap(self) -> int | None:
        """The exit code if the process ended since the last look (and schedules its restart)."""
        if self.popen is None or self.popen.poll() is None:
            return None
        code = self.popen.returncode
        ran = time.monotonic() - self.started_at
        self.exits.append({"at": _now(), "code": code, "pid": self.popen.pid})
        self.popen = None
        if ran >= STABLE_AFTER:
            self.backoff = 0.5
        self.next_start = time.monotonic() + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF)
        return code

    def signal(self, sig: int) -> None:
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(sig)

    def wait(self, deadline: float) -> bool:
        if self.popen is None:
            return True
        try:
            self.popen.wait(max(deadline - time.monotonic(), 0.01))
            return True
        except subprocess.TimeoutExpired:
            return False


# --------------------------------------------------------------------------------------------
# The cluster
# --------------------------------------------------------------------------------------------


@dataclass
class Options:
    run_dir: Path
    port: int = 8000  # submission; review is port + 1
    workers: int = 2  # Celery worker processes
    http_workers: int = 1  # uvicorn processes per HTTP service
    demo: bool = False
    fsync: bool = True  # off: faster, for tests; a machine crash may then lose recent commits
    log_json: bool = True


class Cluster:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.run_dir = options.run_dir.resolve()
        self.logs = self.run_dir / "logs"
        self.processes: dict[str, Process] = {}
        self.stopping = threading.Event()
        self.ready = False
        self.postgres_port = 0
        self.redis_port = 0

    # ---- layout and settings ------------------------------------------------------------

    @property
    def database_url(self) -> str:
        """The app role's URL: what every service (and a tool reading state.json) uses."""
        return f"postgresql://{APP_ROLE}@127.0.0.1:{self.postgres_port}/{DATABASE}"

    @property
    def owner_database_url(self) -> str:
        return f"postgresql://{OWNER_ROLE}@127.0.0.1:{self.postgres_port}/{DATABASE}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def data_dir(self) -> Path:
        return self.run_dir / "data"

    def urls(self) -> dict[str, str]:
        return {
            "submission": f"http://127.0.0.1:{self.options.port}",
            "review": f"http://127.0.0.1:{self.options.port + 1}",
        }

    def secret_key(self) -> str:
        given = os.environ.get("SIRISMA_SECRET_KEY")
        if given:
            return given
        path = self.run_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def app_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in OWN_SETTINGS}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.pop("FORWARDED_ALLOW_IPS", None)
        env.update(
            SIRISMA_DATABASE_URL=self.database_url,
            SIRISMA_REDIS_URL=self.redis_url,
            SIRISMA_DATA_DIR=str(self.data_dir),
            SIRISMA_BLOB_DIR=str(self.data_dir / "blobs"),
            SIRISMA_HOST="127.0.0.1",
            # No proxy in this shape: clients connect directly, so no X-Forwarded-For is believed.
            SIRISMA_TRUSTED_PROXIES="",
            SIRISMA_SECRET_KEY=self.secret_key(),
            SIRISMA_LOG_JSON="true" if self.options.log_json else "false",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    # ---- PostgreSQL and Redis -------------------------------------------------------------

    def _postgres(self) -> Process:
        from services.ops import servers

        runas = servers.RunAs(servers.unprivileged_user(POSTGRES_USER))
        folder = self.run_dir / "postgres"
        if not servers.reachable_by(folder, runas):
            # e.g. a run folder under /root: keep the data where the server's user can reach it.
            digest = hashlib.sha256(str(self.run_dir).encode()).hexdigest()[:10]
            outside = Path(tempfile.gettempdir()) / f"sirisma-cluster-pg-{digest}"
            outside.mkdir(mode=0o755, exist_ok=True)
            runas.chown(outside)
            if not folder.is_symlink():
                folder.symlink_to(outside)
            folder = outside
        folder.mkdir(exist_ok=True)
        runas.chown(folder)
        data = folder / "data"
        env = servers.postgres_env(folder)
        if not (data / "PG_VERSION").exists():
            log.info("initdb %s", data)
            servers.initdb(data, runas, env, sync=self.options.fsync)
        self.postgres_port = self.postgres_port or servers.free_port()
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",
            "port": str(self.postgres_port),
            "max_connections": "400",
            "timezone": "UTC",
            "log_timezone": "UTC",
            "logging_collector": "off",
            "shared_buffers": pg_memory.shared_buffers(),
        }
        if not self.options.fsync:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        argv = servers.postgres_command(data)
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]

        def accepts() -> bool:
            import psycopg

            with psycopg.connect(
                host="127.0.0.1", port=self.postgres_port, user="postgres", dbname="postgres",
                connect_timeout=2,
            ) as conn:  # fmt: skip
                conn.execute("SELECT 1")
            return True

        return Process(
            name="postgres", argv=argv, env=env, log_path=self.logs / "postgres.log",
            stop_signal=signal.SIGINT, stop_timeout=30, group=4, port=self.postgres_port,
            ready=accepts, runas=runas, cwd=folder, own_cpu_group=True,
        )  # fmt: skip

    def _redis(self) -> Process:
        from services.ops import servers

        folder = self.run_dir / "redis"
        folder.mkdir(exist_ok=True)
        self.redis_port = self.redis_port or servers.free_port()

        def pings() -> bool:
            import redis

            client = redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=2)
            try:
                return bool(client.ping())
            finally:
                client.close()

        return Process(
            name="redis", argv=servers.redis_command(self.redis_port, folder, persistent=True),
            env=dict(os.environ), log_path=self.logs / "redis.log", stop_signal=signal.SIGTERM,
            stop_timeout=15, group=3, port=self.redis_port, ready=pings, cwd=folder,
        )  # fmt: skip

    def _create_database(self) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host="127.0.0.1", port=self.postgres_port, user="postgres", dbname="postgres",
            autocommit=True, connect_timeout=5,
        ) as conn:  # fmt: skip
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        from services.db_roles import create_role_statements

        with psycopg.connect(
            host="127.0.0.1", port=self.postgres_port, user="postgres", dbname=DATABASE,
            autocommit=True, connect_timeout=5,
        ) as conn, conn.transaction():  # fmt: skip
            for statement in create_role_statements(DATABASE, OWNER_ROLE, APP_ROLE):
                conn.execute(statement)
            row = conn.execute(
                "SELECT pg_get_userbyid(relowner) FROM pg_class "
                "WHERE oid = to_regclass('public.sirisma_events')"
            ).fetchone()
        if row is not None and row[0] != OWNER_ROLE:
            raise ClusterError(
                f"Folder {self.run_dir} dibuat versi lama (log peristiwa milik {row[0]}, bukan "
                f"{OWNER_ROLE}); pakai --run-dir lain atau hapus folder itu."
            )

    # ---- the application's processes -------------------------------------------------------

    def _app(self, name: str, role: str, args: list[str], group: int, **env: str) -> Process:
        return Process(
            name=name,
            argv=[*sirisma_command(), *COMMANDS[role], *args],
            env=self.app_env(**env),
            log_path=self.logs / f"{name}.log",
            stop_signal=signal.SIGTERM,
            stop_timeout=STOP_TIMEOUTS.get(role, 20.0),
            group=group,
            cwd=self.run_dir,
        )

    def _application(self) -> list[Process]:
        from services.ops.servers import free_port

        procs = []
        for offset, role in enumerate(("submission", "review")):
            port = self.options.port + offset
            proc = self._app(
                role, role, ["--workers", str(self.options.http_workers)], 0,
                SIRISMA_SERVICE=role, SIRISMA_PORT=str(port),
            )  # fmt: skip
            proc.port = port
            proc.ready = _http_ready(f"http://127.0.0.1:{port}/health/ready")
            procs.append(proc)
        projector = self._app("projector", "projector", ["--metrics-port", str(free_port())], 1)
        procs.append(projector)
        procs.append(self._app("relay", "relay", [], 1))
        procs.append(self._app("beat", "beat", [], 1))
        for n in range(1, self.options.workers + 1):
            port = free_port()
            worker = self._app(
                f"worker-{n}", "worker", ["-n", f"worker{n}@%h"], 2,
                SIRISMA_METRICS_PORT=str(port),
            )  # fmt: skip
            worker.port = port
            procs.append(worker)
        return procs

    def _one_shot(self, name: str, args: list[str], timeout: float = 300) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as out:
            out.write(f"=== {_now()} {name}\n".encode())
            out.flush()
            result = subprocess.run(
                [*sirisma_command(), *args], stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, cwd=self.run_dir, timeout=timeout,
                env=self.app_env(SIRISMA_MIGRATE_DATABASE_URL=self.owner_database_url),
                check=False,
            )  # fmt: skip
        if result.returncode != 0:
            from services.ops.servers import log_tail

            raise ClusterError(
                f"`sirisma {' '.join(args)}` gagal (kode {result.returncode}):\n"
                + log_tail(self.logs / f"{name}.log")
            )

    # ---- running ---------------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> None:
        """Bring everything up; returns once both HTTP services answer /health/ready."""
        from services.ops.servers import ServerError, wait_until

        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        for base in (self._postgres(), self._redis()):
            self.processes[base.name] = base
            base.start()
            try:
                assert base.ready is not None
                wait_until(self._or_stopping(base.ready), what=base.name, timeout=timeout,
                           process=base.popen, log=base.log_path)  # fmt: skip
            except ServerError as exc:
                raise ClusterError(str(exc)) from None
            if self.stopping.is_set():
                return
        self._create_database()
        self.write_state()
        self._one_shot("migrate", COMMANDS["migrate"])
        if self.options.demo:
            self._one_shot("demo", ["demo"])
        for proc in self._application():
            self.processes[proc.name] = proc
            proc.start()
        self.write_state()
        deadline = time.monotonic() + timeout
        for proc in self.processes.values():
            if proc.ready is None or proc.group > 0:
                continue
            try:
                wait_until(self._or_stopping(proc.ready), what=proc.name,
                           timeout=max(deadline - time.monotonic(), 1), process=proc.popen,
                           log=proc.log_path)  # fmt: skip
            except ServerError as exc:
                raise ClusterError(str(exc)) from None
            if self.stopping.is_set():  # Ctrl-C while starting
                return
        self.ready = True
        self.write_state()

    def _or_stopping(self, ready: Callable[[], bool]) -> Callable[[], bool]:
        return lambda: self.stopping.is_set() or ready()

    def supervise(self) -> None:
        """Restart whatever exits, until ``stopping`` is set. Runs in the main thread: children
        get a parent-death signal tied to the thread that started them."""
        while not self.stopping.is_set():
            changed = False
            for proc in self.processes.values():
                code = proc.reap()
                if code is not None:
                    log.warning(
                        "%s exited with code %s; starting it again in %.1fs",
                        proc.name, code, proc.next_start - time.monotonic(),
                    )  # fmt: skip
                    changed = True
                if proc.popen is None and time.monotonic() >= proc.next_start:
                    if self.stopping.is_set():
                        break
                    proc.start()
                    changed = True
            if changed:
                self.write_state()
            self.stopping.wait(0.2)

    def stop(self) -> None:
        """Stop in order, each group in parallel; SIGKILL whatever outlives its time."""
        self.stopping.set()
        for group in sorted({p.group for p in self.processes.values()}):
            members = [p for p in self.processes.values() if p.group == group and p.pid]
            for proc in members:
                log.info("stopping %s (pid %s)", proc.name, proc.pid)
                proc.signal(proc.stop_signal)
            for proc in members:
                if not proc.wait(time.monotonic() + proc.stop_timeout):
                    log.warning("%s did not stop in %.0fs: SIGKILL", proc.name, proc.stop_timeout)
                    proc.signal(signal.SIGKILL)
                    proc.wait(time.monotonic() + 10)
        self.ready = False
        self.write_state()

    def kill_all(self) -> None:
        for proc in self.processes.values():
            proc.signal(signal.SIGKILL)

    def write_state(self) -> None:
        state = {
            "run_dir": str(self.run_dir),
            "pid": os.getpid(),
            "ready": self.ready,
            "stopping": self.stopping.is_set(),
            "urls": self.urls(),
            "database_url": self.database_url,
            "owner_database_url": self.owner_database_url,
            "redis_url": self.redis_url,
            "data_dir": str(self.data_dir),
            "processes": {
                p.name: {
                    "pid": p.pid,
                    "port": p.port,
                    "starts": p.starts,
                    "exits": p.exits[-10:],
                    "log": str(p.log_path),
                    "argv": p.argv,
                }
                for p in self.processes.values()
            },
        }
        path = self.run_dir / "state.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(path)


def _http_ready(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)

    return ready


def read_state(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "state.json").read_text())  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


@click.command("cluster")
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("cluster"),
    show_default=True,
    help="Folder data, log dan state.json klaster (dipakai lagi pada jalan berikutnya).",
)
@click.option("--port", default=8000, show_default=True, help="Port layanan pengajuan; review +1.")
@click.option("--workers", default=2, show_default=True, help="Jumlah proses worker Celery.")
@click.option("--http-workers", default=1, show_default=True, help="Proses per layanan HTTP.")
@click.option("--demo", is_flag=True, help="Isi data demo bila basis data masih kosong.")
@click.option(
    "--no-fsync",
    is_flag=True,
    help="PostgreSQL tanpa fsync (lebih cepat, untuk uji; data bisa hilang bila mesin mati).",
)
@click.option("--text-logs", is_flag=True, help="Log teks biasa, bukan JSON.")
def cluster(
    run_dir: Path,
    port: int,
    workers: int,
    http_workers: int,
    demo: bool,
    no_fsync: bool,
    text_logs: bool,
) -> None:
    """Start the whole distributed shape on this machine (PostgreSQL, Redis, two HTTP services,
    projector, relay, Celery workers and beat) and keep it running until Ctrl-C."""
    from services.config import load_settings
    from services.ops import logs

    logs.configure(load_settings(), "cluster")
    options = Options(
        run_dir=run_dir, port=port, workers=workers, http_workers=http_workers, demo=demo,
        fsync=not no_fsync, log_json=not text_logs,
    )  # fmt: skip
    instance = Cluster(options)
    received: list[int] = []

    def on_signal(signum: int, _: Any) -> None:
        received.append(signum)
        if len(received) > 1:  # a second Ctrl-C: no more waiting
            instance.kill_all()
        instance.stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        instance.start()
        if instance.stopping.is_set():
            return
        urls = instance.urls()
        click.echo(
            "\n".join(
                [
                    f"Klaster SI-RISMA berjalan (folder {instance.run_dir}):",
                    f"  pengajuan, halaman, login  {urls['submission']}",
                    f"  review, IGA, audit API     {urls['review']}",
                    f"  PostgreSQL                 {instance.database_url}",
                    f"  Redis                      {instance.redis_url}",
                    f"  log per proses             {instance.logs}/",
                    "Tekan Ctrl-C untuk menghentikan semuanya.",
                ]
            )
        )
        instance.supervise()
    finally:
        instance.stop()
        click.echo("Klaster berhenti.")
