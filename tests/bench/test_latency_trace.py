"""``bench/latency_trace.wrk_corrected_p99`` recomputes wrk's printed p99 from the requests'
own latencies: wrk 4 corrects its histogram for coordinated omission, so one stalled request
can move a 10 s run's p99 by hundreds of milliseconds (issue 19, target 2)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _latency_trace() -> ModuleType:
    spec = importlib.util.spec_from_file_location("latency_trace", BENCH / "latency_trace.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_stalled_request_is_a_p99_of_hundreds_of_milliseconds() -> None:
    trace = _latency_trace()
    interval = 6_400  # µs: 2,500 requests/s over 16 connections
    fast = [5_000] * 20_000
    assert trace.wrk_corrected_p99(sorted(fast), interval) == 5_000
    # One request of 2 s adds ~310 samples from 1.99 s down to the interval: over 1 % of the
    # run, so the p99 lands among them.
    stalled = sorted([*fast[:-1], 2_000_000])
    assert trace.wrk_corrected_p99(stalled, interval) > 500_000
    # Its own p99 does not move.
    assert stalled[int(0.99 * len(stalled))] == 5_000


def test_latencies_under_twice_the_interval_are_taken_as_they_are() -> None:
    trace = _latency_trace()
    values = sorted([1_000] * 98 + [12_000, 12_700])
    assert trace.wrk_corrected_p99(values, 6_400) == 12_700
