"""The claim's CPU per request over HTTP against the floor route's, in alternating rounds.

    uv run python bench/claim_cpu.py [--rounds 3] [--seconds 4]

A quicker companion to ``bench/write_baselines.py`` for before/after work on the write path
(issue 19): the same servers (uvicorn, 2 workers), the same ``wrk`` scripts at 8 clients, but
only the claim ``PUT /api/innovations/{id}/indicators/{no}`` and the floor route, measured in
turns so that the load of other processes on the machine falls on both alike. Prints, per
round, the workers' CPU µs per request (user + system) of each and their ratio, and the CPU µs per
request of the whole PostgreSQL cluster (every process of the postmaster: backends, WAL writer,
checkpointer) in the same window: on 2 cores shared with PostgreSQL, throughput is about one over
the sum of the two.

``--base DIR``: also serve SI-RISMA from another checkout of the code (e.g. ``git archive main``
unpacked in a temporary folder; same database, same virtualenv) and measure its claim in the
same rounds, between the two others: a before/after of a change in one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import suite  # noqa: E402
import write_baselines  # noqa: E402


def postgres_pids() -> list[int]:
    """The run's PostgreSQL: its postmaster and every process it started."""
    pg = suite._POSTGRES[-1]
    postmaster = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
    pids = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            pids.append(int(stat.parent.name))
    return pids


def postgres_cpu() -> float:
    """CPU seconds of the cluster's processes (backends come and go with the pools: the sum is
    taken over the processes alive at each reading; pools keep theirs for the whole run)."""
    return write_baselines.cpu_seconds(postgres_pids())


def load(server: suite.Server, script: str, seconds: float) -> tuple[float, float, float]:
    """requests/s, the workers' CPU µs per request and PostgreSQL's CPU µs per request."""
    pids = server.workers()
    before, pg_before = write_baselines.cpu_seconds(pids), postgres_cpu()
    res = suite.wrk(server.base + "/", seconds, 8, 8, script=script)
    used, pg_used = write_baselines.cpu_seconds(pids) - before, postgres_cpu() - pg_before
    time.sleep(1.0)
    if res.errors:
        print(f"  {res.errors} errors of {res.requests} requests", flush=True)
    n = max(res.requests, 1)
    return res.rps, used / n * 1e6, pg_used / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--base", default=None, help="another checkout to compare the claim with")
    args = parser.parse_args()
    with write_baselines.seeded("sirisma-bench-claim-", 10) as (settings, regency):
        _, put_script = write_baselines.claim_script(settings, regency)
        sirisma = suite.Server(settings, 2)
        baseline = suite.Server(
            settings,
            2,
            app="bench.baseline_apps:create_app",
            env={"BENCH_DATABASE_URL": settings.database_url},
            ready="/health/live",
        )
        floor_script = write_baselines.WRK_PUT % {"path": "/floor/"}
        other = None
        if args.base:
            root = suite.ROOT
            suite.ROOT = Path(args.base).resolve()  # the server's working directory: its code
            try:
                other = suite.Server(settings, 2)
            finally:
                suite.ROOT = root
        try:
            write_baselines.load(sirisma, "/", 2, put_script)  # warm-up
            write_baselines.load(baseline, "/", 2, floor_script)
            if other is not None:
                write_baselines.load(other, "/", 2, put_script)
            head = (
                "| round | claim req/s | claim CPU µs | claim PG µs | floor req/s | floor CPU µs"
                " | floor PG µs | ratio (server) | ratio (server + PG) |"
            )
            if other is not None:
                head += " base claim req/s | base claim CPU µs | base claim PG µs | base ratio |"
            print(head)
            print("|---" * (head.count("|") - 1) + "|")
            for r in range(args.rounds):
                # The base's claim first in every other round: the machine's load drifts, and
                # whichever runs later in a round would otherwise always meet the later load.
                if other is not None and r % 2:
                    base_rps, base_cpu, base_pg = load(other, put_script, args.seconds)
                put_rps, put_cpu, put_pg = load(sirisma, put_script, args.seconds)
                floor_rps, floor_cpu, floor_pg = load(baseline, floor_script, args.seconds)
                floor_all = floor_cpu + floor_pg
                line = (
                    f"| {r + 1} | {put_rps:,.0f} | {put_cpu:,.0f} | {put_pg:,.0f} | "
                    f"{floor_rps:,.0f} | {floor_cpu:,.0f} | {floor_pg:,.0f} | "
                    f"{put_cpu / floor_cpu:.2f}× | {(put_cpu + put_pg) / floor_all:.2f}× |"
                )
                if other is not None:
                    if not r % 2:
                        base_rps, base_cpu, base_pg = load(other, put_script, args.seconds)
                    line += (
                        f" {base_rps:,.0f} | {base_cpu:,.0f} | {base_pg:,.0f} |"
                        f" {(base_cpu + base_pg) / floor_all:.2f}× |"
                    )
                print(line, flush=True)
        finally:
            sirisma.close()
            baseline.close()
            if other is not None:
                other.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
