"""``bench/suite.stalls`` finds where the read models stood still while a command waited, so a
missed live-lag p99 says what it came from (issue 19, target 4)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def suite() -> ModuleType:
    sys.path.insert(0, str(BENCH))  # suite imports its sibling datagen
    try:
        spec = importlib.util.spec_from_file_location("bench_suite", BENCH / "suite.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_a_pause_with_a_command_waiting_is_a_stall_from_that_commit(suite: ModuleType) -> None:
    # Positions seen at these times (s); commands (notification id, commit time).
    positions = [10, 12, 14, 20]
    times = [0.000, 0.010, 0.020, 0.400]
    sent = [(11, 0.005), (12, 0.008), (13, 0.015), (15, 0.100), (20, 0.390)]
    # 14 -> 20 took 380 ms, but the first command it covers committed at 0.100: 300 ms waited.
    [(start, length)] = suite.stalls(positions, times, sent)
    assert start == pytest.approx(0.100)
    assert length == pytest.approx(300.0)


def test_a_quiet_log_is_no_stall(suite: ModuleType) -> None:
    # A long gap between positions, but nothing was committed in it until just before the move.
    positions = [10, 11, 12]
    times = [0.000, 1.000, 1.050]
    sent = [(11, 0.990), (12, 1.040)]
    assert suite.stalls(positions, times, sent) == []
