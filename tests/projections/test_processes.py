"""Runner processes on one PostgreSQL database: crashes (SIGKILL) at random points during a
rebuild and during catch-up lose and double nothing; of two runners exactly one applies, and when
it dies the other takes over."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from projections.rebuild import SHADOW
from services.commands import Commands
from services.config import Settings
from services.db import Database
from services.eventstore.store import EventStore
from tests.factories import World
from tests.projections.conftest import assert_equal_to_rebuild
from tests.projections.seed import seed_events

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("directory", "innovations", "catalogue", "compliance")


def env_for(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "SIRISMA_DATABASE_URL": settings.database_url,
        "SIRISMA_DATA_DIR": settings.data_dir,
        "PYTHONUNBUFFERED": "1",
    }


def spawn(settings: Settings, args: list[str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - the child owns it; closed when the test ends
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env_for(settings), stdout=out, stderr=out
    )


def tracking(db: Database) -> dict[str, dict[str, Any]]:
    try:
        return {r["name"]: r for r in db.rows("SELECT * FROM projection_tracking")}
    except Exception:  # not created yet
        return {}


def wait_until(predicate: Any, timeout: float, what: str, log: Path | None = None) -> None:
    """Poll ``predicate``; on a timeout, say what the children logged (CI keeps no tmp dir)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    told = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{told}")


def live_position(db: Database) -> int:
    found = tracking(db)
    return min(found.get(n, {}).get("position", 0) for n in MODELS)


def shadow_position(db: Database) -> int:
    return max((r["position"] for n, r in tracking(db).items() if n.endswith(SHADOW)), default=0)


def advanced(
    db: Database, process: subprocess.Popen[bytes], position: Any, head: int | None = None
) -> Any:
    """True once ``process`` has committed work of its own, has ended, or has nothing left to
    do (a previous runner already reached ``head``: a fast machine catches up between kills)."""
    start = position(db)

    def check() -> bool:
        now = position(db)
        return now > start or (head is not None and now >= head) or process.poll() is not None

    return check


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


@pytest.mark.slow
def test_sigkill_during_catch_up_and_rebuild_of_50000_events(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    rng = random.Random(2025)
    store = EventStore(postgres_settings)
    db = Database(postgres_settings)
    log = tmp_path / "processes.log"
    try:
        seeded = seed_events(World(Commands(store)), 50_000, random.Random(11))
        head = store.max_notification_id()
        assert seeded.events >= 50_000

        # 1. The live runner, killed at random points while it catches up from zero (small
        # pages, so that catching up outlasts at least the first kill).
        behind = 0
        for _ in range(3):
            runner = spawn(
                postgres_settings, ["-m", "services.cli", "project", "--batch", "100"], log
            )
            wait_until(
                advanced(db, runner, live_position, head),
                120,
                "the runner to commit a batch",
                log,
            )
            time.sleep(rng.uniform(0.0, 1.5))
            kill(runner)
            behind += live_position(db) < head
        assert behind >= 1  # at least one kill landed mid-way
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "project", "--once"],
            cwd=ROOT,
            env=env_for(postgres_settings),
            capture_output=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        assert all(tracking(db)[n]["position"] == head for n in MODELS)
        assert_equal_to_rebuild(postgres_settings, store)

        # 2. A rebuild, killed at random points after it has committed a checkpoint.
        kills = 0
        for _ in range(4):
            rebuilding = spawn(
                postgres_settings,
                ["-m", "services.cli", "rebuild", "--checkpoint", "4000", "--quiet"],
                log,
            )
            wait_until(advanced(db, rebuilding, shadow_position), 120, "a rebuild checkpoint", log)
            time.sleep(rng.uniform(0.0, 0.8))
            if rebuilding.poll() is None:
                kills += 1
            kill(rebuilding)
        assert kills >= 1
        final = subprocess.run(
            [sys.executable, "-m", "services.cli", "rebuild", "--quiet"],
            cwd=ROOT,
            env=env_for(postgres_settings),
            capture_output=True,
            timeout=600,
        )
        assert final.returncode == 0, final.stderr.decode()[-2000:]
        rows = tracking(db)
        assert not [n for n in rows if n.endswith(SHADOW)]  # every shadow swapped in
        assert all(rows[n]["position"] == head for n in MODELS)
        assert_equal_to_rebuild(postgres_settings, store)
    finally:
        db.close()
        store.close()


def test_two_runner_processes_one_applies_the_other_takes_over(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    store = EventStore(postgres_settings)
    db = Database(postgres_settings)
    log = tmp_path / "runners.log"
    world = World(Commands(store))
    names = (*MODELS, "ledger")

    def caught_up_by(owner: str) -> bool:
        rows = tracking(db)
        head = store.max_notification_id()
        return all(
            n in rows and rows[n]["position"] == head and rows[n]["owner"] == owner for n in names
        )

    a = spawn(postgres_settings, ["-m", "tests.projections.runner_proc", "A"], log)
    b: subprocess.Popen[bytes] | None = None
    try:
        wait_until(lambda: caught_up_by("A"), 60, "runner A to apply the log", log)
        b = spawn(postgres_settings, ["-m", "tests.projections.runner_proc", "B"], log)
        wait_until(lambda: "B started" in log.read_text(), 60, "runner B to start", log)
        for n in range(8):  # work arrives while both run
            iid = world.complete_draft(f"Dua Pelaksana {n}")
            world.commands.submit(world.ctx(world.operator), iid)
            time.sleep(0.05)
        wait_until(lambda: caught_up_by("A"), 60, "runner A to apply the new events", log)
        assert b.poll() is None  # B is alive, waiting
        ledger = db.rows("SELECT notification_id, runner FROM test_ledger")
        assert {r["runner"] for r in ledger} == {"A"}

        kill(a)  # A crashes; B must take over
        for n in range(8):
            iid = world.complete_draft(f"Setelah A Mati {n}")
            world.commands.submit(world.ctx(world.operator), iid)
        wait_until(lambda: caught_up_by("B"), 60, "runner B to take over", log)

        ledger = db.rows("SELECT notification_id, runner FROM test_ledger")
        counts = Counter(r["notification_id"] for r in ledger)
        assert [nid for nid, k in counts.items() if k > 1] == []  # nothing applied twice
        all_ids = {
            r["notification_id"] for r in db.rows("SELECT notification_id FROM sirisma_events")
        }
        assert set(counts) == all_ids  # nothing lost
        by_runner = Counter(r["runner"] for r in ledger)
        assert by_runner["A"] > 0 and by_runner["B"] > 0
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=30) == 0
        assert_equal_to_rebuild(postgres_settings, store)
    finally:
        kill(a)
        if b is not None:
            kill(b)
        db.close()
        store.close()
