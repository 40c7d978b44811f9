"""A CPU cgroup of PostgreSQL's own, as a systemd unit or a container would give it.

Why: PostgreSQL starts every backend in a session of its own (``setsid``), and with the kernel's
autogroup on (Debian's default) every session is a scheduling group, so every connection is a
group. On the bench machine the backends then waited 0.15-0.3 s at a time for a CPU behind the
web workers, and read routes' p99 reached 0.4-1.6 s (docs/benchmarks.md, "Fifteenth session").
The kernel applies autogroup only to tasks in the root CPU cgroup (``task_wants_autogroup`` in
``kernel/sched/autogroup.c``), so a postmaster moved into a cgroup of its own takes its backends
with it, into one group, and autogroup no longer splits them.

``place`` does that when all of these hold, and otherwise says why not and changes nothing:
autogroup is on, the process is in the root CPU cgroup (under systemd or in a container it
already has a group of its own), and a CPU controller is mounted where we may write (root).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

GROUP = "sirisma-postgres"  # one group for every PostgreSQL this machine's SI-RISMA starts
AUTOGROUP = Path("/proc/sys/kernel/sched_autogroup_enabled")
MOUNTS = Path("/proc/self/mounts")


@dataclass(frozen=True)
class Placement:
    """Where ``place`` put the process (``group``), or why it left it (``reason``)."""

    group: Path | None
    reason: str

    def __str__(self) -> str:
        return self.reason


def cpu_hierarchy(mounts: str, proc_cgroup: str) -> tuple[Path, str] | None:
    """The CPU controller's mount point and the process's path in it, from ``/proc/self/mounts``
    and ``/proc/<pid>/cgroup``: cgroup v1's ``cpu`` hierarchy, else cgroup v2's unified one."""
    v1 = v2 = None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        if fields[2] == "cgroup" and "cpu" in fields[3].split(","):
            v1 = Path(fields[1])
        elif fields[2] == "cgroup2" and v2 is None:
            v2 = Path(fields[1])
    for line in proc_cgroup.splitlines():
        number, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if v1 is not None and "cpu" in controllers.split(","):
            return v1, path
        if v1 is None and v2 is not None and number == "0" and controllers == "":
            return (v2, path) if "cpu" in _read(v2 / "cgroup.subtree_control").split() else None
    return None


def plan(autogroup: str, mounts: str, proc_cgroup: str) -> Placement:
    """The decision, from the three files' text (kept apart from the writes for the tests)."""
    if autogroup.strip() != "1":
        return Placement(None, "autogroup is off: the backends share the root group already")
    found = cpu_hierarchy(mounts, proc_cgroup)
    if found is None:
        return Placement(None, "no CPU cgroup controller is mounted")
    root, path = found
    if path.strip() not in ("", "/"):
        return Placement(None, f"already in CPU cgroup {path.strip()}: autogroup does not apply")
    return Placement(root / GROUP, f"CPU cgroup {GROUP}")


def place(pid: int) -> Placement:
    """Move ``pid`` and the children it has forked so far into ``GROUP``; children forked later
    are born there. Moves the parent first, so no child can be forked outside in between."""
    decision = plan(_read(AUTOGROUP), _read(MOUNTS), _read(Path(f"/proc/{pid}/cgroup")))
    if decision.group is None:
        return decision
    procs = decision.group / "cgroup.procs"
    try:
        decision.group.mkdir(exist_ok=True)
        procs.write_text(str(pid))
        for child in _children(pid):  # listed after the move: none forked outside is missed
            with contextlib.suppress(ProcessLookupError):  # a child that already exited
                procs.write_text(str(child))
    except OSError as exc:
        return Placement(None, f"could not use CPU cgroup {GROUP}: {exc.strerror or exc}")
    return decision


def release(placement: Placement) -> None:
    """Remove the group once no process is left in it (another server may still use it)."""
    if placement.group is not None:
        with contextlib.suppress(OSError):
            placement.group.rmdir()


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        stat = _read(Path(entry.path) / "stat")
        # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after it.
        after = stat.rpartition(")")[2].split()
        if len(after) > 1 and after[1] == str(pid):
            found.append(int(entry.name))
    return found


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
