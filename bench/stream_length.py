"""Does a command's cost grow with its stream's length? (issue 19, target 5)

    uv run python bench/stream_length.py [--commands 60]

Part of ``bench/run`` (``suite.py`` calls ``measure``).

Starts its own PostgreSQL, grows one innovation's stream to 10, 100 and 1,000 events, and at
each length times the store's part of a command in-process (no HTTP): load the latest version,
claim an indicator, save. Prints p50 per length and the CPU time per command, warm (the state
held in the process's memory, ``services/eventstore/state_cache.py``, plus one query for newer
events) and cold (memory cleared before each load: the nearest stored snapshot and the events
after it, one query).

The commands run in a child interpreter of their own (``--child``), as a server worker holds
only its own state: in ``bench/run``'s process, which holds the national data set and more, a
cold command at 1,000 events once cost 9.31 ms of CPU on average while its p50 stayed at
0.50 ms (docs/benchmarks.md, "Fifteenth session"): the process's other work, not the command.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from suite import Section, ms, pct, target  # noqa: E402

from services.commands import Commands  # noqa: E402
from services.config import load_settings  # noqa: E402
from services.domain.innovation import Innovation  # noqa: E402
from services.domain.rubric import load_rubric  # noqa: E402
from services.eventstore.store import EventStore  # noqa: E402
from tests.factories import World, complete_profile  # noqa: E402
from tests.servers import start_postgres  # noqa: E402

LENGTHS = (10, 100, 1000)
FLAT = 1.3  # "does not grow": CPU per command at 1,000 events at most this many times at 10


def measure(url: str, commands: int = 60) -> Section:
    """Grow one draft per length, then time ``commands`` commands on it warm and cold, in a
    child interpreter (see the module's docstring)."""
    child = subprocess.run(
        [sys.executable, __file__, "--child", url, "--commands", str(commands)],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    if child.returncode != 0:
        raise RuntimeError(f"bench/stream_length.py --child failed:\n{child.stderr[-4000:]}")
    found = json.loads(child.stdout.strip().splitlines()[-1])
    rows = found["rows"]
    cpu_at = {(length, cold): cpu for length, cold, cpu in found["cpu"]}
    return _section(rows, cpu_at, commands)


def timed(url: str, commands: int) -> tuple[list[list[str]], dict[tuple[int, bool], float]]:
    """The table's rows, and CPU ms per command by (length, cold)."""
    store = EventStore(load_settings(env={}, data_dir=tempfile.mkdtemp(), database_url=url))
    try:
        world = World(Commands(store))
        op = world.ctx(world.operator)
        rubric = load_rubric(2025)
        rows, cpu_at = [], {}
        n = 0
        for length in LENGTHS:
            # A fresh draft per length (proposed: 1 event), grown with claims to the length.
            iid = Commands(store).propose(op, call_id=world.call_id, profile=complete_profile(
                f"Inovasi panjang {length}")).id  # fmt: skip
            innovation = store.load(Innovation, iid)
            while innovation.version < length:
                n += 1
                innovation.claim_indicator(op, rubric, no=n % 19 + 1, level=n % 3 + 1)
                store.save(innovation)
            figures = []
            for cold in (False, True):
                timings = []
                cpu = time.process_time()
                for _ in range(commands):
                    n += 1
                    if cold:
                        store.cache.clear()
                    started = time.perf_counter()
                    innovation = store.load(Innovation, iid)
                    innovation.claim_indicator(op, rubric, no=n % 19 + 1, level=n % 3 + 1)
                    store.save(innovation)
                    timings.append((time.perf_counter() - started) * 1000)
                cpu = (time.process_time() - cpu) / commands * 1000
                cpu_at[length, cold] = cpu
                figures += [ms(pct(timings, 50)), ms(cpu)]
            rows.append([f"{length:,} (to {length + 2 * commands:,})", *figures])
    finally:
        store.close()
    return rows, cpu_at


def _section(
    rows: list[list[str]], cpu_at: dict[tuple[int, bool], float], commands: int
) -> Section:
    notes = []
    for cold, label in ((False, "warm"), (True, "cold")):
        grown = cpu_at[LENGTHS[-1], cold] / cpu_at[LENGTHS[0], cold]
        notes.append(
            f"{label}: CPU per command at 1,000 events / at 10: {grown:.2f}× — target ≤ "
            f"{FLAT}×: "
            + target(
                f"a command's cost at 1,000 events in its stream ({label})",
                f"≤ {FLAT}× its cost at 10 events (CPU per command)",
                f"{grown:.2f}× ({ms(cpu_at[LENGTHS[-1], cold])} / {ms(cpu_at[LENGTHS[0], cold])})",
                grown <= FLAT,
            )
        )
    notes.append(
        "warm: the state held in the process's memory (`services/eventstore/state_cache.py`) "
        "plus one query for newer events; cold: that memory cleared before each load, so the "
        "nearest stored snapshot (every 50 versions) and the events after it, one query."
    )
    return Section(
        "A command's cost against its stream's length",
        "Issue 19, target 5. `bench/stream_length.py`: one innovation's stream grown to 10, "
        f"100 and 1,000 events; at each length {commands} commands in-process (no HTTP: load "
        "the latest version, claim an indicator, save), warm and then cold, in a child "
        "interpreter of their own. CPU per command is that process's CPU time over the "
        "commands (PostgreSQL's share not included). "
        f'"Does not grow" is read as: at 1,000 events at most {FLAT}× the cost at 10.',
        [
            "events in the stream",
            "warm: p50",
            "warm: CPU per command",
            "cold: p50",
            "cold: CPU per command",
        ],  # fmt: skip
        rows,
        notes=notes,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=60)
    parser.add_argument("--child", metavar="DATABASE_URL", help="time, print JSON (measure)")
    args = parser.parse_args()
    if args.child:
        rows, cpu_at = timed(args.child, args.commands)
        cpu = [[length, cold, value] for (length, cold), value in cpu_at.items()]
        print(json.dumps({"rows": rows, "cpu": cpu}))
        return 0
    pg = start_postgres()
    try:
        section = measure(pg.create_database("stream_length"), args.commands)
    finally:
        pg.close()
    print(section.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
