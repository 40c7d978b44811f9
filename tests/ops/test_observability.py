"""Logs and metrics of the distributed shape, from real processes on real PostgreSQL and Redis:
`sirisma serve` (JSON logs), `sirisma relay` and `sirisma worker`.

* A command's correlation id goes from the caller's X-Correlation-ID header to the HTTP log line,
  to the event in the log, to the Celery task that writes its audit record (the worker's log line
  and the audit row).
* /metrics shows requests by route and status, commands by type, conflicts, projection lag and
  the notification tasks; the worker serves its task counts on SIRISMA_METRICS_PORT.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.commands import account_id_for
from services.config import Settings, load_settings
from services.domain.actor import Actor
from services.domain.aggregate import Context
from services.eventstore.store import decode_event
from services.identity.passwords import hash_password
from services.ops.servers import free_port
from services.runtime import Runtime
from services.startup import start_runtime
from tests.factories import World, complete_profile
from tests.ops.procs import Sirisma, settings_env, value, wait_for
from tests.servers import PostgresServer, RedisServer

PASSWORD = "sandi-operasi-2025"


@dataclass
class Stack:
    settings: Settings
    runtime: Runtime
    serve: Sirisma
    relay: Sirisma
    worker: Sirisma
    base_url: str
    worker_metrics: str
    tokens: dict[str, str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30)

    def auth(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            with self.client() as client:
                response = client.post(
                    "/api/auth/login", json={"username": username, "password": PASSWORD}
                )
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}


@pytest.fixture(scope="module")
def stack(
    postgres_server: PostgresServer, redis_server: RedisServer, tmp_path_factory: Any
) -> Iterator[Stack]:
    postgres_server.ensure_running()
    redis_server.ensure_running()
    redis_url = redis_server.url_for(11)
    with redis_server.client(db=11) as r:
        r.flushdb()
    name = f"test_ops_{uuid.uuid4().hex[:12]}"
    folder: Path = tmp_path_factory.mktemp("ops")
    settings = load_settings(
        env={},
        data_dir=str(folder / "data"),
        database_url=postgres_server.create_database(name),
        redis_url=redis_url,
        log_json=True,
        port=free_port(),
        pool_size=4,
    )
    runtime = start_runtime(settings, background=False)
    world = World(runtime.commands)
    system = Context(actor=Actor.system())
    hashed = hash_password(PASSWORD)
    for username in ("op.dukcapil", "admin"):
        runtime.commands.reset_password(system, account_id_for(username), hashed)
    metrics_port = free_port()
    env = settings_env(settings)
    procs = [
        Sirisma("serve", ["serve"], env, folder),
        Sirisma("relay", ["relay", "--poll", "0.2"], env, folder),
        Sirisma(
            "worker",
            ["worker", "--concurrency", "2", "--without-gossip", "--without-mingle"],
            settings_env(settings, SIRISMA_METRICS_PORT=str(metrics_port)),
            folder,
        ),
    ]
    try:
        for proc in procs:
            proc.start()
        stack = Stack(
            settings=settings,
            runtime=runtime,
            serve=procs[0],
            relay=procs[1],
            worker=procs[2],
            base_url=f"http://127.0.0.1:{settings.port}",
            worker_metrics=f"http://127.0.0.1:{metrics_port}/metrics",
            tokens={},
        )

        def up() -> bool:
            for proc in procs:
                proc.check_alive()
            ready = httpx.get(f"{stack.base_url}/health/ready", timeout=2)
            return ready.status_code == 200 and httpx.get(stack.worker_metrics).status_code == 200

        wait_for(up, timeout=90, what="serve, relay and worker")
        assert world.call_id
        yield stack
    finally:
        for proc in procs:
            proc.stop()
        runtime.close()
        postgres_server.drop_database(name)


def test_a_correlation_id_goes_from_the_request_to_the_event_and_the_celery_task(
    stack: Stack,
) -> None:
    cid = f"uji-{uuid.uuid4().hex[:12]}"
    with stack.client() as client:
        response = client.post(
            "/api/innovations",
            json={"profile": _profile("Korelasi Permintaan")},
            headers={**stack.auth("op.dukcapil"), "X-Correlation-ID": cid},
        )
    assert response.status_code == 201, response.text
    assert response.headers["x-correlation-id"] == cid
    notification_id = int(response.headers["x-notification-id"])

    # The HTTP service's log line for the request.
    def request_line() -> Any:
        return [
            line
            for line in stack.serve.log_lines()
            if line["logger"] == "sirisma.http" and line["correlation_id"] == cid
        ]

    (line,) = wait_for(request_line, timeout=10, what="the request's log line")
    assert (line["method"], line["route"], line["status"]) == ("POST", "/api/innovations", 201)
    assert line["service"] == "http" and line["level"] == "INFO"

    # The event the command recorded.
    (stored,) = stack.runtime.store.notifications(notification_id, 1)
    assert decode_event(stored.topic, stored.state).correlation_id == cid

    # The worker's task for that event: its own line and Celery's "succeeded" line.
    def task_lines() -> Any:
        lines = [line for line in stack.worker.log_lines() if line["correlation_id"] == cid]
        done = [line for line in lines if "succeeded" in line["message"]]
        return lines if done else None

    lines = wait_for(task_lines, timeout=60, what="the audit task's log lines")
    started = [line for line in lines if line["logger"] == "sirisma.tasks"]
    assert started and started[0]["notification_id"] == notification_id
    assert started[0]["task"] == "sirisma.audit_record"
    assert all(line["service"] == "worker" for line in lines)
    recorded = stack.runtime.db.scalar(
        "SELECT correlation_id FROM notification_audit_records WHERE notification_id = ?",
        (notification_id,),
    )
    assert recorded == cid

    # Without a header (or with an unusable one) the service makes an id and says which.
    with stack.client() as client:
        plain = client.get("/api/me", headers=stack.auth("op.dukcapil"))
        odd = client.get(
            "/api/me", headers={**stack.auth("op.dukcapil"), "X-Correlation-ID": "a b\tc"}
        )
    assert len(plain.headers["x-correlation-id"]) == 32
    assert odd.headers["x-correlation-id"] not in ("a b\tc", plain.headers["x-correlation-id"])


def test_metrics_show_requests_commands_conflicts_lag_and_tasks(stack: Stack) -> None:
    headers = stack.auth("op.dukcapil")
    with stack.client() as client:
        created = client.post(
            "/api/innovations", json={"profile": _profile("Metrik Perintah")}, headers=headers
        )
        assert created.status_code == 201, created.text
        iid, version = created.json()["id"], created.json()["version"]
        fresh = client.patch(
            f"/api/innovations/{iid}",
            json={"goals": "Tujuan yang diperbarui untuk uji metrik."},
            headers={**headers, "If-Match": f'"{version}"'},
        )
        assert fresh.status_code == 200, fresh.text
        stale = client.patch(
            f"/api/innovations/{iid}",
            json={"goals": "Tujuan dari versi yang sudah usang."},
            headers={**headers, "If-Match": f'"{version}"'},
        )
        assert stale.status_code == 409, stale.text
        missing = client.get(f"/api/innovations/{uuid.uuid4()}", headers=headers)
        assert missing.status_code == 404
        head = int(fresh.headers["x-notification-id"])

        def audited() -> bool:
            done = stack.runtime.db.scalar(
                "SELECT COUNT(*) FROM notification_audit_records WHERE notification_id = ?",
                (head,),
            )
            return bool(done)

        wait_for(audited, timeout=60, what="the audit records of the commands")
        text = client.get("/metrics").text

    requests = "sirisma_http_requests_total"
    assert value(text, requests, method="POST", route="/api/innovations", status="201") >= 1
    assert value(text, requests, method="PATCH", route="/api/innovations/{id}") >= 2
    assert value(text, requests, route="/api/innovations/{id}", status="409") >= 1
    assert value(text, requests, route="/api/innovations/{id}", status="404") >= 1
    assert value(text, "sirisma_http_request_duration_seconds_count", route="/api/innovations") >= 1
    assert value(text, "sirisma_commands_total", command="propose", outcome="ok") >= 1
    assert value(text, "sirisma_commands_total", command="update_profile", outcome="ok") >= 1
    assert value(text, "sirisma_commands_total", command="update_profile", outcome="conflict") >= 1
    assert value(text, "sirisma_command_conflicts_total", command="update_profile") >= 1
    # No projector runs here: the read models lag behind the log, and /metrics says so.
    assert value(text, "sirisma_projection_lag_events", model="innovations") >= 1
    assert value(text, "sirisma_notification_outbox", state="done") >= 1
    assert value(text, "sirisma_notification_dead_letters") == 0

    tasks = httpx.get(stack.worker_metrics).text
    assert (
        value(tasks, "sirisma_tasks_total", task="sirisma.audit_record", outcome="succeeded") >= 1
    )
    assert value(tasks, "sirisma_task_duration_seconds_count", task="sirisma.audit_record") >= 1
    assert value(tasks, "sirisma_tasks_total", outcome="dead_letter") == 0


def test_readiness_checks_redis_where_configured(stack: Stack) -> None:
    ready = httpx.get(f"{stack.base_url}/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"event_store": "ok", "redis": "ok"}}


def test_without_redis_the_service_is_degraded_but_still_ready(tmp_path: Path) -> None:
    """Commands and reads go on without Redis (notifications wait in the outbox): the probe
    names the failure but does not take the service out of the load balancer."""
    from litestar.testing import TestClient

    from services.app import create_app

    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    settings = load_settings(env={}, data_dir=str(tmp_path), redis_url=nowhere)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "degraded",
        "checks": {"event_store": "ok", "redis": "error: ConnectionError"},
    }


def _profile(title: str) -> dict[str, Any]:
    import msgspec

    return msgspec.to_builtins(complete_profile(title))  # type: ignore[no-any-return]
