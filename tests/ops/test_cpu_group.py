"""PostgreSQL in a CPU cgroup of its own, so autogroup does not make each backend a group."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

import pytest

from services.ops import cpu_group
from services.ops.cluster import Process
from tests.servers import PostgresServer

V1_MOUNTS = """\
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
"""
V1_ROOT = "9:name=systemd:/\n4:memory:/somewhere\n1:cpu:/\n0::/\n"


def test_autogroup_off_leaves_the_process_where_it_is() -> None:
    placement = cpu_group.plan("0\n", V1_MOUNTS, V1_ROOT)
    assert placement.group is None
    assert "autogroup is off" in placement.reason


def test_a_process_in_the_root_cpu_group_of_cgroup_v1_gets_the_group() -> None:
    placement = cpu_group.plan("1\n", V1_MOUNTS, V1_ROOT)
    assert placement.group == Path("/sys/fs/cgroup/cpu") / cpu_group.GROUP


def test_a_process_that_has_a_group_already_is_left_alone() -> None:
    """A systemd unit or a container: autogroup does not apply there, nothing to do."""
    service = V1_ROOT.replace("1:cpu:/", "1:cpu:/system.slice/postgresql.service")
    placement = cpu_group.plan("1\n", V1_MOUNTS, service)
    assert placement.group is None
    assert "/system.slice/postgresql.service" in placement.reason


def test_cgroup_v2_only_where_the_cpu_controller_is_enabled(tmp_path: Path) -> None:
    mounts = f"cgroup2 {tmp_path} cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
    (tmp_path / "cgroup.subtree_control").write_text("memory pids\n")
    assert cpu_group.plan("1", mounts, "0::/\n").group is None
    (tmp_path / "cgroup.subtree_control").write_text("cpuset cpu io memory pids\n")
    assert cpu_group.plan("1", mounts, "0::/\n").group == tmp_path / cpu_group.GROUP
    assert cpu_group.plan("1", mounts, "0::/user.slice/session-2.scope\n").group is None


def test_no_cpu_controller_mounted() -> None:
    placement = cpu_group.plan("1", "proc /proc proc rw 0 0\n", "0::/\n")
    assert placement.group is None
    assert "no CPU cgroup" in placement.reason


def test_the_session_server_and_its_new_backends_are_where_the_decision_says(
    postgres_server: PostgresServer,
) -> None:
    """On a machine that allows it (root, autogroup on, a CPU controller), the test server's
    backends share its group; elsewhere the server says why it stayed put."""
    if not postgres_server.managed:
        return  # a server given by URL is the caller's to place
    placement = postgres_server.cpu_placement
    assert placement is not None
    with postgres_server.connect() as conn:  # read while the backend lives
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        lines = Path(f"/proc/{backend}/cgroup").read_text()
        procs = (placement.group / "cgroup.procs").read_text() if placement.group else ""
    if placement.group is None:
        assert cpu_group.GROUP not in lines, placement.reason
        return
    assert f"/{cpu_group.GROUP}\n" in lines
    assert str(backend) in procs.split()


def test_the_cluster_places_a_process_that_asks_for_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``sirisma cluster`` asks for PostgreSQL (``Process.own_cpu_group``) and logs where it
    went, or why not."""
    process = Process(
        name="postgres",
        argv=["sleep", "30"],
        env={},
        log_path=tmp_path / "postgres.log",
        own_cpu_group=True,
    )
    with caplog.at_level(logging.INFO, logger="sirisma.cluster"):
        process.start()
    try:
        assert process.pid is not None
        expected = cpu_group.plan(
            cpu_group.AUTOGROUP.read_text() if cpu_group.AUTOGROUP.exists() else "",
            cpu_group.MOUNTS.read_text(),
            Path("/proc/self/cgroup").read_text(),  # where the child was born
        )
        lines = Path(f"/proc/{process.pid}/cgroup").read_text()
        logged = [r.getMessage() for r in caplog.records if "scheduling" in r.getMessage()]
        if expected.group is None:
            assert logged == [f"postgres scheduling: {expected.reason}"]
            assert f"/{cpu_group.GROUP}\n" not in lines
        elif f"/{cpu_group.GROUP}\n" in lines:
            assert logged == [f"postgres scheduling: CPU cgroup {cpu_group.GROUP}"]
        else:  # e.g. not root: said, and nothing moved
            assert logged[0].startswith("postgres scheduling: could not use CPU cgroup")
    finally:
        process.signal(signal.SIGKILL)
        process.wait(time.monotonic() + 5)
