"""How late a sleeping process of the highest priority wakes up while a bench step runs.

One process per CPU, pinned to it, at nice -20 when the bench runs as root, sleeps 1 ms at a
time and records every wake-up more than ``LATE_MS`` late. Nothing of ours on that CPU can
run before it, so a late wake-up is time when nothing of ours could run there: the host did
not run the vCPU, the kernel held it, or a scheduling group the watcher is not in had it. The
last was what the bench met: with the kernel's autogroup on, PostgreSQL, uvicorn and wrk each
in a session of their own were scheduling groups of their own. These watchers, and every
uvicorn thread, then woke 0.1–1.4 s late several times per 10 s of a read route's load, and
wrk's slowest request lined up with one of those. Since the bench keeps its processes in one
session (tests/servers.py, "Sessions"), a late wake-up here is a stall the route's requests
met too (docs/benchmarks.md, "Thirteenth session").

    with MachineStalls() as stalls:
        ...  # the measured step
    stalls.summary()  # "5 over 20 ms, max 468 ms"
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from typing import Any

LATE_MS = 20.0
NAP = 0.001


class MachineStalls:
    """Late wake-ups on every CPU while the ``with`` block runs."""

    def __init__(self) -> None:
        self.late: list[float] = []  # ms, every CPU's together
        self.watchers: list[Any] = []

    def __enter__(self) -> MachineStalls:
        # Spawned, not forked: the bench has threads running (a forked child copies their locks).
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._results: Any = context.Queue()
        napping = context.Semaphore(0)
        self.watchers = [
            context.Process(
                target=_watch, args=(cpu, os.getpid(), napping, self._stop, self._results)
            )
            for cpu in sorted(os.sched_getaffinity(0))
        ]
        for watcher in self.watchers:
            watcher.start()
        for _ in self.watchers:  # the step is watched from its start
            napping.acquire(timeout=60)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for _ in self.watchers:
            self.late += self._results.get(timeout=30)
        for watcher in self.watchers:
            watcher.join(30)

    def summary(self) -> str:
        if not self.late:
            return f"none over {LATE_MS:.0f} ms"
        return f"{len(self.late)} over {LATE_MS:.0f} ms, max {max(self.late):,.0f} ms"


def _watch(cpu: int, parent: int, napping: Any, stop: Any, results: Any) -> None:
    """Nap on ``cpu`` until ``stop`` is set, or the bench that started it is gone (a killed
    bench leaves no watcher behind); the late wake-ups to ``results``."""
    os.sched_setaffinity(0, {cpu})
    with contextlib.suppress(PermissionError):  # not root: the priority it has
        os.nice(-20)
    late = []
    napping.release()
    while not stop.is_set() and os.getppid() == parent:
        started = time.perf_counter()
        time.sleep(NAP)
        took = (time.perf_counter() - started) * 1000
        if took > LATE_MS:
            late.append(round(took, 1))
    results.put(late)
