"""The buffer pool SI-RISMA gives PostgreSQL: a quarter of memory, within bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.ops import pg_memory

GIB = 2**30


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        (256 * 2**20, "128MB"),  # a tiny machine keeps PostgreSQL's default
        (4 * GIB, "1024MB"),
        (23 * GIB, "5888MB"),
        (256 * GIB, "8192MB"),  # capped
    ],
)
def test_a_quarter_of_memory_within_bounds(memory: int, expected: str) -> None:
    assert pg_memory.shared_buffers(memory) == expected


def test_a_container_limit_below_the_machine_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = tmp_path / "memory.max"
    limit.write_text(f"{2 * GIB}\n")
    monkeypatch.setattr(pg_memory, "CGROUP_LIMIT", limit)
    assert pg_memory.machine_memory() == min(2 * GIB, _physical())
    limit.write_text("max\n")
    assert pg_memory.machine_memory() == _physical()


def _physical() -> int:
    import os

    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
