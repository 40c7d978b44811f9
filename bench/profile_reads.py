"""CPU per request of the read routes in-process (issue 19, target 2), no HTTP server.

    uv run python bench/profile_reads.py --database-url URL [--requests 300] [--profile board]

On a database ``bench/datagen.py`` filled (read models built: ``bench/read_routes.py`` rebuilds
them, or run ``sirisma rebuild``), builds SI-RISMA's app in this process and sends each route of
``bench/read_routes.py`` requests one at a time through its ASGI interface. Per request it
reports this process's CPU (``time.process_time``: the app, its middleware, its driver) and the
PostgreSQL server's (its processes' user + system time from ``/proc``), free of the load other
processes put on the machine, and the round trips per request. ``--profile`` prints a cProfile
of one route's requests (handlers run in the calling thread).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import profile_inproc as inproc  # noqa: E402
import read_routes  # noqa: E402

from services.config import load_settings  # noqa: E402

SHORT = {
    "status board (operator)": "board",
    "review queue (reviewer)": "queue",
    "search `q=stunting` (admin, every innovation)": "stunting",
    "search `q=layanan desa` (admin, every innovation)": "layanan",
    "search `q=desa` (admin, every innovation)": "desa",
    "public catalogue `q=layanan desa` (anyone, ranked)": "pub-layanan",
    "public catalogue `q=desa` (anyone, ranked)": "pub-desa",
    "public catalogue (anyone, latest first)": "pub-latest",
}


def _pg_cpu(settings: Any) -> float:
    """CPU seconds the PostgreSQL server's processes have used (those alive now)."""
    pids = read_routes._database_pids(settings)
    return sum(read_routes._cpu_seconds(pids).values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--redis-url",
        default="",
        help="a broker, so the app runs no embedded notification runner (its catch-up of a "
        "datagen log would be counted in this process's CPU)",
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", choices=[*SHORT.values(), "live", "me"], default=None)
    parser.add_argument("--only", default="", help="comma-separated short names")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--trips", action="store_true", help="also count round trips")
    parser.add_argument(
        "--misses", action="store_true", help="keep no answers (every request reads afresh)"
    )
    args = parser.parse_args()
    if args.misses:
        from services.reads import answers

        answers.MAX_ENTRIES = 0
    settings = load_settings(
        env={},
        data_dir=tempfile.mkdtemp(prefix="sirisma-reads-"),
        database_url=args.database_url,
        redis_url=args.redis_url,
    )
    from services.app import create_app

    app = create_app(settings)
    inproc.LOOP.run_until_complete(inproc._start(app))
    if args.profile:
        inproc.LOOP.set_default_executor(inproc.InlineExecutor())
    only = {s for s in args.only.split(",") if s}
    n = args.requests
    print("| route | app CPU µs | PostgreSQL CPU µs | total µs | round trips |")
    print("|---|---|---|---|---|")
    todo = [(SHORT[r.label], r.path, r.token) for r in read_routes.routes(settings)]
    todo[:0] = [
        ("live", "/health/live", None),
        ("me", "/api/me", todo[0][2]),  # authentication alone, no read-model query
    ]
    for name, path, token in todo:
        if only and name not in only:
            continue
        headers = {"Authorization": f"Bearer {token}"} if token else {}

        def make(i: int, path: str = path, headers: dict[str, str] = headers) -> Any:
            return ("GET", path, headers, b"")

        pg_before = _pg_cpu(settings)
        wall = time.perf_counter()
        app_us = inproc.measure(app, make, n, args.profile == name, args.top)
        pg_us = (_pg_cpu(settings) - pg_before) / (n + max(n // 4, 5)) * 1e6
        trips = inproc.round_trips(settings, make, 20) if args.trips else float("nan")
        print(
            f"| {name} | {app_us:,.0f} | {pg_us:,.0f} | {app_us + pg_us:,.0f} | {trips:.1f} |"
            f"  ({time.perf_counter() - wall:.1f} s)",
            flush=True,
        )
    print(f"- load average: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
