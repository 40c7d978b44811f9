"""The follower's two targets (issue 19, target 4), small and back to back: rebuild against the
raw log read, and live lag at a paced command rate. Calls ``bench/suite.py``'s own functions.

    uv run python bench/follower.py --regencies 5 [--roots /tmp/base,.] [--rounds 2]
        [--profile /tmp/prof] [--lag-rate 400 --lag-seconds 15]

Starts its own PostgreSQL and Redis and seeds the regencies once; then, ``--rounds`` times and
for each code root in ``--roots`` (a checkout of another commit, to compare before and after in
the same minute): the raw log read, a rebuild of every read model in a child process (events per
CPU-second of that process and of the rebuild's own second process, the steadier figure on a
shared machine; ``--profile`` writes its cProfile), and, with ``--lag-rate``, the live lag with
that root's projector. The load average is printed with every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import datagen  # noqa: E402
import suite  # noqa: E402

from services.config import load_settings  # noqa: E402

CHILD = """
import cProfile, json, resource, sys, time
sys.path.insert(0, {root!r})
from projections.rebuild import rebuild
from services.config import load_settings
settings = load_settings(env={{}}, data_dir={data!r}, database_url={url!r})
profile = cProfile.Profile() if {profile!r} else None
if profile: profile.enable()
cpu = time.process_time()
import logging
logging.basicConfig(level=logging.INFO, format="%(relativeCreated)8.0f %(name)s %(message)s")
report = rebuild(settings)
cpu = time.process_time() - cpu
kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the rebuild's second process
if profile:
    profile.disable(); profile.dump_stats({profile!r})
print(json.dumps({{"notifications": report.notifications, "seconds": report.seconds,
    "rate": report.rate, "cpu": cpu + kids.ru_utime + kids.ru_stime,
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "second_cpu": kids.ru_utime + kids.ru_stime, "second_rss_mb": kids.ru_maxrss / 1024}}))
"""


PROJECTOR_TRACE = """
# suite.PROJECTOR_CHILD, with its log and every slow step (> 30 ms) written to {path!r}.
import logging, signal, threading, time
from projections.runner import Runner
from services.config import load_settings
logging.basicConfig(filename={path!r}, level=logging.INFO,
    format="%(asctime)s %(threadName)s %(name)s %(message)s")
trace = logging.getLogger("trace")
from datetime import datetime, UTC
from projections.log import Decoder
decoded = []
plain_decode = Decoder.decode
def decode(self, rows, undecodable=None):
    out = plain_decode(self, rows, undecodable)
    decoded.append(out)
    return out
Decoder.decode = decode
delays = []
started = datetime.now(UTC)
def late():
    # when a step returns, every model has applied what it decoded
    now = datetime.now(UTC)
    for envelopes in decoded:
        delays.extend(
            (now - e.event.timestamp).total_seconds() * 1000
            for e in envelopes
            if (e.event.timestamp - started).total_seconds() > 2
        )
    decoded.clear()
step = Runner._step
def timed(self, session):
    began, cpu = time.perf_counter(), time.thread_time()
    n = step(self, session)
    late()
    spent = time.perf_counter() - began
    if spent > 0.03:
        trace.info("step of %d notifications: %.0f ms (%.0f ms CPU of this thread)", n,
            spent * 1000, (time.thread_time() - cpu) * 1000)
    return n
Runner._step = timed
class Wake(threading.Event):
    def wait(self, timeout=None):
        began = time.perf_counter()
        woken = super().wait(timeout)
        if not woken and timeout and timeout > 1:
            trace.info("no wake-up for %.1f s: polled", time.perf_counter() - began)
        return woken
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
runner = Runner(load_settings())
runner._wake = Wake()
import gc
_gc = {{}}
def _gc_time(phase, info):
    if phase == "start":
        _gc["t"] = time.perf_counter()
    elif time.perf_counter() - _gc.get("t", 0) > 0.02:
        trace.info("gc generation %d: %.0f ms", info["generation"],
            (time.perf_counter() - _gc["t"]) * 1000)
gc.callbacks.append(_gc_time)
try:
    runner.run(stop)
finally:
    runner.close()
    delays.sort()
    trace.info("projector CPU %.2f s for %d events applied", time.process_time(), len(delays))
    if delays:
        trace.info("stamp to applied, %d events: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
            len(delays), delays[len(delays) // 2], delays[int(len(delays) * 0.99)], delays[-1])
"""


def _gc_watch() -> None:
    """Prints this process's garbage collections over 20 ms (they stall the lag watcher)."""
    import gc

    began = [0.0]

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        elif time.perf_counter() - began[0] > 0.02:
            spent = (time.perf_counter() - began[0]) * 1000
            print(f"    bench process gc generation {info['generation']}: {spent:.0f} ms")

    gc.callbacks.append(note)


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def run_child(root: Path, code: str, shown: tuple[str, ...]) -> str:
    """Run ``code`` in a fresh interpreter on ``root``'s code; print its log lines that hold one
    of ``shown``; return its last line of output."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-4000:])
    for line in out.stderr.splitlines():
        if any(word in line for word in shown):
            print("   ", line)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def rebuild_in(root: Path, settings: Any, profile: str) -> dict[str, Any]:
    code = CHILD.format(
        root=str(root), data=settings.data_dir, url=settings.database_url, profile=profile
    )
    return json.loads(run_child(root, code, ("rebuild",)))  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--regencies", type=int, default=5)
    parser.add_argument("--per-regency", type=int, default=600)
    parser.add_argument("--roots", default=str(BENCH.parent))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile", default="")
    parser.add_argument("--raw-seconds", type=float, default=20.0)
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--lag-rate", type=float, default=0.0)
    parser.add_argument("--lag-seconds", type=float, default=15.0)
    parser.add_argument("--lag-clients", type=int, default=suite.LAG_CLIENTS)
    parser.add_argument(
        "--url",
        default="",
        help="an existing database (and --redis): seeded on first use, reused afterwards",
    )
    parser.add_argument("--redis", default="")
    parser.add_argument("--trace", default="", help="the projector's log and slow steps: a file")
    args = parser.parse_args()
    roots = [Path(r).resolve() for r in args.roots.split(",")]
    given = contextlib.nullcontext((args.url, args.redis)) if args.url else suite.servers()
    with given as (url, redis_url):
        data_dir = (
            str(Path(tempfile.gettempdir()) / f"sirisma-follow-{url.rsplit('/', 1)[-1]}")
            if args.url
            else tempfile.mkdtemp(prefix="sirisma-follow-")
        )
        settings = load_settings(env={}, data_dir=data_dir, database_url=url, redis_url=redis_url)
        from services.eventstore.store import EventStore
        from services.startup import start_runtime

        store = EventStore(settings)
        saved = Path(data_dir) / "regions.pickle"
        regions: list[datagen.Regency] = []
        if saved.exists() and store.max_notification_id():
            regions = pickle.loads(saved.read_bytes())
        else:
            summary = datagen.generate(store, args.regencies, args.per_regency, keep=regions)
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            saved.write_bytes(pickle.dumps(regions))
            print(f"{summary.events:,} events in {summary.seconds:.0f} s", flush=True)
        store.close()
        start_runtime(settings, background=False).close()
        for n in range(args.rounds):
            for i, root in enumerate(roots):
                if args.no_rebuild:
                    break
                raw, _ = suite.raw_log_read(settings, args.raw_seconds)
                profile = f"{args.profile}.{i}.{n}" if args.profile else ""
                r = rebuild_in(root, settings, profile)
                print(
                    f"round {n} {root}: raw {raw:,.0f}/s, rebuild {r['rate']:,.0f}/s "
                    f"({r['rate'] / raw:.2f}×), {r['notifications'] / r['cpu']:,.0f} events per "
                    f"CPU-s ({r['cpu']:.1f} s CPU in {r['seconds']:.1f} s), "
                    f"RSS {r['maxrss_mb']:.0f} MB, second process {r.get('second_cpu', 0):.1f} "
                    f"s CPU {r.get('second_rss_mb', 0):.0f} MB, load {load()}",
                    flush=True,
                )
        if not args.lag_rate:
            return
        if args.trace:
            _gc_watch()
        writers = suite.prepare_writers(settings, regions[0], args.lag_clients, 4 * 40 + 1)
        for n in range(args.rounds):
            for root in roots:
                suite.ROOT = root  # the projector child runs this root's code
                if args.trace:
                    suite.PROJECTOR_CHILD = PROJECTOR_TRACE.format(path=f"{args.trace}.{n}")
                began = time.process_time()
                lags = suite.live_lag(
                    settings, writers, args.lag_rate, args.lag_seconds, args.lag_clients
                )
                sent_rate, _, sent = lags.pop("_sent")
                stalled = lags.pop("_stalls")
                cpu = time.process_time() - began
                print(
                    f"round {n} {root}: lag at {sent_rate:.0f}/s ({sent:.0f} commands; "
                    f"bench process {cpu:.1f} s CPU), load {load()}",
                    flush=True,
                )
                for name, (p50, p99, missing) in sorted(lags.items()):
                    print(f"  {name:<12} p50 {p50:7.1f} ms p99 {p99:7.1f} ms missed {missing:.0f}")
                for at, length, background in stalled:
                    print(f"  stall at {at:.1f} s: {length:,.0f} ms {', '.join(background)}")


if __name__ == "__main__":
    main()
