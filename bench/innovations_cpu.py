"""CPU of the innovations rebuild's critical path (decode + fold, in memory), per event, for each
code root, alternating (a loaded machine's wall time says little; CPU per event does).

    uv run python bench/innovations_cpu.py --url postgresql://... [--roots /tmp/base,.]
        [--events 300000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import gc, json, pickle, sys, time
sys.path.insert(0, {root!r})
import psycopg
from projections.innovations import InnovationsProjection
from projections.log import Decoder
rows = []
with psycopg.connect({url!r}, autocommit=True) as conn:
    position = 0
    while len(rows) < {events}:
        page = conn.execute(
            "SELECT notification_id, topic, state FROM sirisma_events "
            "WHERE notification_id > %s ORDER BY notification_id LIMIT 5000",
            (position,), binary=True).fetchall()
        if not page:
            break
        rows.append(page)
        position = page[-1][0]
        if len(page) < 5000:
            break
projection = InnovationsProjection(20_000)
decoder = Decoder(projection.topics)
gc.disable()
decode = fold = 0.0
n = 0
for page in rows:
    t0 = time.process_time()
    envelopes = decoder.decode(page, {{}})
    t1 = time.process_time()
    projection.fold(None, envelopes, "__rebuild")
    fold += time.process_time() - t1
    decode += t1 - t0
    n += len(page)
import cProfile, os
prof = cProfile.Profile() if os.environ.get("ROWS_PROFILE") else None
if prof: prof.enable()
t0 = time.process_time()
dirty = projection.state.take_dirty()
derived = []
for i in range(0, len(dirty), 2000):
    new_rows, old_rows, _ = projection._rows(dirty[i : i + 2000])
    derived += new_rows + old_rows
rows_s = time.process_time() - t0
import hashlib
digest = hashlib.sha256(repr(sorted(derived)).encode()).hexdigest()[:16]
if prof:
    prof.disable(); prof.dump_stats(os.environ["ROWS_PROFILE"])
print(json.dumps({{"events": n, "decode_us": decode / n * 1e6, "fold_us": fold / n * 1e6,
    "rows_s": rows_s, "digest": digest}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--roots", default=".")
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    roots = [str(Path(r).resolve()) for r in args.roots.split(",")]
    for n in range(args.rounds):
        for root in roots:
            code = CHILD.format(root=root, url=args.url, events=args.events)
            out = subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"round {n} {root}: {r['events']:,} events, decode {r['decode_us']:.2f} µs, "
                f"fold {r['fold_us']:.2f} µs per event, final rows {r['rows_s']:.2f} s CPU "
                f"(rows {r['digest']})",
                flush=True,
            )


if __name__ == "__main__":
    main()
