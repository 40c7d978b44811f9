"""CPU per request in-process, no HTTP server: the ASGI apps called directly (issue 19).

    uv run python bench/profile_inproc.py [--requests 400] [--profile put|live] [--top 40]
        [--inline | --parts | --threads N]

Starts its own PostgreSQL and Redis, seeds one small regency, builds SI-RISMA's app
(``services.app.create_app``) and the yardsticks (``bench/baseline_apps.py``) in this process
and sends them requests one at a time through their ASGI interface (no uvicorn, no sockets to
the client): the CPU time of this process (``time.process_time``, every thread) per request is
what the app and its database driver cost, free of the load of other processes on the machine.
``--profile`` prints a cProfile of that route's requests, sorted by cumulative time.
``--parts`` (implies ``--inline``) prints the claim's CPU by part (``CLAIM_PARTS``), each timed by
the thread's CPU clock: cProfile inflates every function call about fivefold, so its shares of
a request spread thin over many calls are not the real ones.
``--threads N`` (not with the three above) runs sync handlers in a pool of N threads and splits
each route's CPU between the event loop's thread and the handler threads: what handing a
handler to a thread costs, and on which side.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import cProfile
import functools
import importlib
import inspect
import json
import os
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import datagen  # noqa: E402
import suite  # noqa: E402

from services.config import load_settings  # noqa: E402

Request = tuple[str, str, dict[str, str], bytes]
LOOP = asyncio.new_event_loop()


async def _start(app: Any) -> None:
    """Run the app's lifespan in a task that lives as long as the loop; return once started."""
    started = asyncio.Event()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "lifespan.startup"}
        await asyncio.Event().wait()
        return {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"].endswith(".failed"):
            raise RuntimeError(message)
        if message["type"] == "lifespan.startup.complete":
            started.set()

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    _TASKS.append(asyncio.ensure_future(app(scope, receive, send)))
    await started.wait()


_TASKS: list[Any] = []
BATCHES = 8

# The claim's parts for ``--parts``: (module, class or "", function), outer ones first.
CLAIM_PARTS = (
    ("services.identity.command_route", "", "load_with_call_for_command"),
    ("services.eventstore.recorders", "ChainedPostgresRecorder", "select_streams"),
    ("services.eventstore.state_cache", "", "private_copy"),
    ("services.commands", "Commands", "claim_indicator"),
    ("services.eventstore.recorders", "ChainedPostgresRecorder", "_append_alone"),
    ("services.submission.common", "", "command_response"),
    ("services.submission.common", "", "to_state"),
    ("services.ops.http", "", "access_line"),
)


class Parts:
    """CPU of the thread in each of ``CLAIM_PARTS``, per call (wraps them in place; handlers
    must run inline, so that the thread's clock is the request's)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = dict.fromkeys((f for _, _, f in CLAIM_PARTS), 0.0)
        self.calls: dict[str, int] = dict.fromkeys(self.cpu, 0)
        for module, owner, name in CLAIM_PARTS:
            holder: Any = importlib.import_module(module)
            holder = getattr(holder, owner) if owner else holder
            inner = getattr(holder, name)

            def timed(*args: Any, _f: Any = inner, _n: str = name, **kwargs: Any) -> Any:
                started = time.thread_time()
                try:
                    return _f(*args, **kwargs)
                finally:
                    self.cpu[_n] += time.thread_time() - started
                    self.calls[_n] += 1

            wrapped: Any = functools.wraps(inner)(timed)
            if isinstance(inspect.getattr_static(holder, name), staticmethod):
                wrapped = staticmethod(wrapped)
            setattr(holder, name, wrapped)

    def reset(self) -> None:
        for name in self.cpu:
            self.cpu[name], self.calls[name] = 0.0, 0

    def table(self, requests: int) -> str:
        rows = ["| part | calls per claim | CPU µs per call |", "|---|---|---|"]
        for name, cpu in self.cpu.items():
            calls = self.calls[name]
            rows.append(f"| `{name}` | {calls / requests:.2f} | {cpu / max(calls, 1) * 1e6:,.1f} |")
        return "\n".join(rows)


def thread_cpu() -> dict[int, float]:
    """CPU seconds of each live thread of this process, by ident."""
    cpu = {}
    for thread in threading.enumerate():
        if thread.ident is not None:
            with contextlib.suppress(OSError):
                cpu[thread.ident] = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    return cpu


class ThreadSplit:
    """Each route's CPU per request in the event loop's thread and in the others (handlers)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []

    def add(self, route: str, before: dict[int, float], after: dict[int, float], n: int) -> None:
        loop = threading.main_thread().ident
        used = {t: cpu - before.get(t, 0.0) for t, cpu in after.items()}
        mine = used.pop(loop, 0.0) if loop is not None else 0.0
        self.rows.append((route, mine / n * 1e6, sum(used.values()) / n * 1e6))

    def table(self) -> str:
        rows = ["| route | loop thread µs | handler threads µs |", "|---|---|---|"]
        rows += [f"| {r} | {loop:,.0f} | {others:,.0f} |" for r, loop, others in self.rows]
        return "\n".join(rows)


async def call(app: Any, request: Request) -> int:
    method, path, headers, body = request
    status = 0
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    path_only, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path_only,
        "raw_path": path_only.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    return status


class InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs a ``sync_to_thread`` handler in the calling thread, so cProfile (which follows one
    thread) sees the handler's own work: with ``--profile``, ``--inline`` and ``--parts``."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def production_logging() -> None:
    """Log as ``sirisma serve`` does (``services.ops.logs.configure``: every INFO line, JSON,
    with the context filter) but to a null stream; the bare app's default Litestar logging
    config had put its own queue handler on the root logger of this shared process."""
    import logging

    from services.ops import logs

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 (lives as the process)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.ContextFilter("bench"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def measure(
    app: Any,
    make: Callable[[int], Request],
    n: int,
    profile: bool = False,
    top: int = 40,
    parts: Parts | None = None,
    split: tuple[ThreadSplit, str] | None = None,
) -> float:
    """CPU µs per request over ``n`` requests after ``n // 4`` warm-up ones (the least of
    ``BATCHES`` batches). ``parts``: reset after the warm-up, so it counts the ``n``."""

    async def run(start: int, count: int) -> None:
        for i in range(start, start + count):
            status = await call(app, make(i))
            if status >= 400:
                raise RuntimeError(f"{make(i)[:2]} answered {status}")

    loop = LOOP
    loop.run_until_complete(run(0, max(n // 4, 5)))
    if parts is not None:
        parts.reset()
    profiler = cProfile.Profile(time.process_time) if profile else None
    if profiler:
        profiler.enable()
    # Batches, the least CPU per request of them kept: other processes on the machine inflate a
    # batch's CPU (shared caches, frequency), never deflate it.
    size = max(n // BATCHES, 1)
    used = float("inf")
    threads_before = thread_cpu() if split is not None else {}
    for b in range(BATCHES):
        before = time.process_time()
        loop.run_until_complete(run(n + b * size, size))
        used = min(used, (time.process_time() - before) / size)
    if split is not None:
        split[0].add(split[1], threads_before, thread_cpu(), size * BATCHES)
    if profiler:
        profiler.disable()
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        dump = f"/tmp/profile_inproc.{os.getpid()}.pstats"  # helpers share /tmp
        stats.dump_stats(dump)
        print(f"profile written to {dump}")
    return used * 1e6


def round_trips(settings: Any, make: Callable[[int], Request], n: int) -> float:
    """Round trips per request of another app instance whose pools reach PostgreSQL through
    ``tests/roundtrips.py`` (after ``n`` warm-up requests: connections open, statements
    prepared)."""
    import msgspec

    from services.app import create_app
    from tests.roundtrips import RoundTripProxy

    with RoundTripProxy(settings.database_url) as proxy:
        app = create_app(msgspec.structs.replace(settings, database_url=proxy.url))
        LOOP.run_until_complete(_start(app))

        async def run(start: int) -> None:
            for i in range(start, start + n):
                status = await call(app, make(i))
                assert status < 400, status

        LOOP.run_until_complete(run(10_000))
        proxy.reset()
        LOOP.run_until_complete(run(20_000))
        return proxy.reset() / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    routes = ("put", "live", "floor", "plain", "bare")
    parser.add_argument("--profile", choices=routes, default=None)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--inline", action="store_true", help="handlers in the caller's thread")
    parser.add_argument("--parts", action="store_true", help="the claim's CPU by part")
    parser.add_argument("--threads", type=int, default=0, help="handler threads; CPU by thread")
    args = parser.parse_args()
    parts = Parts() if args.parts else None
    data_dir = tempfile.mkdtemp(prefix="sirisma-bench-inproc-")
    with suite.servers() as (url, redis_url):
        settings = load_settings(env={}, data_dir=data_dir, database_url=url, redis_url=redis_url)
        from services.eventstore.store import EventStore
        from services.startup import start_runtime

        store = EventStore(settings)
        regions: list[datagen.Regency] = []
        datagen.generate(store, 1, 10, keep=regions)
        store.close()
        start_runtime(settings, background=False).close()
        suite.raw_baseline(url, 1, 0.2, b"{}")
        (writer,) = suite.prepare_writers(settings, regions[0], 1, 40)
        writer.token = suite.issue_token(settings, writer.account_id)
        drafts = writer.innovation_ids

        os.environ["BENCH_DATABASE_URL"] = url
        from baseline_apps import create_app as baseline_app

        from services.app import create_app

        sirisma = create_app(settings)
        bare = baseline_app()
        LOOP.run_until_complete(_start(sirisma))
        LOOP.run_until_complete(_start(bare))

        production_logging()
        auth = {"Authorization": f"Bearer {writer.token}", "Content-Type": "application/json"}

        def claim(i: int) -> Request:
            body = json.dumps({"level": i % 3 + 1, "note": "klaim uji beban"}).encode()
            path = f"/api/innovations/{drafts[i % len(drafts)]}/indicators/{i % 19 + 1}"
            return ("PUT", path, auth, body)

        def live(i: int) -> Request:
            return ("GET", "/health/live", {}, b"")

        def floor(i: int) -> Request:
            return ("PUT", f"/floor/{i}", {"Content-Type": "application/json"}, b"{}")

        def plain(i: int) -> Request:
            return ("PUT", f"/plain/{i}", {"Content-Type": "application/json"}, b"{}")

        n = args.requests
        p = args.profile
        inline = bool(p or args.inline or parts)
        if inline:
            LOOP.set_default_executor(InlineExecutor())
        elif args.threads:
            LOOP.set_default_executor(concurrent.futures.ThreadPoolExecutor(args.threads))
        split = ThreadSplit() if args.threads and not inline else None

        def route(
            name: str, app: Any, make: Callable[[int], Request], count: int, key: str
        ) -> float:
            by_thread = (split, name) if split is not None else None
            claim_parts = parts if key == "put" else None
            return measure(app, make, count, p == key, args.top, parts=claim_parts, split=by_thread)

        put_cpu = route("SI-RISMA PUT claim", sirisma, claim, n, "put")
        parts_table = parts.table(n) if parts else ""  # before other claims (round trips) run
        rows = [
            ("SI-RISMA PUT claim", put_cpu),
            ("floor route", route("floor route", bare, floor, n, "floor")),
            ("plain-library route", route("plain-library route", bare, plain, n, "plain")),
            ("SI-RISMA /health/live", route("SI-RISMA /health/live", sirisma, live, n * 5, "live")),
            ("bare Litestar /health/live", route("bare /health/live", bare, live, n * 5, "bare")),
        ]
        trips = round_trips(settings, claim, n=40)
        print(f"- PUT round trips per request: {trips:.2f} (target ≤ 5)")
        print("| route (in-process, one at a time) | CPU µs/request |")
        print("|---|---|")
        for name, cpu in rows:
            print(f"| {name} | {cpu:,.0f} |")
        print(f"- PUT CPU / floor CPU: {rows[0][1] / rows[1][1]:.1f}× (target ≤ 3)")
        print(f"- /health/live CPU / bare: {rows[3][1] / rows[4][1]:.1f}× (target ≤ 2)")
        print(f"- load average: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if parts:
            print(parts_table)
        if split is not None:
            print(split.table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
