"""How a live runner cuts a page of the log into transactions.

A page applied in one transaction becomes visible all at once, when its last event is written:
the first events of a backlog (the ones that waited longest) wait again for the whole page. Cut
into a few slices committed one after the other, the first slice shows while the rest is still
being applied. Each slice costs a transaction (a lock, an update, a commit), so a page is cut
into at most ``most`` slices, none smaller than ``least`` events: a backlog twice as long gets
slices twice as long, and the runner's throughput falls by a bounded factor, never into a spiral
of ever more transactions. A full page (far behind: catching up) is not cut at all.

Why it does not lengthen the tail: a backlog of ``least`` × k events comes from a pause of at
least that many events' worth of time (80 ms at 800 commands/s for 64); cutting it into k
slices delays its youngest events by k - 1 transactions' fixed cost (a few round trips, since
``Session.pipelined``), less than the pause its oldest events no longer wait again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

DEFAULT_LEAST = 32
DEFAULT_MOST = 4


def slices(rows: Sequence[T], least: int, most: int) -> Iterator[Sequence[T]]:
    """``rows`` in order, in at most ``most`` consecutive slices of at least ``least`` rows (the
    last may be shorter), as even as that allows; ``least <= 0``: all in one."""
    if not rows:
        return
    count = 1 if least <= 0 else max(1, min(most, len(rows) // least))
    size = -(-len(rows) // count)
    for at in range(0, len(rows), size):
        yield rows[at : at + size]
