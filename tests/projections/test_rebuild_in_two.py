"""A long rebuild on PostgreSQL runs in two processes (``innovations`` here, the other models in a
spawned second process): the models it swaps in equal a rebuild in one process row for row, each
at the log's head, and a failure in the second process reaches the caller."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from projections.rebuild import ALONE, APART_NICE, SHADOW, RebuildBusy, _yield_cpu, rebuild
from projections.second_process import SecondProcess, SecondProcessFailed
from projections.sql import WIDE_TABLE_STATISTICS
from projections.target import Target
from services.commands import Commands
from services.config import Settings
from services.db import Database
from services.eventstore.store import EventStore
from tests.factories import World
from tests.projections.conftest import assert_equal_to_rebuild, catch_up
from tests.projections.seed import seed_events
from tests.projections.test_models import scenario


def owners(settings: Settings) -> dict[str, tuple[int, str]]:
    """Each live model's tracking position and the process id in its owner."""
    db = Database(settings)
    try:
        found = db.rows("SELECT name, position, owner FROM projection_tracking")
    finally:
        db.close()
    return {r["name"]: (r["position"], (r["owner"] or "").split(":")[1]) for r in found}


def shadow_tables(settings: Settings) -> list[str]:
    db = Database(settings)
    try:
        rows = db.rows("SELECT tablename FROM pg_tables WHERE tablename LIKE ?", (f"%{SHADOW}",))
    finally:
        db.close()
    return [r["tablename"] for r in rows]


def test_a_rebuild_in_two_processes_equals_one_in_one(postgres_settings: Settings) -> None:
    store = EventStore(postgres_settings)
    try:
        world = World(Commands(store))
        scenario(world)
        seed_events(world, 1_500)
        catch_up(postgres_settings, store)
        head = store.max_notification_id()
        # Small pages and checkpoints: both processes commit several checkpoints.
        report = rebuild(
            postgres_settings, store=store, page_size=200, checkpoint_events=400, parallel_from=0
        )
        assert report.position == head and report.notifications == head
        assert [m.position for m in report.models] == [head] * len(report.models)
        found = owners(postgres_settings)
        assert {m.name for m in report.models} <= set(found)
        assert {found[m.name][0] for m in report.models} == {head}
        here = {found[m.name][1] for m in report.models if m.name in ALONE}
        apart = {found[m.name][1] for m in report.models if m.name not in ALONE}
        assert here == {str(os.getpid())}  # the caller rebuilt innovations itself
        assert len(apart) == 1 and apart != here  # one other process, every other model
        assert shadow_tables(postgres_settings) == []
        # The live tables now hold the two-process rebuild; compare() rebuilds in one process.
        assert_equal_to_rebuild(postgres_settings, store)
        # The live runner agrees: nothing left to apply.
        assert catch_up(postgres_settings, store) == 0
    finally:
        store.close()


def test_a_short_log_is_rebuilt_in_one_process(postgres_settings: Settings) -> None:
    store = EventStore(postgres_settings)
    try:
        scenario(World(Commands(store)))
        report = rebuild(postgres_settings, store=store, parallel_from=10**9)
        found = owners(postgres_settings)
        assert {found[m.name][1] for m in report.models} == {str(os.getpid())}
        # The swapped-in wide tables keep their statistics target (projections/sql.py).
        db = Database(postgres_settings)
        try:
            targets = db.rows(
                "SELECT DISTINCT attrelid::regclass::text AS t, attstattarget AS n "
                "FROM pg_attribute WHERE attrelid IN ('rm_innovations'::regclass, "
                "'rm_catalogue'::regclass, 'rm_innovations_queue_age'::regclass) "
                "AND attnum > 0 AND NOT attisdropped AND attname <> 'id' ORDER BY 1"
            )
        finally:
            db.close()
        assert [(r["t"], r["n"]) for r in targets] == [
            ("rm_catalogue", WIDE_TABLE_STATISTICS),
            ("rm_innovations", WIDE_TABLE_STATISTICS),
            ("rm_innovations_queue_age", WIDE_TABLE_STATISTICS),
        ]
    finally:
        store.close()


def test_a_failure_in_the_second_process_reaches_the_caller(postgres_settings: Settings) -> None:
    """Another rebuild holds ``catalogue``: the second process gives up on it (RebuildBusy),
    this process still rebuilds innovations, then raises the other's error."""
    store = EventStore(postgres_settings)
    holder = Target(postgres_settings).connect()
    try:
        scenario(World(Commands(store)))
        assert holder.try_lock("rebuild:catalogue")
        with pytest.raises(RebuildBusy):
            rebuild(postgres_settings, store=store, parallel_from=0, lock_timeout=0.5)
        found = owners(postgres_settings)
        assert found["innovations"] == (store.max_notification_id(), str(os.getpid()))
        assert "catalogue" not in found
    finally:
        holder.close()
        store.close()


# --- the second process itself --------------------------------------------------------------------


def add(a: int, b: int) -> int:
    return a + b


def refuse(why: str) -> None:
    raise RebuildBusy(why)


class Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("no pickling")


def raise_unpicklable() -> None:
    raise Unpicklable("gone")


def die() -> None:
    os._exit(3)


def test_the_second_process_returns_its_answer_or_raises_its_error() -> None:
    assert SecondProcess(add, {"a": 2, "b": 3}).result() == 5
    with pytest.raises(RebuildBusy, match="sibuk"):
        SecondProcess(refuse, {"why": "sibuk"}).result()
    with pytest.raises(SecondProcessFailed, match="gone"):
        SecondProcess(raise_unpicklable, {}).result()
    with pytest.raises(SecondProcessFailed, match="exit code 3"):
        SecondProcess(die, {}).result()


def test_the_second_process_yields_the_cpu_to_the_caller() -> None:
    """The models rebuilt apart finish first: their process runs at a lower priority, the
    caller's is left as it was."""
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert SecondProcess(_yield_cpu, {}).result() == min(mine + APART_NICE, 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine


def sleep_long(seconds: float) -> None:
    import time

    time.sleep(seconds)


def test_the_second_process_dies_with_its_parent(tmp_path: Any) -> None:
    """A caller killed outright (SIGKILL) leaves no orphan still folding and holding locks."""
    import signal
    import subprocess
    import sys
    import time

    code = (
        "import sys, time\n"
        "from projections.second_process import SecondProcess\n"
        "from tests.projections.test_rebuild_in_two import sleep_long\n"
        "helper = SecondProcess(sleep_long, {'seconds': 120})\n"
        "print(helper._process.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # alive
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(child):
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_a_script_without_a_main_guard_is_not_run_again_by_its_second_process(
    tmp_path: Path,
) -> None:
    """The child is a fresh ``python -c``, not multiprocessing's spawn, which imports the main
    script again: there this script would start a second helper from inside the first."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "from projections.second_process import SecondProcess\n"
        "from tests.projections.test_rebuild_in_two import chatty\n"
        "print('answer', SecondProcess(chatty, {}).result())\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root}
    out = subprocess.run(
        [sys.executable, str(script)], cwd=root, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    # The child's own print reaches stdout; its answer comes over its pipe, ungarbled.
    assert out.stdout.splitlines() == ["noise", "answer 7"]


def chatty() -> int:
    print("noise", flush=True)
    return 7
