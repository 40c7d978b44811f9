"""The `sirisma` command as a user runs it: a real process, a real port, a temporary data folder.

`serve --demo` (the README's run command) must come up with the demo data and shut down cleanly
on SIGTERM; `demo` seeds once and never twice; `config` shows every setting but no secret.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from services.config import documented_settings, load_settings
from services.eventstore.store import EventStore

SIRISMA = str(Path(sys.executable).parent / "sirisma")  # the installed console script
READY_WITHIN = 60.0  # seconds: seeding the demo and starting the server


def clean_env(**values: str) -> dict[str, str]:
    """The test process's environment without any SIRISMA_* setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIRISMA_")}
    env.update(values)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SIRISMA, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def events_in(data_dir: Path) -> int:
    store = EventStore(load_settings(env={"SIRISMA_DATA_DIR": str(data_dir)}))
    try:
        return store.max_notification_id()
    finally:
        store.close()


@pytest.mark.slow
def test_serve_demo_starts_answers_ready_with_demo_data_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(
        [SIRISMA, "serve", "--demo", "--port", str(port)],
        env=clean_env(SIRISMA_DATA_DIR=str(tmp_path / "data")),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + READY_WITHIN
        ready = None
        with httpx.Client(base_url=base, timeout=5) as client:
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    ready = client.get("/health/ready")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.25)
            assert process.poll() is None, f"server exited early:\n{_read(log)}"
            assert ready is not None and ready.status_code == 200, _read(log)
            assert ready.json()["checks"]["event_store"] == "ok"
            assert client.get("/health/live").json() == {"status": "ok"}

            login = client.post(
                "/api/auth/login", json={"username": "admin", "password": "admin-demo-2025"}
            )
            assert login.status_code == 200, login.text
            token = login.json()["token"]
            me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text
            assert me.json()["role"] == "admin"
        with httpx.Client(base_url=base, timeout=5) as stranger:  # no session cookie
            wrong = stranger.post(
                "/api/auth/login", json={"username": "admin", "password": "bukan-ini"}
            )
            assert wrong.status_code == 401

        process.send_signal(signal.SIGTERM)
        # uvicorn finishes in-flight requests, runs the shutdown hooks (closing the store), then
        # re-raises SIGTERM to exit as "terminated by SIGTERM", the convention supervisors expect.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM), _read(log)
        assert "Application shutdown complete" in _read(log)
    finally:
        if process.poll() is None:  # only on failure: never leave a server behind
            process.kill()
            process.wait(timeout=10)
        log.close()
    assert events_in(tmp_path / "data") > 100  # the demo regency was seeded into the folder


def _read(log: object) -> str:
    log.seek(0)  # type: ignore[attr-defined]
    return log.read()[-4000:]  # type: ignore[attr-defined]


def monev_reports_in(data_dir: Path) -> int:
    from services.domain.events import MonevReportRecorded

    store = EventStore(load_settings(env={"SIRISMA_DATA_DIR": str(data_dir)}))
    try:
        return len(store.notifications(1, 100_000, topics=[MonevReportRecorded.TOPIC]))
    finally:
        store.close()


def care_files_in(data_dir: Path) -> dict[str, int]:
    from services.domain import events as ev

    topics = [
        ev.MonevPhotoAttached.TOPIC,
        ev.MonevVisitRescheduled.TOPIC,
        ev.MentoringAttachmentAdded.TOPIC,
        ev.MonevVisitCancelled.TOPIC,
    ]
    store = EventStore(load_settings(env={"SIRISMA_DATA_DIR": str(data_dir)}))
    try:
        return {t: len(store.notifications(1, 100_000, topics=[t])) for t in sorted(topics)}
    finally:
        store.close()


@pytest.mark.slow
def test_demo_seeds_once_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    env = clean_env(SIRISMA_DATA_DIR=str(tmp_path / "data"))
    first = run(["demo"], env)
    assert first.returncode == 0, first.stderr
    assert "Data demo terisi: 50 organisasi" in first.stdout
    seeded = events_in(tmp_path / "data")
    assert seeded > 100
    assert monev_reports_in(tmp_path / "data") >= 4  # established innovations were evaluated
    assert care_files_in(tmp_path / "data") == {
        "monev.MonevPhotoAttached": 8,  # two photos on the newest report of four innovations
        "monev.MonevVisitRescheduled": 1,
        "monev.MonevVisitCancelled": 1,
        "mentoring.MentoringAttachmentAdded": 2,  # an invitation and a photo of one session
    }

    second = run(["demo"], env)
    assert second.returncode == 0, second.stderr
    assert "tidak ada yang diisi" in second.stdout
    assert events_in(tmp_path / "data") == seeded


def test_config_lists_every_setting_without_secrets(tmp_path: Path) -> None:
    env = clean_env(
        SIRISMA_DATA_DIR=str(tmp_path),
        SIRISMA_SECRET_KEY="kunci-produksi-yang-rahasia-123",
        SIRISMA_SMTP_PASSWORD="sandi-surel-rahasia",
        SIRISMA_DATABASE_URL="postgresql://sirisma:sandi-basis-data@db:5432/sirisma",
        SIRISMA_PORT="9123",
    )
    result = run(["config"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [v for v, _ in documented_settings()]
    assert "SIRISMA_PORT=9123  (default: 8000)" in lines
    assert "SIRISMA_DATABASE_URL=postgresql://sirisma:***@db:5432/sirisma  (default: )" in lines
    assert any(line.startswith("SIRISMA_SECRET_KEY=***") for line in lines)
    for secret in ("kunci-produksi-yang-rahasia-123", "sandi-surel-rahasia", "sandi-basis-data"):
        assert secret not in result.stdout + result.stderr
    assert "dev-only" not in result.stdout  # not even the development default key


def test_a_malformed_setting_is_one_plain_error_naming_it(tmp_path: Path) -> None:
    result = run(["config"], clean_env(SIRISMA_DATA_DIR=str(tmp_path), SIRISMA_PORT="80a"))
    assert result.returncode == 1
    assert "SIRISMA_PORT='80a'" in result.stderr
    assert "Traceback" not in result.stderr
