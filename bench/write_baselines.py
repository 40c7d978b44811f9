"""The write path against its yardsticks (issue 19, targets 1 and 3).

Part of ``bench/run`` (``suite.py`` calls ``measure``); also runs alone, in about four minutes:

    uv run python bench/write_baselines.py [--seconds 5]

Alone it starts its own PostgreSQL and Redis and seeds one small regency (``bench/datagen.py``),
then with the same uvicorn settings (2 workers, loopback, ``wrk``, 8 clients) measures:

* SI-RISMA's ``PUT /api/innovations/{id}/indicators/{no}`` (the indicator claim);
* the floor route and the plain-library route (``bench/baseline_apps.py``);
* ``/health/live`` of SI-RISMA and of a bare Litestar app.

The three write routes take turns in rounds after a warm-up each (``rounds``), so that their
ratios compare the same moments of the machine's load. For each: requests/s, CPU per request
(the workers' user + system time over the requests) and database round trips per request
(``tests/roundtrips.py`` between the server and PostgreSQL, one worker, requests one at a time
after a warm-up). Alone, prints the Markdown section.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

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
    requests, elapsed, used = run(server, path, seconds, script)
    return requests / elapsed, used / max(requests, 1) * 1e6


def run(
    server: suite.Server, path: str, seconds: float, script: str | None
) -> tuple[int, float, float]:
    """One ``wrk`` run at 8 clients: (requests, seconds it took, the workers' CPU seconds)."""
    pids = server.workers()
    before = cpu_seconds(pids)
    res = suite.wrk(server.base + path, seconds, 8, 8, script=script)
    used = cpu_seconds(pids) - before
    time.sleep(1.0)
    if res.errors:
        print(f"  {path}: {res.errors} errors of {res.requests} requests", flush=True)
    return res.requests, res.requests / res.rps if res.rps else seconds, used


WARM_SECONDS = 2.0  # each write route driven unmeasured first: caches filled, statements prepared
ROUNDS = 3


def turn_seconds(seconds: float) -> int:
    """A write route's turn in a round (``wrk`` runs whole seconds)."""
    return max(round(seconds / ROUNDS), 3)


class Turns(NamedTuple):
    """One write route over its turns: the totals, and each turn's requests/s."""

    rps: float
    cpu_us: float
    per_turn: tuple[float, ...]


def rounds(routes: list[tuple[suite.Server, str | None]], seconds: float) -> list[Turns]:
    """Each write route over ``ROUNDS`` turns of about ``seconds / ROUNDS`` each, after a
    warm-up: requests/s and CPU µs per request over all its turns, and each turn's requests/s.
    The routes take turns, each round starting one further along, so a drift in the machine's
    load (other processes, PostgreSQL's own background work) falls on all of them alike instead
    of on whichever ran last."""
    for server, script in routes:
        run(server, "/", WARM_SECONDS, script)
    each = turn_seconds(seconds)
    totals = [[0, 0.0, 0.0] for _ in routes]
    per_turn: list[list[float]] = [[] for _ in routes]
    for r in range(ROUNDS):
        for k in range(len(routes)):
            i = (r + k) % len(routes)
            server, script = routes[i]
            requests, elapsed, used = run(server, "/", each, script)
            totals[i][0] += requests
            totals[i][1] += elapsed
            totals[i][2] += used
            per_turn[i].append(requests / elapsed)
    return [
        Turns(n / t, cpu / max(n, 1) * 1e6, tuple(turns))
        for (n, t, cpu), turns in zip(totals, per_turn, strict=True)
    ]


def round_ratios(route: Turns, baseline: Turns) -> str:
    """The route's requests/s against the baseline's round by round (their turns in one round
    ran seconds apart): how far a single verdict could move with the machine's load."""
    ratios = [a / b for a, b in zip(route.per_turn, baseline.per_turn, strict=True) if b]
    return ", ".join(f"{x:.2f}×" for x in ratios)


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


TARGET_FLOOR = 0.50  # the claim's requests/s against the floor route's
TARGET_PLAIN = 1.0  # … against the plain-library route's
TARGET_CPU = 3.0  # the claim's CPU per request at most this many times the floor's
TARGET_TRIPS = 5.0
TARGET_LIVE_CPU = 2.0  # /health/live CPU at most this many times a bare Litestar route's


@contextlib.contextmanager
def seeded(prefix: str, organisations: int) -> Iterator[tuple[Settings, datagen.Regency]]:
    """Throwaway PostgreSQL and Redis with one small regency seeded (read-side tables and
    sessions created): what the write benchmarks run against when run alone."""
    data_dir = tempfile.mkdtemp(prefix=prefix)
    with suite.servers() as (url, redis_url):
        settings = load_settings(env={}, data_dir=data_dir, database_url=url, redis_url=redis_url)
        from services.eventstore.store import EventStore
        from services.startup import start_runtime

        store = EventStore(settings)
        regions: list[datagen.Regency] = []
        datagen.generate(store, 1, organisations, keep=regions)
        store.close()
        start_runtime(settings, background=False).close()  # read-side tables, sessions
        yield settings, regions[0]


def claim_script(settings: Settings, regency: datagen.Regency) -> tuple[list[Any], str]:
    """Eight operators with their tokens and drafts, and the ``wrk`` script in which each
    client claims indicators on its own drafts (the raw baseline's tables created too: the
    floor route writes to them)."""
    suite.raw_baseline(settings.database_url, 1, 0.2, b"{}")  # bench_raw_events / _chain
    writers = suite.prepare_writers(settings, regency, 8, 4 * suite.PARTS + 1)
    for w in writers:
        w.token = suite.issue_token(settings, w.account_id)
    spec = ", ".join(
        '{"' + w.token + '", {' + ", ".join(f'"{i}"' for i in w.part(0)) + "}}" for w in writers
    )
    return writers, suite.WRK_WRITE % {"specs": spec}


def measure(
    settings: Settings, regency: datagen.Regency, seconds: float, samples: int = 40
) -> suite.Section:
    """The claim, the floor route, the plain-library route and both ``/health/live`` routes,
    side by side with the same server settings; the five targets of issue 19's first and
    third items recorded in the run's targets table."""
    url = settings.database_url
    writers, put_script = claim_script(settings, regency)
    base_env = {"BENCH_DATABASE_URL": url}
    suite.log("write path against its yardsticks (8 clients each)")
    sirisma = suite.Server(settings, 2)
    baseline = suite.Server(
        settings, 2, app="bench.baseline_apps:create_app", env=base_env, ready="/health/live"
    )
    try:
        put_turns, floor_turns, plain_turns = rounds(
            [
                (sirisma, put_script),
                (baseline, WRK_PUT % {"path": "/floor/"}),
                (baseline, WRK_PUT % {"path": "/plain/"}),
            ],
            seconds,
        )
        put_rps, put_cpu = put_turns.rps, put_turns.cpu_us
        floor_rps, floor_cpu = floor_turns.rps, floor_turns.cpu_us
        plain_rps, plain_cpu = plain_turns.rps, plain_turns.cpu_us
        live_rps, live_cpu = load(sirisma, "/health/live", seconds, None)
        bare_rps, bare_cpu = load(baseline, "/health/live", seconds, None)
    finally:
        sirisma.close()
        baseline.close()
    w = writers[0]
    drafts = w.part(1)

    def claim(base: str, i: int) -> None:
        body = json.dumps({"level": i % 3 + 1, "note": "klaim uji beban"}).encode()
        put(base, f"/api/innovations/{drafts[i % len(drafts)]}/indicators/{i % 19 + 1}", body,
            w.token)  # fmt: skip

    suite.log("round trips per request (counting proxy, one worker)")
    put_rt = round_trips(settings, "services.app:create_app", {}, claim, samples)
    floor_rt, plain_rt = (
        round_trips(
            settings,
            "bench.baseline_apps:create_app",
            base_env,
            lambda base, i, route=route: put(base, f"/{route}/{i}", b"{}"),
            samples,
        )
        for route in ("floor", "plain")
    )
    suite.log(
        f"  PUT {put_rps:,.0f}/s {put_cpu:,.0f} µs; floor {floor_rps:,.0f}/s {floor_cpu:,.0f} µs;"
        f" plain {plain_rps:,.0f}/s {plain_cpu:,.0f} µs; round trips {put_rt:.1f}"
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
    what = "write path, 8 clients:"
    notes = [
        f"PUT / floor route: {put_rps / floor_rps:.2f}× — target ≥ {TARGET_FLOOR:.2f}×: "
        + suite.target(
            f"{what} the claim against the floor route",
            f"≥ {TARGET_FLOOR:.2f}× its requests/s",
            f"{put_rps / floor_rps:.2f}× ({put_rps:,.0f} / {floor_rps:,.0f} req/s; round by "
            f"round {round_ratios(put_turns, floor_turns)})",
            put_rps >= TARGET_FLOOR * floor_rps,
        ),
        f"PUT / plain-library route: {put_rps / plain_rps:.2f}× — target ≥ {TARGET_PLAIN:.1f}×: "
        + suite.target(
            f"{what} the claim against the plain-library route",
            f"≥ {TARGET_PLAIN:.1f}× its requests/s",
            f"{put_rps / plain_rps:.2f}× ({put_rps:,.0f} / {plain_rps:,.0f} req/s)",
            put_rps >= TARGET_PLAIN * plain_rps,
        ),
        f"PUT CPU / floor CPU: {put_cpu / floor_cpu:.1f}× — target ≤ {TARGET_CPU:.0f}×: "
        + suite.target(
            f"{what} the claim's CPU per request",
            f"≤ {TARGET_CPU:.0f}× the floor route's",
            f"{put_cpu / floor_cpu:.1f}× ({put_cpu:,.0f} / {floor_cpu:,.0f} µs)",
            put_cpu <= TARGET_CPU * floor_cpu,
        ),
        f"PUT round trips: {put_rt:.1f} — target ≤ {TARGET_TRIPS:.0f}: "
        + suite.target(
            "write path: database round trips per claim",
            f"≤ {TARGET_TRIPS:.0f}",
            f"{put_rt:.1f} (floor route {floor_rt:.1f}, plain-library route {plain_rt:.1f})",
            put_rt <= TARGET_TRIPS,
        ),
        f"/health/live CPU / bare Litestar: {live_cpu / bare_cpu:.1f}× — target ≤ "
        f"{TARGET_LIVE_CPU:.0f}×: "
        + suite.target(
            "`/health/live` CPU per request",
            f"≤ {TARGET_LIVE_CPU:.0f}× a bare Litestar route's",
            f"{live_cpu / bare_cpu:.1f}× ({live_cpu:,.0f} / {bare_cpu:,.0f} µs)",
            live_cpu <= TARGET_LIVE_CPU * bare_cpu,
        ),
        "CPU per request: the two workers' user + system time over the requests (PostgreSQL's "
        "share is not in it, for any row). Round trips: `tests/roundtrips.py` between the "
        "server and PostgreSQL counts each answer the client waited for after a Query, Sync or "
        f"Flush; one worker, {samples} requests one at a time after as many to warm up.",
    ]
    return suite.Section(
        "Write path against its yardsticks",
        "Issue 19, targets 1 and 3. SI-RISMA and `bench/baseline_apps.py` served with the same "
        "uvicorn settings (2 workers, loopback), each driven by `wrk` at 8 clients (the three "
        f"write routes for {ROUNDS} turns of {turn_seconds(seconds)} s, taking turns round by "
        f"round after {WARM_SECONDS:.0f} s unmeasured each; the others for {seconds:.0f} s): the "
        "indicator claim `PUT /api/innovations/{id}/indicators/{no}` "
        "(authenticate, authorise, load, decide, save with the hash chain, answer); the **floor "
        "route** (a Litestar route doing the same two INSERTs and COMMIT through a psycopg "
        "pool); the **plain-library route** (a Litestar route doing eventsourcing's own "
        "`Application.save` of one new event); `/health/live` of SI-RISMA and of a bare "
        "Litestar app.",
        ["route (8 clients)", "req/s", "CPU µs/request", "DB round trips/request"],
        rows,
        notes=notes,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with seeded("sirisma-bench-write-", 40) as (settings, regency):
        section = measure(settings, regency, args.seconds)
    print(section.markdown())
    for what, goal, measured, verdict in suite.TARGETS:  # as the report's targets table
        print(f"- {what}: {measured} (target {goal}): {verdict}")
    print(f"- load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
