"""The read routes at national scale against the same server's ``/health/live`` (issue 19,
target 2: each ≥ 0.10× of the floor's requests/s, p99 < 100 ms, 16 connections), and the
inbox's unread count at 10, 1,000 and 10,000 messages of one recipient (target 5).

Part of ``bench/run`` (``suite.py`` calls ``measure``); also runs alone, on a database that
``bench/datagen.py`` filled, so the read side can be measured without the whole suite::

    uv run python bench/datagen.py --database-url URL --regencies 50   # once
    uv run python bench/read_routes.py --database-url URL              # rebuild, then measure

Alone, it rebuilds the read models first (their schema may have changed since the data was
generated) and replaces the read-route sections of ``docs/benchmarks.md`` in place.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
for path in (str(ROOT), str(Path(__file__).resolve().parent)):
    if path not in sys.path:
        sys.path.insert(0, path)

from suite import (  # noqa: E402
    Section,
    Server,
    issue_token,
    log,
    ms,
    pct,
    query_alone,
    rate,
    ratio,
    rebuild_child,
    target,
    wrk,
)

from services.config import Settings, load_settings  # noqa: E402

TARGET_RATIO = 0.10
TARGET_P99_MS = 100.0
CONNECTIONS = 16
FLAT = 1.3  # "does not grow": at the largest size at most this many times the smallest
WARM_SECONDS = 2.0  # each route's first requests, not measured (see ``measure``)
PROBE_PAUSE = 0.005  # seconds between the probe client's requests (``Probe``)


@dataclass
class Route:
    label: str
    path: str
    token: str | None
    query: Callable[[Any], Any]


def routes(settings: Settings, regency: str = "R01") -> list[Route]:
    """The screens issue 19 names, for the first regency's operator, reviewer and admin (ids
    are derived from the usernames and codes ``bench/datagen.py`` gives them)."""
    from projections.queries import board, catalogue, innovations, queue
    from services.commands import account_id_for, organisation_id_for
    from services.domain.actor import Role
    from services.domain.principal import Principal

    code = regency.lower()
    bappeda = organisation_id_for(f"{regency}-BAPPEDA")
    dinkes = organisation_id_for(f"{regency}-DINKES")  # an OPD with several innovations
    reviewer = Principal(
        account_id=account_id_for(f"rev1.{code}"),
        username=f"rev1.{code}",
        role=Role.REVIEWER,
        organisation_id=bappeda,
    )
    admin = Principal(
        account_id=account_id_for(f"admin.{code}"),
        username=f"admin.{code}",
        role=Role.ADMIN,
        organisation_id=bappeda,
    )
    operator_token = issue_token(settings, account_id_for(f"op.{code}.dinkes"))
    reviewer_token = issue_token(settings, account_id_for(f"rev1.{code}"))
    admin_token = issue_token(settings, account_id_for(f"admin.{code}"))

    def search(q: str) -> Route:
        return Route(
            f"search `q={q}` (admin, every innovation)",
            "/api/innovations?q=" + q.replace(" ", "%20"),
            admin_token,
            lambda db: innovations.list_innovations(db, admin, q=q, limit=50),
        )

    def public(q: str) -> Route:
        return Route(
            f"public catalogue `q={q}` (anyone, ranked)",
            "/api/public/innovations?q=" + q.replace(" ", "%20"),
            None,
            lambda db: catalogue.public_catalogue(db, q=q),
        )

    return [
        Route(
            "status board (operator)",
            "/api/status-board",
            operator_token,
            lambda db: board.status_board(db, organisation_id=dinkes, limit=100),
        ),
        Route(
            "review queue (reviewer)",
            "/api/review/queue",
            reviewer_token,
            lambda db: queue.review_queue(db, reviewer, sla_working_days=settings.sla_working_days),
        ),
        search("stunting"),
        search("layanan desa"),
        search("desa"),
        public("layanan desa"),
        public("desa"),
        Route(
            "public catalogue (anyone, latest first)",
            "/api/public/innovations",
            None,
            lambda db: catalogue.public_catalogue(db),
        ),
    ]


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: set[int]) -> dict[int, float]:
    """user + system CPU seconds of each process (gone ones left out)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return found


def _database_pids(settings: Settings) -> set[int]:
    """The PostgreSQL server's processes serving anyone now (backends and its own workers)."""
    import psycopg

    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        return {int(r[0]) for r in conn.execute("SELECT pid FROM pg_stat_activity")}


def _loaded(
    settings: Settings, server: Server, path: str, seconds: float, auth: dict[str, str]
) -> tuple[Any, float]:
    """wrk against ``path`` and the CPU it cost per request (ms): the HTTP workers' and the
    database server's processes, whatever else the machine runs (the load average does not
    distort it the way it distorts requests/s)."""
    pids = set(server.workers()) | _database_pids(settings)
    before = _cpu_seconds(pids)
    res = wrk(server.base + path, seconds, 2, CONNECTIONS, headers=auth)
    after = _cpu_seconds(pids | _database_pids(settings))
    spent = sum(after[pid] - before.get(pid, 0.0) for pid in after)
    return res, spent * 1000 / max(res.requests, 1)


class Probe:
    """One more client, next to wrk's: a request every ``PROBE_PAUSE`` seconds, one at a time,
    each timed on its own. wrk's printed distribution is coordinated-omission corrected (it
    adds synthetic samples below every long request, ``stats_correct`` in its ``src/wrk.c``), so
    its p99 is not the requests' own; this one is, at the price of far fewer samples."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self.path = parts.path + (f"?{parts.query}" if parts.query else "")
        self.headers = headers
        self.conn = http.client.HTTPConnection(parts.netloc, timeout=30)
        self.latencies: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Probe:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(30)
        self.conn.close()

    def _run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            self.conn.request("GET", self.path, headers=self.headers)
            self.conn.getresponse().read()
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.stop.wait(PROBE_PAUSE)

    def summary(self) -> str:
        if not self.latencies:
            return "–"
        return (
            f"p99 {ms(pct(self.latencies, 99))}, max {ms(max(self.latencies))} "
            f"({len(self.latencies):,} requests)"
        )


def _settle(settings: Settings) -> None:
    """``VACUUM (ANALYZE)`` and a checkpoint before the routes: the run has just bulk-loaded the
    national data and written the live-lag phase's commands, so autovacuum and the checkpointer
    would otherwise work through them during the first routes (p99 of the first route 110 ms in
    one run, 17 and 43 ms in others); a server that has been running has done this long ago."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
    log(f"  vacuumed and checkpointed in {time.monotonic() - started:.1f}s")


def _floor_row(floors: list[tuple[Any, float]]) -> list[str]:
    """The floor's medians over its runs (one before each route)."""

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2] if values else float("nan")

    return [
        "`/health/live` (HTTP floor, no database)",
        rate(median([f.rps for f, _ in floors])),
        ms(median([f.p50 for f, _ in floors])),
        ms(median([f.p99 for f, _ in floors])),
        str(sum(f.errors for f, _ in floors)),
        "1.00×",
        "–",
        "–",
        ms(median([cpu for _, cpu in floors])),
        "–",
        "–",
        "–",
    ]


def measure(
    settings: Settings, server: Server, seconds: float, innovations: int, samples: int = 15
) -> list[Section]:
    """Each route against the floor measured just before it (a shared machine's load changes
    within a run), then the inbox's unread count."""
    rows = []
    totals: list[str] = []
    floors: list[tuple[Any, float]] = []
    _settle(settings)
    for route in routes(settings):
        auth = {"Authorization": f"Bearer {route.token}"} if route.token else {}
        request = urllib.request.Request(server.base + route.path, headers=auth)
        with urllib.request.urlopen(request, timeout=60) as r:
            assert r.status == 200, (route.path, r.status)
            body = json.loads(r.read())
        if isinstance(body, dict) and body.get("total") is not None:
            estimate = " (estimate)" if body.get("total_is_estimate") else ""
            totals.append(f"{route.label}: {body['total']:,}{estimate}")
        # Warm-up, not measured: each worker's first requests of a route load its code, fill
        # its caches and fault the route's pages into PostgreSQL's buffers.
        _loaded(settings, server, route.path, WARM_SECONDS, auth)
        floor, floor_cpu = _loaded(settings, server, "/health/live", seconds, {})
        with Probe(server.base + route.path, auth) as probe:
            res, cpu = _loaded(settings, server, route.path, seconds, auth)
        # The same route with every answer read afresh (``Cache-Control: no-cache`` skips the
        # kept answers, ``services.reads.answers``): what a request costs when the read models
        # moved since the answer was kept (writes between reads). Context, not the target.
        fresh, fresh_cpu = _loaded(
            settings, server, route.path, seconds, {**auth, "Cache-Control": "no-cache"}
        )
        floors.append((floor, floor_cpu))
        alone = query_alone(settings, route.query, samples)
        met = res.rps >= TARGET_RATIO * floor.rps and res.p99 < TARGET_P99_MS and not res.errors
        target(
            f"read route at national scale: {route.label}",
            f"≥ {TARGET_RATIO:.2f}× `/health/live` and p99 < {TARGET_P99_MS:.0f} ms, "
            f"{CONNECTIONS} connections",
            f"{ratio(res.rps, floor.rps)} ({res.rps:,.0f} / {floor.rps:,.0f} req/s), "
            f"p99 {ms(res.p99)}, {ms(cpu)} CPU/request",
            met,
        )
        log(
            f"  {route.label}: {res.rps:,.0f} req/s ({ratio(res.rps, floor.rps)} of "
            f"{floor.rps:,.0f}) p99 {res.p99:.1f} ms, {cpu:.2f} ms CPU/request, "
            f"alone {alone:.2f} ms; one more client {probe.summary()}; "
            f"read afresh {fresh.rps:,.0f} req/s "
            f"({ratio(fresh.rps, floor.rps)}) p99 {fresh.p99:.1f} ms, {fresh_cpu:.2f} ms CPU"
        )
        rows.append(
            [
                route.label,
                rate(res.rps),
                ms(res.p50),
                ms(res.p99),
                str(res.errors),
                ratio(res.rps, floor.rps),
                "met" if met else "MISSED",
                rate(floor.rps),
                ms(cpu),
                ms(alone) if alone == alone else "–",
                probe.summary(),
                f"{rate(fresh.rps)} ({ratio(fresh.rps, floor.rps)}), p99 {ms(fresh.p99)}, "
                f"{ms(fresh_cpu)} CPU/request, {fresh.errors} errors",
            ]
        )
    rows.insert(0, _floor_row(floors))
    routes_section = Section(
        "Read routes at national scale",
        f"Issue 19, target 2. `wrk` on loopback, 2 threads × {CONNECTIONS} connections, "
        f"{seconds:.0f} s per route, against uvicorn with 2 workers, {innovations:,} "
        "innovations in the read models. Baseline: the same server's `/health/live`, measured "
        "for as long just before each route (the load of a shared machine changes within a "
        f"run). Target per route: ≥ {TARGET_RATIO:.2f}× the floor's requests/s and "
        f"p99 < {TARGET_P99_MS:.0f} ms.",
        [
            "route",
            "req/s",
            "p50",
            "p99",
            "errors",
            "vs floor",
            "target",
            "floor just before",
            "CPU/request",
            "query alone, p50",
            "one more client, one request at a time",
            "read afresh (`no-cache`)",
        ],
        rows,
        notes=[
            "rows behind each answer (`total` of the first page): " + "; ".join(totals),
            "`total` is exact up to `projections.queries.common.COUNT_BOUND` matches; beyond "
            "it the answer says `total_is_estimate: true` and `total` is PostgreSQL's "
            "estimate (never below the bound). Ranked search orders the newest "
            "`RANK_WINDOW` matches by relevance, then the older ones by date.",
            "`CPU/request`: user + system CPU of the two HTTP workers and of the PostgreSQL "
            "server's processes during the route's run, over its requests. Unlike requests/s "
            "it barely moves with the machine's load, so it is the figure to compare between "
            "runs. The floor's row: medians of its runs before each route.",
            "`query alone` is the route's read-model query called in-process, one at a time, "
            "without HTTP.",
            "`p50` and `p99` are wrk's, and the target reads them. wrk corrects its distribution "
            "for coordinated omission: below every request that took at least two mean "
            "intervals, it adds synthetic samples one interval apart (`stats_correct` in its "
            "`src/wrk.c`). So a few long stalls raise its p99 far above what most requests "
            "took, and its mean can exceed what Little's law allows. `one more client` is "
            "a 17th connection during the same run. It sends one request at a time, a pause "
            f"of {PROBE_PAUSE * 1000:.0f} ms after each, and times every request itself: the "
            "requests' own p99 and max, from far fewer samples.",
            "Nothing else runs beside a route's load. A process that woke every millisecond "
            "at nice -20 on each CPU (the last sessions' `machine_stalls.py`) changed what it "
            "watched: with it the status board's wrk max was 14–16 ms, without it 0.6–1.9 s "
            'on a kernel with autogroup on (docs/benchmarks.md, "Fourteenth session"). '
            "Whether autogroup is on is in the machine's table.",
            "Before the first route the database is vacuumed, analysed and checkpointed (the "
            "run has just bulk-loaded it), and each route is warmed up for "
            f"{WARM_SECONDS:.0f} s unmeasured before its floor and its own run.",
            "Each worker keeps a route's encoded answer and serves it again while the read "
            "models' marks (position and signature, checked against the database on every "
            "request) have not moved (`services.reads.answers`); with no writes during the "
            "run, the main columns are that path. `read afresh` is the same route sent with "
            "`Cache-Control: no-cache`, so every answer is read again: what a request costs "
            "when a write moved the models since the last read. It is context, not the target.",
        ],
    )
    return [routes_section, inbox_section(settings)]


def inbox_section(
    settings: Settings,
    sizes: tuple[int, ...] = (10, 1_000, 10_000),
    rounds: int = 7,
    per_round: int = 100,
) -> Section:
    """``inbox.page`` (the first page and the unread count) for recipients with ``sizes``
    messages, half of them unread; rows written with COPY, then the counters recounted.

    Every recipient is written first, then the sizes are timed in turns (``rounds`` of
    ``per_round`` pages each, in a rotating order): a sub-millisecond median moves with the
    load of a shared machine from one second to the next, so timing the sizes one after the
    other compared moments, not sizes (1.07×, 1.35× and 1.48× on the same code in one day)."""
    from services.db import Database
    from services.notification.inbox import page, recount
    from services.notification.schema import stamp

    db = Database(settings)
    recipients: dict[int, str] = {}
    timings: dict[int, list[float]] = {size: [] for size in sizes}
    unread: dict[int, int] = {}
    try:
        now = datetime.now(UTC)
        for size in sizes:
            recipient = recipients[size] = str(uuid.uuid4())
            with db.transaction() as tx:
                columns = "id, source_key, recipient_id, kind, title, body, created_at, read_at"
                with tx.cursor.copy(f"COPY notification_inbox ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for i in range(size):
                        at = stamp(now - timedelta(seconds=size - i))
                        read = None if i >= size - size // 2 else at
                        key = f"bench:{i}"
                        copy.write_row((str(uuid.uuid4()), key, recipient, "m", "t", "b", at, read))
                recount(tx)  # COPY bypasses the inbox's writes, which keep the counter
        db.execute_script(["ANALYZE notification_inbox"])
        for size in sizes:
            page(db, recipients[size])
        for turn in range(rounds):
            for size in sizes[turn % len(sizes) :] + sizes[: turn % len(sizes)]:
                for _ in range(per_round):
                    started = time.perf_counter()
                    result = page(db, recipients[size])
                    timings[size].append((time.perf_counter() - started) * 1000)
                unread[size] = result.unread_count
    finally:
        db.close()
    rows = []
    p50s: list[float] = []
    for size in sizes:
        assert unread[size] == size // 2, unread[size]
        p50 = pct(timings[size], 50)
        p50s.append(p50)
        rows.append([f"{size:,}", str(unread[size]), ms(p50), ms(pct(timings[size], 99))])
    grown = p50s[-1] / p50s[0]
    verdict = target(
        f"inbox page and unread count at {sizes[-1]:,} messages",
        f"≤ {FLAT}× its time at {sizes[0]:,} messages (p50)",
        f"{grown:.2f}× ({ms(p50s[-1])} / {ms(p50s[0])})",
        grown <= FLAT,
    )
    return Section(
        "Inbox unread count",
        "Issue 19, target 5: `services.notification.inbox.page` (the first page of 20 and the "
        "unread count) in-process for one recipient with N messages, half of them unread. "
        "The unread count is one row of a counter per recipient, moved in the same "
        "transaction as each delivery and mark-read (`services/notification/inbox.py`), so "
        "it grows with neither the recipient's messages nor their unread ones; the page is "
        "read straight off the `(recipient_id, created_at, id)` index.",
        ["messages", "unread", "p50", "p99"],
        rows,
        notes=[
            f"{rounds} rounds of {per_round} pages per size, the sizes in turns, so the load "
            "of a shared machine falls on every size alike. The recipient with 10 messages "
            "gets a page of 10, the others a page of 20.",
            f"p50 at {sizes[-1]:,} messages / at {sizes[0]:,}: {grown:.2f}× — target ≤ "
            f'{FLAT}× ("does not grow"): {verdict}',
        ],
    )


#: Sections earlier versions of the suite wrote for the same routes.
SUPERSEDED = ("Read routes under load",)


def replace_sections(path: Path, sections: list[Section]) -> None:
    """Each section's ``## title`` block in ``path`` replaced (or appended); the superseded
    ones removed."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    for title in SUPERSEDED:
        old = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
        text = old.sub("", text)
    for section in sections:
        block = section.markdown()
        pattern = re.compile(rf"^## {re.escape(section.title)}\n.*?(?=^## |\Z)", re.S | re.M)
        found = pattern.search(text)
        if found:
            text = text[: found.start()] + block + "\n" + text[found.end() :]
        else:
            text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a database datagen filled")
    parser.add_argument(
        "--redis-url", default="", help="else a throwaway Redis is started (tests/servers.py)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per wrk step")
    parser.add_argument("--no-rebuild", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        if not args.redis_url:
            # Without Redis every HTTP worker would run the notification relay itself and, on a
            # datagen log, spend the run catching up: its CPU would be counted as the routes'.
            from tests.servers import start_redis

            redis = start_redis()
            stack.callback(redis.close)
            args.redis_url = redis.url
        return _measure_alone(args)


def _measure_alone(args: argparse.Namespace) -> int:
    settings = load_settings(
        env={},
        data_dir=tempfile.mkdtemp(prefix="sirisma-reads-"),
        database_url=args.database_url,
        redis_url=args.redis_url,
    )
    from services.db import Database
    from services.startup import start_runtime

    start_runtime(settings, background=False).close()  # read-side tables, sessions
    if not args.no_rebuild:
        log("rebuild of every read model")
        log(f"  {rebuild_child(settings)['rate']:,.0f} events/s")
    db = Database(settings)
    innovations = int(db.scalar("SELECT count(*) FROM rm_innovations") or 0)
    db.close()
    server = Server(settings, workers=2)
    try:
        sections = measure(settings, server, args.seconds, innovations)
    finally:
        server.close()
    for s in sections:
        print(s.console())
    replace_sections(Path(args.out), sections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
