"""Fixtures for the notification tests: a real SMTP server on loopback (aiosmtpd), a real Celery
worker process, the relay in a thread, and the HTTP app with logged-in clients.

The distributed fixtures run on the session's real PostgreSQL and Redis (``tests/servers.py``);
``drain`` runs the embedded runner's rounds synchronously for the tests that only need the
planning and task code, not the processes.
"""

from __future__ import annotations

import contextlib
import email
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from litestar import Litestar
from litestar.testing import TestClient

from services.config import Settings, load_settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.values import (
    CallKind,
    KrenovaEntry,
    KrenovaField,
    ParticipantCategory,
    Profile,
)
from services.runtime import Runtime
from services.startup import start_runtime
from tests.factories import World
from tests.servers import _parent_death_signal, free_port, log_tail

PASSWORD = "sandi-notifikasi-2025"


def wait_until(
    predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1
) -> Any:
    """Poll until ``predicate`` returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


# ============================================================================================
# SMTP on loopback
# ============================================================================================


class Mailbox:
    """An aiosmtpd handler that keeps every accepted message and can refuse on demand."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, EmailMessage]] = []  # (recipient, message)
        self.refuse: dict[str, str] = {}  # address → permanent reply, e.g. "550 …"
        self.transient: dict[str, int] = {}  # address → how many 451 replies are left
        self.refusals: list[tuple[str, str]] = []

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.refuse.clear()
            self.transient.clear()
            self.refusals.clear()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        with self.lock:
            if address in self.refuse:
                self.refusals.append((address, self.refuse[address]))
                return self.refuse[address]
            if self.transient.get(address, 0) > 0:
                self.transient[address] -= 1
                self.refusals.append((address, "451"))
                return "451 4.3.0 Coba lagi nanti"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def received(self) -> list[tuple[str, EmailMessage]]:
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received() if rcpt == address]


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> Iterator[SmtpServer]:
    """The session's SMTP server with an empty mailbox and no refusals."""
    smtp_server.mailbox.clear()
    yield smtp_server
    smtp_server.mailbox.clear()


# ============================================================================================
# Settings, runtimes, the seeded world
# ============================================================================================


def settings_env(settings: Settings) -> dict[str, str]:
    """The SIRISMA_* environment that gives a subprocess these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIRISMA_")}
    for name in Settings.__struct_fields__:
        value = getattr(settings, name)
        env[f"SIRISMA_{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    return env


@pytest.fixture
def distributed_settings(
    postgres_url: str, redis_url: str, smtp: SmtpServer, tmp_path: Path
) -> Settings:
    """PostgreSQL + Redis + SMTP on loopback; short SMTP lease and redispatch period."""
    return load_settings(
        env={},
        data_dir=str(tmp_path / "data"),
        database_url=postgres_url,
        redis_url=redis_url,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_timeout=5,
        task_redispatch_seconds=3,
        pool_size=6,
    )


class NotifyWorld(World):
    """``World`` plus a Krenova call, a participant and an auditor, all with real passwords."""

    def __init__(self, runtime: Runtime, now: datetime | None = None) -> None:
        super().__init__(runtime.commands, now)
        system = Context(actor=Actor.system(), now=self.now)
        self.participant = self._account(system, "peserta.satu", Role.PARTICIPANT, None)
        self.auditor = self._account(system, "auditor.satu", Role.AUDITOR, None)
        self.krenova_call_id = self.commands.open_call(
            self.ctx(self.admin),
            kind=CallKind.KRENOVA,
            title="Krenova 2025",
            budget_year=2025,
            opens_at=self.now - timedelta(days=10),
            deadline=self.now + timedelta(days=20),
            eligible_kinds=("masyarakat",),
            rubric_year=2025,
        ).id

    def _account(self, system: Context, username: str, role: Role, org: Any) -> Actor:
        self.commands.create_account(
            system,
            username=username,
            full_name=username.replace(".", " ").title(),
            email=f"{username}@sragenkab.go.id",
            role=role,
            organisation_id=org,
            password_hash=_HASH.get(),
        )
        from services.commands import account_id_for

        return Actor(account_id=account_id_for(username), role=role, organisation_id=org)

    def krenova_entry(self, title: str = "Pengering Gabah Surya") -> Any:
        profile = Profile(
            title=title,
            krenova=KrenovaEntry(
                field=KrenovaField.ENERGI,
                participant_category=ParticipantCategory.UMUM,
                abstract=f"Abstrak {title}.",
                advantages="Biaya rendah.",
                benefits="Susut panen turun.",
                application="Diuji di Desa Gesi.",
                video_url="https://video.example/krenova",
            ),
        )
        return self.commands.propose(
            self.ctx(self.participant), call_id=self.krenova_call_id, profile=profile
        ).id


class _HashCache:
    """argon2 is slow on purpose: hash the test password once per session."""

    value: str | None = None

    def get(self) -> str:
        if self.value is None:
            from services.identity.passwords import hash_password

            self.value = hash_password(PASSWORD)
        return self.value


_HASH = _HashCache()


def drain(runtime: Runtime, now: datetime | None = None, rounds: int = 50) -> None:
    """Run the embedded runner's rounds in this thread until it is idle (bounded)."""
    from services.notification.embedded import EmbeddedRunner

    runner = EmbeddedRunner(runtime)
    runner._next_scan = datetime.max.replace(tzinfo=UTC)  # schedules only when a test asks
    for _ in range(rounds):
        if runner.step(now) == 0:
            return
    raise AssertionError(f"notification work still pending after {rounds} rounds")


@pytest.fixture
def quiet_runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime without background threads (tests drive the runner themselves), both backends."""
    runtime = start_runtime(settings, background=False)
    yield runtime
    runtime.close()


# ============================================================================================
# The distributed shape: a real Celery worker process and the relay
# ============================================================================================


class WorkerProcess:
    """``python -m services.cli worker`` as a subprocess in its own process group."""

    def __init__(self, settings: Settings, log_path: Path, concurrency: int = 4) -> None:
        self.settings = settings
        self.log_path = log_path
        self.concurrency = concurrency
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "services.cli", "worker",
                "--concurrency", str(self.concurrency), "--pool", "threads",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            env=settings_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_parent_death_signal(signal.SIGKILL),
        )  # fmt: skip
        log.close()

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited:\n{log_tail(self.log_path, 60)}")
            with self.log_path.open("rb") as fh:
                fh.seek(offset)
                return b" ready." in fh.read()

        wait_until(ready, timeout=timeout, what="the Celery worker to be ready")

    def kill(self) -> None:
        """SIGKILL the whole process group: no warm shutdown, no acknowledgement."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def worker_factory(
    distributed_settings: Settings, tmp_path: Path
) -> Iterator[Callable[[], WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        w = WorkerProcess(distributed_settings, tmp_path / "worker.log")
        started.append(w)
        w.start()
        return w

    yield start
    for w in started:
        w.stop()


class RelayThread:
    """The relay loop (``sirisma relay``'s code) in a thread of the test process."""

    def __init__(self, runtime: Runtime) -> None:
        from services.notification.celery_app import make_app
        from services.notification.redis_broker import RedisBroker
        from services.notification.relay import Relay

        self.broker = RedisBroker(make_app(runtime.settings), runtime.settings.redis_url)
        self.relay = Relay(runtime, self.broker, poll_interval=0.2)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.relay.run, args=(self.stop_event,), daemon=True)

    def start(self) -> RelayThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(30)
        self.broker.close()


@pytest.fixture
def distributed_runtime(distributed_settings: Settings) -> Iterator[Runtime]:
    runtime = start_runtime(distributed_settings, background=False)
    yield runtime
    runtime.close()


@pytest.fixture
def relay_thread(distributed_runtime: Runtime) -> Iterator[RelayThread]:
    relay = RelayThread(distributed_runtime).start()
    yield relay
    relay.stop()


# ============================================================================================
# HTTP
# ============================================================================================


@dataclass
class Api:
    client: TestClient[Litestar]
    runtime: Runtime
    world: NotifyWorld

    def headers(self, username: str) -> dict[str, str]:
        self.client.cookies.clear()
        response = self.client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        self.client.cookies.clear()
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def api(sqlite_settings: Settings) -> Iterator[Api]:
    """The app in the embedded default (SQLite, no Redis): the runner thread is live."""
    from services.app import create_app

    runtime = start_runtime(sqlite_settings)
    world = NotifyWorld(runtime)
    with TestClient(create_app(runtime=runtime)) as client:
        yield Api(client=client, runtime=runtime, world=world)
