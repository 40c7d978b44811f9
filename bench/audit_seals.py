"""Benchmark: what the signed day roots cost on a log of N events (PostgreSQL).

Times ``seal_days`` (one full recompute of every link, then one signed root per day),
``checkpoint``, ``verify_store`` without and with the seals, ``write_bundle`` and the standalone
verifier on that bundle. The log is synthetic (stored events spread over ``--days`` days and
``--streams`` streams, inserted through the chained recorder, so every chain row is real).

Usage::

    uv run python bench/audit_seals.py [--events 100000] [--streams 1000] [--days 30]
        [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from eventsourcing.persistence import StoredEvent

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.audit import verify_bundle as standalone  # noqa: E402
from services.audit.bundle import write_bundle  # noqa: E402
from services.audit.integrity import verify_store  # noqa: E402
from services.audit.keys import generate  # noqa: E402
from services.audit.seals import (  # noqa: E402
    checkpoint,
    ensure_schema,
    live_inputs,
    seal_days,
    trusted_keys,
)
from services.config import load_settings  # noqa: E402
from services.db import Database  # noqa: E402
from services.eventstore.store import EventStore  # noqa: E402


def seed(store: EventStore, events: int, streams: int, days: int) -> None:
    start = datetime.now(UTC) - timedelta(days=days)
    ids = [uuid.uuid4() for _ in range(streams)]
    versions = dict.fromkeys(ids, 0)
    step = timedelta(days=days) / events
    batch: list[StoredEvent] = []
    for n in range(events):
        oid = ids[n % streams]
        versions[oid] += 1
        state = {
            "originator_id": str(oid),
            "originator_version": versions[oid],
            "timestamp": (start + n * step).isoformat(),
            "note": f"catatan {n}",
        }
        batch.append(StoredEvent(oid, versions[oid], "bench.Noted", msgspec.json.encode(state)))
        if len(batch) == 1000:
            store.recorder.insert_events(batch)
            batch = []
    if batch:
        store.recorder.insert_events(batch)


def timed(label: str, results: dict[str, float], fn: Any) -> Any:
    t0 = time.perf_counter()
    value = fn()
    results[label] = round(time.perf_counter() - t0, 2)
    return value


def run(url: str, events: int, streams: int, days: int) -> dict[str, float]:
    scratch = Path(tempfile.mkdtemp(prefix="bench-seals-"))
    settings = load_settings(env={}, data_dir=str(scratch), database_url=url)
    store, db = EventStore(settings), Database(settings)
    results: dict[str, float] = {}
    try:
        ensure_schema(db)
        signer = generate(scratch / "k.pem")
        timed("seed", results, lambda: seed(store, events, streams, days))
        sealed = timed("seal_days", results, lambda: seal_days(store, db, signer))
        results["days_sealed"] = len(sealed)
        timed("checkpoint", results, lambda: checkpoint(store, db, signer))
        timed("verify_chain_only", results, lambda: verify_store(store))
        keys = trusted_keys(store, signer)
        report = timed(
            "verify_with_seals", results, lambda: verify_store(store, seals=live_inputs(db, keys))
        )
        assert report.ok, report.message
        out = scratch / "b.zip"
        timed("write_bundle", results, lambda: write_bundle(store, db, out, signer))
        results["bundle_mb"] = round(out.stat().st_size / 1e6, 1)
        checked = timed(
            "standalone_verify", results, lambda: standalone.verify(str(out), signer.public_raw)
        )
        assert checked["ok"], checked["message"]
    finally:
        store.close()
        db.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("SIRISMA_DATABASE_URL", ""))
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
        results = run(url, args.events, args.streams, args.days)
    print(f"audit: signed day roots on {args.events} events, {args.days} days (PostgreSQL)")
    for label, value in results.items():
        print(f"  {label:18}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
