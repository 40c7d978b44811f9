"""bench/machine_stalls.py: the late wake-ups of a step, from a watcher per CPU."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from machine_stalls import LATE_MS, MachineStalls  # noqa: E402


def test_a_stopped_machine_is_seen_late_and_every_watcher_stops() -> None:
    """SIGSTOP freezes the watchers as a host that does not run the CPU would: each wakes up
    late by about the pause; and ``__exit__`` returns (every watcher saw its stop)."""
    with MachineStalls() as stalls:
        time.sleep(0.3)
        watchers = [watcher.pid for watcher in stalls.watchers]
        assert len(watchers) == len(os.sched_getaffinity(0))
        for pid in watchers:
            os.kill(pid, signal.SIGSTOP)
        time.sleep(0.3)
        for pid in watchers:
            os.kill(pid, signal.SIGCONT)
        time.sleep(0.1)
    assert len(stalls.late) >= len(watchers)
    assert all(late > LATE_MS for late in stalls.late)
    assert max(stalls.late) >= 250
    assert stalls.summary().startswith(f"{len(stalls.late)} over 20 ms, max ")


def test_a_quiet_step_reports_none() -> None:
    stalls = MachineStalls()
    assert stalls.summary() == "none over 20 ms"
