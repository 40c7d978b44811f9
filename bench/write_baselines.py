"""The write path against its yardsticks, in one short run (issue 19): ``bench/run-write``.

    uv run python bench/write_baselines.py [--seconds 5] [--out FILE]

Starts its own PostgreSQL and Redis, seeds one small regency (``bench/datagen.py``), then with
the same uvicorn settings (2 workers, loopback, ``wrk``, 8 clients) measures:

* SI-RISMA's ``PUT /api/innovations/{id}/indicators/{no}`` (the indicator claim);
* the floor route and the plain-library route (``bench/baseline_apps.py``);
* ``/health/live`` of SI-RISMA and of a bare Litestar app.

For each: requests/s, CPU per request (the workers' user + system time over the requests) and
database round trips per request (``tests/roundtrips.py`` between the server and PostgreSQL,
one worker, requests one at a time after a warm-up). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import datagen  # noqa: E402
import msgspec  # noqa: E402
import suite  # noqa: E402

from services.config import Settings, load_settings  # noqa: E402

WRK_PUT = """
local n = 0
function request()
  n = n + 1
  return wrk.format("PUT", "%(path)s" .. n, {["Content-Type"] = "application/json"}, "{}")
end
"""
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def load(
    server: suite.Server, path: str, seconds: float, script: str | None
) -> tuple[float, float]:
    """requests/s and CPU µs per request at 8 clients."""
    pids = server.workers()
    before = cpu_seconds(pids)
    res = suite.wrk(server.base + path, seconds, 8, 8, script=script)
    used = cpu_seconds(pids) - before
    time.sleep(1.0)
    if res.errors:
        print(f"  {path}: {res.errors} errors of {res.requests} requests", flush=True)
    return res.rps, used / max(res.requests, 1) * 1e6


def put(base: str, path: str, body: bytes, token: str = "") -> None:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=body, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def round_trips(settings: Settings, app: str, env: dict[str, str], send: Any, n: int = 40) -> float:
    """Round trips per request: one worker, small pools, requests one at a time."""
    from tests.roundtrips import RoundTripProxy

    with RoundTripProxy(settings.database_url) as proxy:
        proxied = msgspec.structs.replace(settings, database_url=proxy.url)
        extra = {**env, "SIRISMA_POOL_SIZE": "2"}
        if "BENCH_DATABASE_URL" in extra:
            extra["BENCH_DATABASE_URL"] = proxy.url
        ready = "/health/ready" if app.startswith("services.") else "/health/live"
        server = suite.Server(proxied, 1, app=app, env=extra, ready=ready)
        try:
            for i in range(n):  # warm-up: connections opened, statements prepared
                send(server.base, i)
            proxy.reset()
            for i in range(n, 2 * n):
                send(server.base, i)
            return proxy.reset() / n
        finally:
            server.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="sirisma-bench-write-")
    rows: list[list[str]] = []
    with suite.servers() as (url, redis_url):
        settings = load_settings(env={}, data_dir=data_dir, database_url=url, redis_url=redis_url)
        from services.eventstore.store import EventStore
        from services.startup import start_runtime

        store = EventStore(settings)
        regions: list[datagen.Regency] = []
        datagen.generate(store, 1, 40, keep=regions)
        store.close()
        start_runtime(settings, background=False).close()  # read-side tables, sessions
        suite.raw_baseline(url, 1, 0.2, b"{}")  # creates bench_raw_events / bench_raw_chain
        writers = suite.prepare_writers(settings, regions[0], 8, 4 * suite.PARTS + 1)
        for w in writers:
            w.token = suite.issue_token(settings, w.account_id)
        spec = ", ".join(
            '{"' + w.token + '", {' + ", ".join(f'"{i}"' for i in w.part(0)) + "}}" for w in writers
        )
        base_env = {"BENCH_DATABASE_URL": url}
        sirisma = suite.Server(settings, 2)
        baseline = suite.Server(
            settings, 2, app="bench.baseline_apps:create_app", env=base_env, ready="/health/live"
        )
        try:
            s = args.seconds
            put_rps, put_cpu = load(sirisma, "/", s, suite.WRK_WRITE % {"specs": spec})
            floor_rps, floor_cpu = load(baseline, "/", s, WRK_PUT % {"path": "/floor/"})
            plain_rps, plain_cpu = load(baseline, "/", s, WRK_PUT % {"path": "/plain/"})
            live_rps, live_cpu = load(sirisma, "/health/live", s, None)
            bare_rps, bare_cpu = load(baseline, "/health/live", s, None)
        finally:
            sirisma.close()
            baseline.close()
        w = writers[0]
        drafts = w.part(1)

        def claim(base: str, i: int) -> None:
            body = json.dumps({"level": i % 3 + 1, "note": "klaim uji beban"}).encode()
            put(base, f"/api/innovations/{drafts[i % len(drafts)]}/indicators/{i % 19 + 1}", body,
                w.token)  # fmt: skip

        put_rt = round_trips(settings, "services.app:create_app", {}, claim)
        floor_rt = round_trips(
            settings,
            "bench.baseline_apps:create_app",
            base_env,
            lambda base, i: put(base, f"/floor/{i}", b"{}"),
        )
        plain_rt = round_trips(
            settings,
            "bench.baseline_apps:create_app",
            base_env,
            lambda base, i: put(base, f"/plain/{i}", b"{}"),
        )
    rows = [
        ["SI-RISMA `PUT …/indicators/{no}`", f"{put_rps:,.0f}", f"{put_cpu:,.0f}", f"{put_rt:.1f}"],
        ["floor route (2 INSERTs + COMMIT, psycopg pool)", f"{floor_rps:,.0f}", f"{floor_cpu:,.0f}",
         f"{floor_rt:.1f}"],
        ["plain-library route (`Application.save`)", f"{plain_rps:,.0f}", f"{plain_cpu:,.0f}",
         f"{plain_rt:.1f}"],
        ["SI-RISMA `/health/live`", f"{live_rps:,.0f}", f"{live_cpu:,.0f}", "0"],
        ["bare Litestar `/health/live`", f"{bare_rps:,.0f}", f"{bare_cpu:,.0f}", "0"],
    ]  # fmt: skip
    print("| route (8 clients) | req/s | CPU µs/request | DB round trips/request |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print(f"- PUT / floor route: {put_rps / floor_rps:.2f}× (target ≥ 0.50)")
    print(f"- PUT / plain-library route: {put_rps / plain_rps:.2f}× (target ≥ 1.0)")
    print(f"- PUT CPU / floor CPU: {put_cpu / floor_cpu:.1f}× (target ≤ 3)")
    print(f"- PUT round trips: {put_rt:.1f} (target ≤ 5)")
    print(f"- /health/live CPU / bare Litestar: {live_cpu / bare_cpu:.1f}× (target ≤ 2)")
    print(f"- load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
