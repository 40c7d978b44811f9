"""PostgreSQL's buffer pool for the servers SI-RISMA starts or describes (``sirisma cluster``,
compose.yaml's default, the bench's server): a quarter of the machine's memory, from 128 MB
(PostgreSQL's own default) up to 8 GB.

PostgreSQL's default is smaller than the read models of a regency with a few years of
innovations. At national scale (30,000 innovations) the live projector, the commands and
autovacuum then push each other's pages out, and every read model stood still for 100–400 ms
whenever a vacuum ran; with 2 GB the same runs had no such pause (docs/benchmarks.md,
"Eleventh session").
"""

from __future__ import annotations

import os
from pathlib import Path

SMALLEST_MB = 128
LARGEST_MB = 8192
CGROUP_LIMIT = Path("/sys/fs/cgroup/memory.max")


def shared_buffers(memory_bytes: int | None = None) -> str:
    """``shared_buffers`` for a machine with ``memory_bytes`` (default: this one)."""
    memory = machine_memory() if memory_bytes is None else memory_bytes
    return f"{max(SMALLEST_MB, min(LARGEST_MB, memory // 4 // 2**20))}MB"


def machine_memory() -> int:
    """Physical memory, or the container's limit when it is lower."""
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        limit = CGROUP_LIMIT.read_text().strip()
    except OSError:
        return memory
    return min(memory, int(limit)) if limit.isdigit() else memory
