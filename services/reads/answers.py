"""Encoded answers of the busiest read routes, kept per worker process and served again only
while the read models they were read from have not moved.

An answer is stored with the marks (``projections.queries.common.MARK``: position and
projection signature, per model) its own statement read, so it is exactly the state at those
marks. A request first reads the models' current marks from the database (one statement);
equal marks mean the same rows (rows and position commit in one transaction, and a read model
is a pure function of the log under one signature), so the stored answer is the one the query
would give now. A write by any process (a worker, the CLI, the projector) moves a mark, so the
next request anywhere reads afresh; after a read-your-writes wait the current marks are at
least the awaited position, so an answer older than it never matches.

The key is the caller's: route, query string, the principal's scope and whatever time the
answer depends on (``services.reads.routes``). Authentication and guards run before the
handler, so a revoked session never reaches a stored answer.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

#: Entries kept per process (least recently used dropped first), the largest answer kept and
#: the bytes all kept answers may take together (per worker process).
MAX_ENTRIES = 1024
MAX_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024
#: A stored answer is read again after this many seconds even when its models have not moved:
#: a broad list's ``total`` can be PostgreSQL's estimate, itself reused only this long
#: (``projections.queries.common.ESTIMATE_SECONDS``).
MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Answer:
    marks: tuple[str | None, ...]
    position: int
    body: bytes
    stored: float


class Answers:
    """A bounded map from a request's key to its encoded answer and the marks it shows."""

    def __init__(self, max_entries: int | None = None, max_total_bytes: int | None = None) -> None:
        self.max_entries = MAX_ENTRIES if max_entries is None else max_entries
        self.max_total_bytes = MAX_TOTAL_BYTES if max_total_bytes is None else max_total_bytes
        self.total_bytes = 0
        self._entries: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        #: Keys whose answer a request is reading now (``routes._respond_kept``; event loop only).
        self.flights: dict[Hashable, asyncio.Event] = {}

    def get(self, key: Hashable, marks: tuple[str | None, ...]) -> Answer | None:
        """The stored answer for ``key`` if it shows exactly ``marks`` (read just now)."""
        with self._lock:
            found = self._entries.get(key)
            if (
                found is None
                or found.marks != marks
                or None in marks
                or time.monotonic() - found.stored > MAX_AGE_SECONDS
            ):
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, marks: tuple[str | None, ...], position: int, body: bytes) -> None:
        if None in marks or len(body) > MAX_BYTES:
            return  # a model without a position yet, or too large to be worth keeping
        with self._lock:
            replaced = self._entries.pop(key, None)
            if replaced is not None:
                self.total_bytes -= len(replaced.body)
            self._entries[key] = Answer(marks, position, body, time.monotonic())
            self.total_bytes += len(body)
            while len(self._entries) > self.max_entries or self.total_bytes > self.max_total_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.total_bytes -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.total_bytes = 0
