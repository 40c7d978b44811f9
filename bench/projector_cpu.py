"""The live projector's cost per event and round trips per step, before/after (issue 19, target
4: the live lag at the highest write rate is bound by the projector's CPU and its waits for the
server).

    uv run python bench/projector_cpu.py [--roots /tmp/base,.] [--rounds 3] [--commands 3000]
        [--batch 16] [--profile /tmp/prof]

Starts its own PostgreSQL and Redis and seeds one regency. Every code root gets its own read
models (a PostgreSQL schema), caught up once. Then, each round: the bench's live command mix
(``claim_indicator`` by eight operators, as ``bench/suite.py``'s live lag sends it) is written
with no projector running, and each root's runner applies it in a child process in pages of
``--batch`` notifications (the size of a live step at ~1,600 commands/s), as a live runner
would. Printed per root: the child's CPU per event, its PostgreSQL backend's CPU per event, and
(through ``tests/roundtrips.RoundTripProxy`` in this process) round trips per step.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import datagen  # noqa: E402
import suite  # noqa: E402
from follower import load, run_child  # noqa: E402

from services.config import load_settings  # noqa: E402
from tests.roundtrips import RoundTripProxy  # noqa: E402

CHILD = """
import cProfile, json, sys, time
sys.path.insert(0, {root!r})
from projections import target as target_module
from projections.runner import Runner
from services.config import load_settings
settings = load_settings(env={{}}, data_dir={data!r}, database_url={url!r})
backend = {{}}
def ticks(pid):
    fields = open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100
plain_connect, plain_close = target_module.Target.connect, target_module.Session.close
def connect(self):
    session = plain_connect(self)
    pid = session.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    backend.update(pid=pid, began=ticks(pid))
    return session
def close(self):
    if "pid" in backend:
        backend["cpu"] = backend.get("cpu", 0) + ticks(backend.pop("pid")) - backend["began"]
    plain_close(self)
target_module.Target.connect, target_module.Session.close = connect, close
steps = []
runner = Runner(settings, schema={schema!r}, batch_size={batch}, max_batch={batch},
    on_batch=lambda name, last: steps.append(last))
if {timed}:
    profile = cProfile.Profile(time.process_time) if {profile!r} else None
    if profile: profile.enable()
    cpu = time.process_time()
n = runner.catch_up(timeout=120)
if {timed}:
    cpu = time.process_time() - cpu
    if profile:
        profile.disable(); profile.dump_stats({profile!r})
    print(json.dumps({{"events": n, "cpu": cpu, "backend": backend.get("cpu", 0),
        "steps": len(set(steps))}}))
runner.close()
"""


def child(
    root: Path, settings: Any, url: str, schema: str, batch: int, timed: bool, profile: str = ""
) -> dict[str, Any]:
    code = CHILD.format(
        root=str(root),
        data=settings.data_dir,
        url=url,
        schema=schema,
        batch=batch,
        timed=timed,
        profile=profile,
    )
    last = run_child(root, code, ("one by one", "Error"))
    return json.loads(last) if timed else {}


def write(settings: Any, writers: list[Any], commands: int, offset: int) -> None:
    """``commands`` claims by the writers' threads, as fast as they go (no projector running)."""
    from services.commands import Commands
    from services.domain.actor import Actor, Role
    from services.domain.aggregate import Context
    from services.eventstore.store import EventStore

    store = EventStore(settings)
    cmd = Commands(store)
    per = commands // len(writers)

    def client(i: int) -> None:
        w = writers[i]
        actor = Actor(w.account_id, Role.OPERATOR, w.organisation_id)
        drafts = w.part(3)
        for k in range(offset, offset + per):
            cmd.claim_indicator(
                Context(actor=actor, correlation_id="bench-lag"),
                drafts[k % len(drafts)],
                no=k % 20 + 1,
                level=k % 3 + 1,
            )

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(writers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--roots", default=str(BENCH.parent))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commands", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--per-regency", type=int, default=300)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    roots = [Path(r).resolve() for r in args.roots.split(",")]
    with suite.servers() as (url, redis_url):
        data_dir = tempfile.mkdtemp(prefix="sirisma-projcpu-")
        settings = load_settings(env={}, data_dir=data_dir, database_url=url, redis_url=redis_url)
        from services.eventstore.store import EventStore
        from services.startup import start_runtime

        store = EventStore(settings)
        regions: list[datagen.Regency] = []
        summary = datagen.generate(store, 1, args.per_regency, keep=regions)
        store.close()
        print(f"{summary.events:,} events in {summary.seconds:.0f} s", flush=True)
        start_runtime(settings, background=False).close()
        writers = suite.prepare_writers(settings, regions[0], suite.LAG_CLIENTS, 4 * 40 + 1)
        for i, root in enumerate(roots):
            child(root, settings, url, f"cpu{i}", 2000, False)
        for n in range(args.rounds):
            write(settings, writers, args.commands, n * args.commands)
            for i, root in enumerate(roots):
                profile = f"{args.profile}.{i}.{n}" if args.profile else ""
                with RoundTripProxy(url) as proxy:
                    r = child(root, settings, proxy.url, f"cpu{i}", args.batch, True, profile)
                    turns = proxy.reset()
                    child(root, settings, proxy.url, f"cpu{i}", args.batch, True)
                    turns -= proxy.reset()  # connecting, locks, shape checks: not per step
                events = max(r["events"], 1)
                print(
                    f"round {n} {root}: {r['events']} events, {r['steps']} steps; "
                    f"projector {r['cpu'] / events * 1e6:.0f} µs CPU/event, backend "
                    f"{r['backend'] / events * 1e6:.0f} µs/event, "
                    f"{turns / max(r['steps'], 1):.2f} round trips/step, load {load()}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
