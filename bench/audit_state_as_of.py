"""Benchmark: the full state of an innovation as of any version of a 1,000-event stream.

Target (issue 7): p95 under 20 ms on PostgreSQL. What is timed is exactly what
``GET /api/innovations/{id}/state?version=N`` does below HTTP: nearest snapshot ≤ N (with its
chain-link check), replay of the events after it, and ``to_state`` with the year's rubric and the
call as it stood then (scorecard, completeness, recommendations).

Usage::

    uv run python bench/audit_state_as_of.py [--events 1000] [--samples 500]
        [--snapshot-every 50] [--database-url postgresql://…] [--json]

Without ``--database-url`` (or ``SIRISMA_DATABASE_URL``) a throwaway PostgreSQL is started from
the binaries on PATH (``tests/servers.py``) and removed afterwards. The seeded stream is built with
the real aggregate and saved one command per transaction, like production writes.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.audit.timeline import Timeline  # noqa: E402
from services.commands import Commands  # noqa: E402
from services.config import load_settings  # noqa: E402
from services.domain.rubric import load_rubric  # noqa: E402
from services.domain.values import (  # noqa: E402
    DocumentKind,
    IndicatorVerdict,
    ProfilePatch,
    RevisionItem,
)
from services.eventstore.store import EventStore  # noqa: E402
from tests.factories import MANDATORY, World, document  # noqa: E402


class Result(msgspec.Struct):
    events: int
    samples: int
    snapshot_every: int
    seed_seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    no_snapshot_p95_ms: float
    target_p95_ms: float = 20.0

    @property
    def passed(self) -> bool:
        return self.p95_ms < self.target_p95_ms


def seed(store: EventStore, events: int) -> tuple[uuid.UUID, int]:
    """One innovation with ``events`` events: drafting, revision rounds, review, decision."""
    world = World(Commands(store))
    c = world.commands
    iid = world.complete_draft("Inovasi Tolok Ukur")
    innovation = c.innovation(iid)
    call = c.call(world.call_id)
    rubric = load_rubric(innovation.rubric_year)
    op, rev, admin = world.ctx(world.operator), world.ctx(world.reviewer), world.ctx(world.admin)

    def save() -> None:
        store.save(innovation)

    for i in range(40):
        innovation.update_profile(op, ProfilePatch(goals=f"Tujuan versi {i}"))
        save()
    innovation.submit(op, call, rubric)
    save()
    assert world.reviewer.account_id is not None
    reviewer = c.account(world.reviewer.account_id)
    innovation.assign_reviewer(
        admin,
        reviewer_id=reviewer.id,
        reviewer_organisation_id=reviewer.organisation_id,
        reviewer_name=reviewer.full_name,
    )
    save()
    round_no = 0
    while innovation.version < events - 12:
        round_no += 1
        innovation.request_revision(
            rev,
            note=f"Putaran {round_no}",
            items=[RevisionItem(kind="indicator", key="3", note="lengkapi DPA")],
        )
        save()
        for k in range(3):
            innovation.update_profile(op, ProfilePatch(results=f"Hasil {round_no}.{k}"))
            save()
        doc = document(DocumentKind.BUDGET, indicator=3)
        innovation.attach_document(op, doc, rubric)
        save()
        innovation.claim_indicator(op, rubric, no=3, level=round_no % 3 + 1, evidence=[doc.doc_id])
        save()
        innovation.resubmit(op, call, rubric, note="sudah")
        save()
        innovation.verify_document(rev, doc_id=doc.doc_id, accepted=True, note="sah")
        save()
    verdicts = [IndicatorVerdict(no=no, level=3) for no in (*MANDATORY, 3)]
    innovation.score(rev, rubric, verdicts)
    save()
    live = [d.document.doc_id for d in innovation.documents.values() if not d.removed]
    i = 0
    while innovation.version < events - 4:
        innovation.verify_document(rev, doc_id=live[i % len(live)], accepted=True)
        save()
        i += 1
    innovation.recommend(rev, recommendation="approve")
    save()
    innovation.approve(admin, rubric, note="layak")
    save()
    innovation.establish(admin, sk_number="188/1/2025", sk_date=date(2025, 10, 1))
    save()
    innovation.publish(admin)
    save()
    return iid, innovation.version


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(timeline: Timeline, iid: uuid.UUID, versions: list[int]) -> list[float]:
    timings = []
    for version in versions:
        started = time.perf_counter()
        timeline.state_at(iid, version)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def run(database_url: str, events: int, samples: int, snapshot_every: int) -> Result:
    scratch = tempfile.mkdtemp(prefix="sirisma-bench-")  # unused on PostgreSQL; removed after
    settings = load_settings(env={}, data_dir=scratch, database_url=database_url)
    store = EventStore(settings)
    try:
        started = time.perf_counter()
        iid, final = seed(store, events)
        seeded = time.perf_counter() - started
        rng = random.Random(7)
        versions = [rng.randint(1, final) for _ in range(samples)]
        timeline = Timeline(store, snapshot_every=snapshot_every)
        timeline.state_at(iid, final)  # first touch writes the snapshots (a one-off per stream)
        measure(timeline, iid, versions[:20])  # warm caches and prepared statements
        timings = measure(timeline, iid, versions)
        plain = Timeline(store, snapshot_every=0)
        baseline = measure(plain, iid, versions[: max(20, samples // 10)])
        return Result(
            events=final,
            samples=samples,
            snapshot_every=snapshot_every,
            seed_seconds=round(seeded, 2),
            p50_ms=round(percentile(timings, 50), 2),
            p95_ms=round(percentile(timings, 95), 2),
            p99_ms=round(percentile(timings, 99), 2),
            max_ms=round(max(timings), 2),
            mean_ms=round(statistics.fmean(timings), 2),
            no_snapshot_p95_ms=round(percentile(baseline, 95), 2),
        )
    finally:
        store.close()
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--snapshot-every", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("SIRISMA_DATABASE_URL", ""))
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        url = args.database_url
        if not url:
            from tests.servers import start_postgres

            server: Any = start_postgres()
            stack.callback(server.close)
            name = f"bench_{uuid.uuid4().hex[:12]}"
            url = server.create_database(name)
            stack.callback(server.drop_database, name)
        result = run(url, args.events, args.samples, args.snapshot_every)
    if args.json:
        print(msgspec.json.encode(result).decode())
    else:
        print("audit: state as of a version (PostgreSQL)")
        print(f"  stream           : {result.events} events (seeded in {result.seed_seconds} s)")
        print(f"  samples          : {result.samples} random versions")
        print(f"  snapshot every   : {result.snapshot_every} events")
        print(
            f"  latency          : p50 {result.p50_ms} ms  p95 {result.p95_ms} ms  "
            f"p99 {result.p99_ms} ms  max {result.max_ms} ms  mean {result.mean_ms} ms"
        )
        print(f"  without snapshots: p95 {result.no_snapshot_p95_ms} ms")
        verdict = "PASS" if result.passed else "FAIL"
        print(f"  target p95 < {result.target_p95_ms} ms: {verdict}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
