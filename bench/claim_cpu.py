"""The claim's CPU per request over HTTP against the floor route's, in alternating rounds.

    uv run python bench/claim_cpu.py [--rounds 3] [--seconds 4]

A quicker companion to ``bench/write_baselines.py`` for before/after work on the write path
(issue 19): the same servers (uvicorn, 2 workers), the same ``wrk`` scripts at 8 clients, but
only the claim ``PUT /api/innovations/{id}/indicators/{no}`` and the floor route, measured in
turns so that the load of other processes on the machine falls on both alike. Prints, per
round, the workers' CPU µs per request (user + system) of each and their ratio.
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
        try:
            write_baselines.load(sirisma, "/", 2, put_script)  # warm-up
            write_baselines.load(baseline, "/", 2, floor_script)
            print("| round | claim req/s | claim CPU µs | floor req/s | floor CPU µs | ratio |")
            print("|---|---|---|---|---|---|")
            for r in range(args.rounds):
                put_rps, put_cpu = write_baselines.load(sirisma, "/", args.seconds, put_script)
                floor_rps, floor_cpu = write_baselines.load(
                    baseline, "/", args.seconds, floor_script
                )
                print(
                    f"| {r + 1} | {put_rps:,.0f} | {put_cpu:,.0f} | {floor_rps:,.0f} | "
                    f"{floor_cpu:,.0f} | {put_cpu / floor_cpu:.2f}× |",
                    flush=True,
                )
        finally:
            sirisma.close()
            baseline.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
