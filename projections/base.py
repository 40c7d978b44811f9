"""The contract every read model implements, so one runner can feed them all.

A projection owns a few tables. The runner hands it batches of decoded events inside one
transaction and then records the new tracking position in that same transaction, so a crash
never loses or doubles an event. ``suffix`` names shadow tables during a rebuild: the runner
builds ``<table><suffix>`` from the whole log and swaps them in, so readers never see a
half-built model.

Rules for implementers (the runner relies on them):

- ``schema(dialect, suffix)`` puts ``suffix`` in every table AND index name it creates
  (``CREATE INDEX IF NOT EXISTS {table}{suffix}_by_x ON {table}{suffix} …``); after a swap the
  runner renames them back (PostgreSQL) or recreates them from ``schema(dialect, "")`` (SQLite).
- ``apply`` is a pure function of the events it is given and the rows already in its own
  tables: no wall clock, no reads of other models' tables, no side effects outside ``tx``.
  That is what makes a rebuild equal the live model, row for row.
- Optional members, used when present:

  ``topics: frozenset[str]`` — the event topics it wants (others are not even decoded for it);
  absent or ``None`` means every event.

  ``fold(tx, batch, suffix)`` / ``flush(tx, suffix)`` / ``discard()`` — the rebuild's fast
  path: ``fold`` updates in-memory state (reading its rows once per key), ``flush`` writes every
  changed row once, ``discard`` forgets in-memory state after a rolled-back transaction. When a
  projection has them, ``apply`` must equal ``fold`` followed by ``flush``. If ``flush`` takes a
  ``final`` keyword, a rebuild passes ``final=False`` at intermediate checkpoints: the
  projection may then save only what it needs to resume, as long as the final flush completes
  every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import msgspec

from services.db import Tx
from services.domain.events import Event


class Envelope(msgspec.Struct, frozen=True, gc=False):
    """One event as read from the notification log: its position and the decoded event.
    Untracked by the collector (``gc=False``), as events are: it holds no cycle.

    ``key`` is ``str(event.originator_id)`` and ``time`` the event's timestamp as fixed-width
    UTC text (``projections.sql.ts``), computed once per event for every model (the runner fills
    them; most read models key their rows by the one and stamp them with the other)."""

    notification_id: int
    topic: str
    event: Event
    key: str = ""
    time: str = ""


class Projection(Protocol):
    name: str  # unique; also the key of its tracking position
    tables: tuple[str, ...]  # every table it owns (rebuilt and swapped together)

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        """CREATE TABLE / INDEX statements for its tables (``IF NOT EXISTS``), with suffix."""
        ...

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        """Apply a batch of events in order, inside ``tx``; write each row once per batch."""
        ...


@runtime_checkable
class Folding(Protocol):
    """The optional fast path of a rebuild: fold many batches in memory, flush at checkpoints."""

    def fold(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None: ...

    def flush(self, tx: Tx, suffix: str = "") -> None: ...

    def discard(self) -> None: ...
