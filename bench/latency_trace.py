"""Where a read route's p99 comes from: every request's latency with timestamps, next to what
the server and the machine did at that moment (issue 19, target 2).

``bench/read_routes.py`` reports wrk's p99, and wrk corrects its histogram for coordinated
omission before it prints it: every request that took L ms (at least twice the mean interval
between a connection's requests) adds samples at L minus one, two, … intervals. At 2,500 req/s
over 16 connections the interval is 6.4 ms, so one request of 2 s adds ~310 samples, over 1 % of
a 10 s run: a p99 of several hundred ms with no other slow request. A p99 of 276 ms needs no 250
slow requests; a few stalls of half a second to two seconds do it. Measured here (review queue,
20,000 requests): wrk's p99 450 ms, the requests' own p99 26 ms; without the slowest request
(1,503 ms) wrk's p99 would have been 210 ms, without the two slowest 146 ms.

This script runs the routes as ``read_routes.measure`` does (a request, the floor, the route),
records each request of the route run (a wrk Lua script: start, end, worker pid, time inside
the app), and in each worker (``create_app`` below wraps the real app): collections
(``gc.callbacks``), event-loop stalls, kept-answer misses and session lookups over 20 ms; and in
a sampler thread, per 10 ms: run-queue delay (``/proc/*/schedstat``), uninterruptible sleep
(with the kernel stack) and major faults of the PostgreSQL server's and the workers' processes.
It prints, per route, wrk's p99, the measured percentiles, and the slowest requests with
whatever overlapped them::

    uv run python bench/latency_trace.py --database-url URL [--only queue] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import glob
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (str(ROOT), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

TRACE_ENV = "SIRISMA_LATENCY_TRACE_DIR"
CONNECTIONS = 16  # as read_routes.CONNECTIONS; wrk's correction divides by it

# Each request gets an X-Id; the traced app echoes it with its pid and the monotonic times
# (CLOCK_MONOTONIC, the same clock as Python's) the app received it and began its answer.
LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } timespec;
int clock_gettime(int clk_id, timespec *tp);
]]
local ts = ffi.new("timespec")
local function now_ns()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000000 + tonumber(ts.tv_nsec)
end
local counter, starts = 0, {}
lines = {}
local threads = {}
setup = function(thread) table.insert(threads, thread) end
request = function()
  counter = counter + 1
  local id = tostring(counter)
  starts[id] = now_ns()
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["X-Id"] = id
  return wrk.format(nil, nil, h)
end
response = function(status, headers, body)
  local t = now_ns()
  local id = headers["x-id"]
  lines[#lines + 1] = (starts[id] or 0) .. " " .. t .. " " .. status .. " " ..
    (headers["x-pid"] or "0") .. " " .. (headers["x-t0"] or "0") .. " " .. (headers["x-t1"] or "0")
  starts[id] = nil
end
done = function(summary, latency, requests)
  io.write(string.format("wrk-p99 %.3f\n", latency:percentile(99) / 1000))
  for i, t in ipairs(threads) do
    local f = io.open("OUT." .. i, "w")
    f:write(table.concat(t:get("lines"), "\n") .. "\n")
    f:close()
  end
end
"""


# --- inside each uvicorn worker ----------------------------------------------------------------


def create_app() -> Any:
    """The real app, wrapped: the X-Id echo and the worker's own events, written to
    ``$SIRISMA_LATENCY_TRACE_DIR/events.<pid>`` once a second."""
    from services import app as app_module
    from services.identity import session_pool
    from services.reads import routes

    real = app_module.create_app()
    out = Path(os.environ[TRACE_ENV])
    events: list[tuple[Any, ...]] = []
    pid = str(os.getpid()).encode()
    began: dict[str, int] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        now = time.monotonic_ns()
        if phase == "start":
            began["gc"] = now
        elif now - began.get("gc", now) > 2_000_000:
            events.append(("gc", began["gc"], now, f"gen{info.get('generation')}"))

    gc.callbacks.append(on_gc)

    respond = routes._respond

    def traced_respond(request: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic_ns()
        try:
            return respond(request, *args, **kwargs)
        finally:
            events.append(("miss", started, time.monotonic_ns(), request.scope["path"]))

    routes._respond = traced_respond  # type: ignore[assignment]

    async def traced_read_one(self: Any, sql: str, params: tuple[Any, ...]) -> Any:
        started = time.monotonic_ns()
        async with self.pool.connection() as conn:
            got = time.monotonic_ns()
            row = await (await conn.execute(sql, params)).fetchone()
        ended = time.monotonic_ns()
        if ended - started > 20_000_000:
            waited = (got - started) // 1_000_000
            events.append(("lookup", started, ended, f"pool-wait={waited}ms"))
        return row

    session_pool.SessionPool._read_one = traced_read_one  # type: ignore[method-assign]

    def flush() -> None:
        with (out / f"events.{os.getpid()}").open("a") as f:
            f.writelines(" ".join(map(str, e)) + "\n" for e in events)
        events.clear()

    async def watch_loop() -> None:
        last_flush = time.monotonic()
        while True:
            before = time.monotonic_ns()
            await asyncio.sleep(0.002)
            after = time.monotonic_ns()
            if after - before > 15_000_000:
                events.append(("loop-stall", before, after, ""))
            if time.monotonic() - last_flush > 1:
                flush()
                last_flush = time.monotonic()

    signal.signal(signal.SIGUSR1, lambda *_: flush())
    watching: list[asyncio.Task[None]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await real(scope, receive, send)
            return
        if not watching:
            watching.append(asyncio.get_running_loop().create_task(watch_loop()))
        received = time.monotonic_ns()
        ident = dict(scope.get("headers", [])).get(b"x-id", b"0")

        async def send_traced(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"x-id", ident),
                        (b"x-pid", pid),
                        (b"x-t0", str(received).encode()),
                        (b"x-t1", str(time.monotonic_ns()).encode()),
                    ],
                }
            await send(message)

        await real(scope, receive, send_traced)

    return app


# --- the machine: a sampler thread ------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(p) for p in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


#: /proc/stat's machine-wide columns the sampler reports (their positions after "cpu").
CPU_FIELDS = ("system", "iowait", "softirq", "steal")
_CPU_COLUMNS = (2, 4, 6, 7)


def _cpu_ticks() -> list[int]:
    columns = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return [int(columns[i]) for i in _CPU_COLUMNS]


def _tasks(pid: int) -> list[str]:
    with contextlib.suppress(OSError):
        return os.listdir(f"/proc/{pid}/task")
    return []


def sample_machine(roots: list[int], path: Path, stop: threading.Event) -> None:
    """Per 10 ms: run-queue delay over 8 ms, uninterruptible sleep (with the kernel stack)
    and major faults, of every thread of ``roots``' children (PostgreSQL's backends, the
    uvicorn workers); and the machine's system, iowait, softirq and steal time."""
    delays: dict[int, int] = {}
    faults: dict[int, int] = {}
    threads: list[tuple[int, int]] = []
    refreshed = 0.0
    cpu, cpu_at = _cpu_ticks(), time.monotonic_ns()
    tick = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    with path.open("w") as out:
        while not stop.is_set():
            now = time.monotonic_ns()
            # The kernel's own time (system, softirq: writeback, block I/O completions) and
            # the host's (steal), machine-wide, per ~100 ms when it holds 30 ms or more.
            if now - cpu_at >= 100_000_000:
                was, cpu = cpu, _cpu_ticks()
                for name, before, after in zip(CPU_FIELDS, was, cpu, strict=True):
                    if (after - before) * tick >= 30_000_000:
                        spent = (after - before) * tick // 1_000_000
                        out.write(f"cpu-{name} {cpu_at} {now} machine:{spent}ms\n")
                cpu_at = now
            if time.monotonic() - refreshed > 0.2:
                threads = [
                    (pid, int(tid))
                    for root in roots
                    for pid in _children(root)
                    for tid in (
                        os.listdir(f"/proc/{pid}/task") if Path(f"/proc/{pid}").exists() else []
                    )
                ]
                refreshed = time.monotonic()
            for pid, tid in threads:
                try:
                    fields = (
                        Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
                    )
                    delay = int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[1])
                except (OSError, IndexError):
                    continue
                state, major = fields[0], int(fields[9])
                if tid in delays and delay - delays[tid] > 8_000_000:
                    out.write(f"run-queue {now - (delay - delays[tid])} {now} pid={pid}\n")
                if tid in faults and major > faults[tid]:
                    out.write(f"major-fault {now} {now} pid={pid}:{major - faults[tid]}\n")
                delays[tid], faults[tid] = delay, major
                if state == "D":
                    with contextlib.suppress(OSError):
                        stack = Path(f"/proc/{pid}/task/{tid}/stack").read_text()
                        out.write(
                            f"D-state {now} {now} pid={pid}:{stack.replace(chr(10), '|')[:300]}\n"
                        )
            time.sleep(0.01)


# --- the run and its report -------------------------------------------------------------------


def _requests(files: list[str]) -> list[tuple[int, int, int, str, int, int]]:
    rows = []
    for name in files:
        for line in Path(name).read_text().split("\n"):
            parts = line.split()
            if len(parts) == 6:
                start, end, status, pid, t0, t1 = parts
                rows.append((int(start), int(end), int(status), pid, int(t0), int(t1)))
    return rows


def _events(run: Path, workers: Path) -> list[tuple[str, int, int, str]]:
    found = []
    for name in glob.glob(str(workers / "events.*")) + [str(run / "machine")]:
        who = name.rsplit(".", 1)[1] if "events." in name else "machine"
        for line in Path(name).read_text().splitlines():
            kind, start, end, *rest = line.split(" ", 3)
            found.append((kind, int(start), int(end), f"{who} {' '.join(rest)}".strip()))
    return found


def wrk_corrected_p99(micros: list[int], interval: int) -> float:
    """wrk's p99 (µs) of these latencies (µs, sorted), as wrk 4 computes it: each latency L of
    at least twice the mean ``interval`` between a connection's requests adds samples at
    L - interval, L - 2·interval, … down to the interval (``stats_correct``)."""
    added: list[int] = []
    for value in micros:
        if value >= 2 * interval:
            added += range(value - interval, interval, -interval)
    merged = sorted(micros + added)
    return float(merged[min(len(merged) - 1, int(0.99 * len(merged)))])


def report(label: str, wrk_p99: float, run: Path, workers: Path, slowest: int = 8) -> None:
    """The route's percentiles, and its slowest requests with the events that overlapped
    them (in their worker, or on the machine)."""
    rows = _requests(glob.glob(str(run / "requests.*")))
    if not rows:
        print(f"{label}: no requests recorded")
        return
    latencies = sorted((end - start) / 1e6 for start, end, *_ in rows)

    def at(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    print(
        f"\n{label}: {len(rows):,} requests; wrk's p99 (corrected) {wrk_p99:.1f} ms; measured "
        f"p50 {at(50):.1f}, p99 {at(99):.1f}, p99.9 {at(99.9):.1f}, max {latencies[-1]:.1f} ms; "
        f"non-200: {sum(1 for r in rows if r[2] != 200)}"
    )
    runtime_us = (max(r[1] for r in rows) - min(r[0] for r in rows)) // 1000
    interval = runtime_us // max(len(rows) // CONNECTIONS, 1)
    micros = sorted((end - start) // 1000 for start, end, *_ in rows)
    without = ", ".join(
        f"{n}: {wrk_corrected_p99(micros[: len(micros) - n], interval) / 1000:.1f}"
        for n in (1, 2, 5, 10)
    )
    print(f"  wrk's p99 recomputed without the N slowest requests (ms) — {without}")
    base = min(r[0] for r in rows)
    events = _events(run, workers)
    for start, end, _, pid, t0, t1 in sorted(rows, key=lambda r: r[0] - r[1])[:slowest]:
        inside = (t1 - t0) / 1e6 if t0 else float("nan")
        print(
            f"  at {(start - base) / 1e6:8.1f} ms: {(end - start) / 1e6:7.1f} ms, worker {pid}, "
            f"{inside:.1f} ms inside the app"
        )
        overlapping = [
            e
            for e in sorted(events, key=lambda e: e[1])
            if e[1] < end
            and e[2] > start
            and e[3].split(" ", 1)[0] in (pid, "machine")
            and not (e[0] == "run-queue" and e[2] - e[1] < 30_000_000)
        ]
        for kind, a, z, what in overlapping[:12]:
            print(f"      {kind:<11} {(a - base) / 1e6:8.1f} +{(z - a) / 1e6:6.1f} ms  {what}")
        if len(overlapping) > 12:
            print(f"      … {len(overlapping) - 12} more")


def main(argv: list[str] | None = None) -> int:
    import read_routes
    from suite import Server, wrk

    from services.config import load_settings
    from services.startup import start_runtime
    from tests.servers import start_redis

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a database datagen filled")
    parser.add_argument("--seconds", type=float, default=10.0, help="per wrk step")
    parser.add_argument("--only", default="", help="routes whose label contains this")
    parser.add_argument("--out-dir", default="", help="else a temporary directory")
    args = parser.parse_args(argv)
    out = Path(args.out_dir or tempfile.mkdtemp(prefix="sirisma-trace-"))
    (out / "data").mkdir(parents=True, exist_ok=True)
    redis = start_redis()
    settings = load_settings(
        env={}, data_dir=str(out / "data"), database_url=args.database_url, redis_url=redis.url
    )
    start_runtime(settings, background=False).close()
    import psycopg

    with psycopg.connect(args.database_url, autocommit=True) as conn:
        postmaster = int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
        postmaster = int(Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()[1])
    server = Server(
        settings,
        workers=2,
        app="latency_trace:create_app",
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}", TRACE_ENV: str(out)},
    )
    try:
        for number, route in enumerate(read_routes.routes(settings)):
            if args.only not in route.label:
                continue
            run = out / f"route{number}"
            run.mkdir()
            auth = {"Authorization": f"Bearer {route.token}"} if route.token else {}
            request = urllib.request.Request(server.base + route.path, headers=auth)
            with urllib.request.urlopen(request, timeout=60) as r:
                r.read()
            wrk(server.base + "/health/live", args.seconds, 2, read_routes.CONNECTIONS)
            stop = threading.Event()
            sampler = threading.Thread(
                target=sample_machine,
                args=([postmaster, server.process.pid], run / "machine", stop),
                daemon=True,
            )
            sampler.start()
            script = LUA.replace("OUT.", str(run / "requests."))
            result = _wrk_lua(server.base + route.path, args.seconds, auth, script)
            stop.set()
            sampler.join()
            for pid in server.workers():
                os.kill(pid, signal.SIGUSR1)  # the workers' events so far, to their files
            time.sleep(0.5)
            report(route.label, result, run, out)
    finally:
        server.close()
        redis.close()
    print(f"\nraw records: {out}")
    return 0


def _wrk_lua(url: str, seconds: float, headers: dict[str, str], script: str) -> float:
    """wrk as ``suite.wrk`` runs it, with ``script``; its corrected p99 (ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    argv = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(CONNECTIONS),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
    ]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    try:
        text = subprocess.run(
            [*argv, "-s", f.name, url], capture_output=True, text=True, check=True
        ).stdout
    finally:
        os.unlink(f.name)
    return float(text.split("wrk-p99 ", 1)[1].split()[0])


if __name__ == "__main__":
    sys.exit(main())
