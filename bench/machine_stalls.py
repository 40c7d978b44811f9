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
import json
import os
import subprocess
import sys
import time

LATE_MS = 20.0
NAP = 0.001


class MachineStalls:
    """Late wake-ups on every CPU while the ``with`` block runs."""

    def __init__(self) -> None:
        self.late: list[float] = []  # ms, every CPU's together
        self._child: subprocess.Popen[str] | None = None

    def __enter__(self) -> MachineStalls:
        self._child = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *_: object) -> None:
        assert self._child is not None
        out = self._child.communicate("stop\n", timeout=30)[0]
        self.late = json.loads(out or "[]")

    def summary(self) -> str:
        if not self.late:
            return f"none over {LATE_MS:.0f} ms"
        return f"{len(self.late)} over {LATE_MS:.0f} ms, max {max(self.late):,.0f} ms"


def _watch(cpu: int, stop: int, write: int) -> None:
    """In a forked child: nap on ``cpu`` until ``stop`` closes; late wake-ups to ``write``."""
    os.sched_setaffinity(0, {cpu})
    with contextlib.suppress(PermissionError):  # not root: the priority it has
        os.nice(-20)
    late = []
    os.set_blocking(stop, False)
    while True:
        started = time.perf_counter()
        time.sleep(NAP)
        took = (time.perf_counter() - started) * 1000
        if took > LATE_MS:
            late.append(round(took, 1))
        try:
            if not os.read(stop, 1):  # the parent closed it
                break
        except BlockingIOError:
            continue
    os.write(write, json.dumps(late).encode())
    os._exit(0)


def _main() -> None:
    """The child: one watcher per CPU (forked: each its own process), stopped by a line on
    stdin; every late wake-up printed as one JSON list."""
    stops: list[int] = []
    results: list[int] = []
    for cpu in sorted(os.sched_getaffinity(0)):
        stop_read, stop_write = os.pipe()
        read, write = os.pipe()
        if os.fork() == 0:
            for inherited in [*stops, *results, read, stop_write]:  # else no EOF ever comes
                os.close(inherited)
            _watch(cpu, stop_read, write)
        os.close(stop_read)
        os.close(write)
        stops.append(stop_write)
        results.append(read)
    sys.stdin.readline()
    for stop in stops:
        os.close(stop)
    late: list[float] = []
    for read in results:
        with os.fdopen(read) as f:
            late += json.loads(f.read() or "[]")
    for _ in results:
        os.wait()
    print(json.dumps(late))


if __name__ == "__main__":
    _main()
