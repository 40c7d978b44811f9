"""``bench/run --quick`` end to end at a tiny scale, so the benchmarks cannot rot unnoticed.

Runs the real script (its own PostgreSQL and Redis, uvicorn, wrk, the projector process) and
checks the report it writes: every section, every baseline, every ratio. No timing is asserted:
numbers on a shared CI machine mean nothing; that the suite still runs and reports does.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HAND_WRITTEN = "<!-- written by hand below this line; bench/run keeps it -->"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("bench") / "benchmarks.md"
    out.write_text(f"# an older report\n\n{HAND_WRITTEN}\n\n## Notes by hand\n\nkept.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIRISMA_")}
    result = subprocess.run(
        [str(ROOT / "bench" / "run"), "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out.read_text()


def test_every_benchmark_reports_with_its_baseline(report: str) -> None:
    for title in (
        "## Data",
        "## Projection rebuild",
        "## Read routes at national scale",
        "## Inbox unread count",
        "## Write path through HTTP",
        "## Write path: the store alone",
        "## Live lag",
        "## Write path against its yardsticks",
        "## A command's cost against its stream's length",
        "## Auditor: state as of a version",
        "## Memory",
        "## Machine and versions",
    ):
        assert title in report
    assert "library `ProjectionRunner`" in report
    assert "`select_notifications`" in report
    assert "`/health/live` (HTTP floor" in report
    assert "bench/run --quick" in report  # how to reproduce
    assert "| kernel autogroup |" in report  # it decides whether PostgreSQL's backends stall
    assert "| PostgreSQL's CPU group |" in report  # and whether it reaches them (cpu_group)


def test_the_generated_log_verifies_and_every_command_succeeded(report: str) -> None:
    assert "hash chain: Rantai utuh" in report
    write = report.split("## Write path through HTTP")[1].split("##")[0]
    rows = [r for r in write.splitlines() if re.match(r"\| (1|8|32) \|", r)]
    assert len(rows) == 3
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[4] == "0", f"HTTP errors in the write run: {row}"
        assert cells[-1].endswith("%")
    lag = report.split("## Live lag")[1].split("##")[0]
    for model in ("innovations", "directory"):
        row = next(r for r in lag.splitlines() if r.startswith(f"| {model} |"))
        assert row.split("|")[4].strip() == "0", f"commands never seen by {model}: {row}"
    assert re.search(r"- stalls \(no position moved for over 100 ms.*\): (none|at \d)", lag)


def test_read_routes_answered_without_errors(report: str) -> None:
    section = report.split("## Read routes at national scale")[1].split("##")[0]
    rows = [r for r in section.splitlines() if r.startswith("| ") and "route" not in r]
    labels = [r.strip("|").split("|")[0].strip() for r in rows]
    assert labels[0].startswith("`/health/live`")  # the floor first, then every read route
    for route in ("status board", "review queue", "search `q=stunting`", "public catalogue"):
        assert any(label.startswith(route) for label in labels), (route, labels)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[4] == "0", row
        assert cells[5].endswith("×")
        assert cells[-1] == "–" or cells[-1].endswith(", 0 errors"), row  # read afresh too
    for row in rows[1:]:  # each route's own timing by the one-at-a-time client, next to wrk's
        cells = [c.strip() for c in row.strip("|").split("|")]
        probe = cells[-2]
        assert re.fullmatch(r"p99 [\d.,]+ ms, max [\d.,]+ (ms|s) \([\d,]+ requests\)", probe), row


def test_every_target_of_issue_19_is_in_the_targets_table(report: str) -> None:
    table = report.split("## Targets")[1].split("\n## ")[0]
    for what in (
        "the claim against the floor route",
        "the claim against the plain-library route",
        "the claim's CPU per request",
        "database round trips per claim",
        "`/health/live` CPU per request",
        "read route at national scale: status board",
        "read route at national scale: review queue",
        "read route at national scale: search `q=desa`",
        "read route at national scale: public catalogue",
        "projection rebuild",
        "live lag, read model `innovations`",
        "a command's cost at 1,000 events in its stream (warm)",
        "a command's cost at 1,000 events in its stream (cold)",
        "inbox page and unread count",
    ):
        assert what in table, what
    assert "raw psycopg" not in table  # retired: it measured the framework
    rows = [r for r in table.splitlines() if r.startswith("| ")][1:]  # below the header
    assert len(rows) >= 14
    for row in rows:
        assert row.rstrip(" |").endswith(("met", "MISSED")), row
    (claim,) = [r for r in rows if "the claim against the floor route" in r]
    # its spread over the rounds beside the verdict: one ratio per round
    assert re.search(r"round by round \d+\.\d\d×, \d+\.\d\d×, \d+\.\d\d×\)", claim), claim


def test_the_notes_written_by_hand_outlive_the_run(report: str) -> None:
    assert "# an older report" not in report  # the generated part is new
    generated, marker, kept = report.partition(HAND_WRITTEN)
    assert marker and "## Targets" in generated
    assert "## Notes by hand" in kept and "kept." in kept
