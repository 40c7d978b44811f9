"""Graceful shutdown of `sirisma serve`: SIGTERM while a request is in flight lets it finish.

The slow request is a real one: a read that waits for the read models to reach a notification id
the log does not have yet (read-your-writes) answers after its bounded wait, stale. The test
knows the request is in flight from the server's own gauge of requests in progress, sends
SIGTERM, and checks the request still got its answer and that the server logged the answer after
it began shutting down. No timing is asserted.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.config import load_settings
from services.ops.servers import free_port
from tests.ops.procs import Sirisma, settings_env, value, wait_for

pytestmark = pytest.mark.slow


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    settings = load_settings(
        env={}, data_dir=str(tmp_path / "data"), log_json=True, port=free_port()
    )
    server = Sirisma("serve", ["serve"], settings_env(settings), tmp_path).start()
    base = f"http://127.0.0.1:{settings.port}"
    try:
        wait_for(
            lambda: server.check_alive() or httpx.get(f"{base}/health/ready").status_code == 200,
            timeout=60,
            what="the server",
        )
        answers: list[Any] = []

        def slow() -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                answers.append(client.get("/api/calls", params={"after": 10_000_000}))

        caller = threading.Thread(target=slow)
        caller.start()

        def in_flight() -> bool:
            text = httpx.get(f"{base}/metrics").text
            # The scrape itself is one request in progress; the slow read is the other.
            return value(text, "sirisma_http_requests_in_progress", method="GET") >= 2

        wait_for(in_flight, timeout=30, what="the slow request to be in flight")
        server.signal(signal.SIGTERM)
        caller.join(60)
        assert not caller.is_alive()
        (answer,) = answers
        assert answer.status_code == 200
        assert answer.headers["x-read-stale"] == "true"  # it waited its whole bound
        assert server.wait(60) in (0, -signal.SIGTERM)
    finally:
        server.stop()

    messages = [(line["logger"], line["message"]) for line in server.log_lines()]
    shutting = messages.index(("uvicorn.error", "Shutting down"))
    answered = [
        i for i, (logger, text) in enumerate(messages)
        if logger == "sirisma.http" and text.startswith("GET /api/calls 200")
    ]  # fmt: skip
    assert answered and answered[0] > shutting
    assert ("uvicorn.error", "Application shutdown complete.") in messages[answered[0] :]


class HeldSmtp:
    """An SMTP server that accepts a message only when told to: the delivery task that talks to
    it stays in flight as long as the test wants."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 120)
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


def test_sigterm_lets_the_worker_finish_the_task_in_flight(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    from aiosmtpd.controller import Controller

    from services.startup import start_runtime
    from tests.factories import World

    smtp = HeldSmtp()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = load_settings(
        env={}, data_dir=str(tmp_path / "data"), database_url=postgres_url, redis_url=redis_url,
        smtp_host="127.0.0.1", smtp_port=controller.port, log_json=True, pool_size=4,
    )  # fmt: skip
    runtime = start_runtime(settings, background=False)
    env = settings_env(settings)
    relay = Sirisma("relay", ["relay", "--poll", "0.2"], env, tmp_path)
    worker = Sirisma(
        "worker", ["worker", "--concurrency", "2", "--without-gossip", "--without-mingle"],
        env, tmp_path,
    )  # fmt: skip
    try:
        world = World(runtime.commands)
        iid = world.complete_draft()
        runtime.commands.submit(world.ctx(world.operator), iid)  # the admin gets an email
        relay.start()
        worker.start()
        wait_for(
            lambda: worker.check_alive() or smtp.arrived.is_set(),
            timeout=90,
            what="the email task to reach the mail server",
        )
        worker.signal(signal.SIGTERM)

        def shutting_down() -> bool:
            text = worker.stderr_path.read_text()
            return "warm shutdown" in text

        wait_for(shutting_down, timeout=30, what="the worker to begin its warm shutdown")
        assert worker.alive()  # still there: it waits for the task
        smtp.release.set()
        assert worker.wait(60) == 0
        row = runtime.db.rows(
            "SELECT state, email_state FROM notification_outbox WHERE channel = 'email'"
        )
        assert row == [{"state": "done", "email_state": "sent"}]
        assert len(smtp.messages) == 1
    finally:
        smtp.release.set()
        worker.stop()
        relay.stop()
        runtime.close()
        controller.stop()
