"""Does a command's cost grow with its stream's length? (issue 19, target 5)

    uv run python bench/stream_length.py [--commands 30]

Starts its own PostgreSQL, grows one innovation's stream to 10, 100 and 1,000 events, and at
each length times the store's part of a command in-process (no HTTP): load the latest version,
claim an indicator, save. Prints p50 per length and the CPU time per command, warm (the state
held in the process's memory, ``services/eventstore/state_cache.py``, plus one query for newer
events) and cold (memory cleared before each load: the nearest stored snapshot and the events
after it, one query).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.commands import Commands  # noqa: E402
from services.config import load_settings  # noqa: E402
from services.domain.innovation import Innovation  # noqa: E402
from services.domain.rubric import load_rubric  # noqa: E402
from services.eventstore.store import EventStore  # noqa: E402
from tests.factories import World, complete_profile  # noqa: E402
from tests.servers import start_postgres  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commands", type=int, default=30)
    args = parser.parse_args()
    pg = start_postgres()
    try:
        url = pg.create_database("stream_length")
        store = EventStore(load_settings(env={}, data_dir=tempfile.mkdtemp(), database_url=url))
        world = World(Commands(store))
        op = world.ctx(world.operator)
        rubric = load_rubric(2025)
        print("| events in the stream | p50 load + claim + save | CPU per command "
              "| cold: p50 | cold: CPU per command |")  # fmt: skip
        print("|---|---|---|---|---|")
        n = 0
        for length in (10, 100, 1000):
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
                for _ in range(args.commands):
                    n += 1
                    if cold:
                        store.cache.clear()
                    started = time.perf_counter()
                    innovation = store.load(Innovation, iid)
                    innovation.claim_indicator(op, rubric, no=n % 19 + 1, level=n % 3 + 1)
                    store.save(innovation)
                    timings.append((time.perf_counter() - started) * 1000)
                cpu = (time.process_time() - cpu) / args.commands * 1000
                timings.sort()
                figures += [f"{timings[len(timings) // 2]:.2f} ms", f"{cpu:.2f} ms"]
            print(f"| {length:,} (to {length + 2 * args.commands:,}) | "
                  + " | ".join(figures) + " |")  # fmt: skip
        store.close()
    finally:
        pg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
