"""The claim's CPU per request over HTTP against the floor route's, in alternating rounds.

    uv run python bench/claim_cpu.py [--rounds 3] [--seconds 4]

A quicker companion to ``bench/write_baselines.py`` for before/after work on the write path
(issue 19): the same servers (uvicorn, 2 workers), the same ``wrk`` scripts at 8 clients, but
only the claim ``PUT /api/innovations/{id}/indicators/{no}`` and the floor route, measured in
turns so that the load of other processes on the machine falls on both alike. Prints, per
round, the workers' CPU µs per request (user + system) of each and their ratio.

``--base DIR``: also serve SI-RISMA from another checkout of the code (e.g. ``git archive main``
unpacked in a temporary folder; same database, same virtualenv) and measure its claim in the
same rounds, between the two others: a before/after of a change in one run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import suite  # noqa: E402
import write_baselines  # noqa: E402


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
            head = "| round | claim req/s | claim CPU µs | floor req/s | floor CPU µs | ratio |"
            if other is not None:
                head += " base claim req/s | base claim CPU µs | base ratio |"
            print(head)
            print("|---" * (head.count("|") - 1) + "|")
            for r in range(args.rounds):
                put_rps, put_cpu = write_baselines.load(sirisma, "/", args.seconds, put_script)
                floor_rps, floor_cpu = write_baselines.load(
                    baseline, "/", args.seconds, floor_script
                )
                line = (
                    f"| {r + 1} | {put_rps:,.0f} | {put_cpu:,.0f} | {floor_rps:,.0f} | "
                    f"{floor_cpu:,.0f} | {put_cpu / floor_cpu:.2f}× |"
                )
                if other is not None:
                    base_rps, base_cpu = write_baselines.load(other, "/", args.seconds, put_script)
                    line += f" {base_rps:,.0f} | {base_cpu:,.0f} | {base_cpu / floor_cpu:.2f}× |"
                print(line, flush=True)
        finally:
            sirisma.close()
            baseline.close()
            if other is not None:
                other.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
