"""The contract every read model implements, so one runner can feed them all.

A projection owns a few tables. The runner hands it batches of decoded events inside one
transaction and then records the new tracking position in that same transaction, so a crash
never loses or doubles an event. ``suffix`` names shadow tables during a rebuild: the runner
builds ``<table><suffix>`` from the whole log and swaps them in, so readers never see a
half-built model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

from services.db import Tx
from services.domain.events import Event


class Envelope(msgspec.Struct, frozen=True):
    """One event as read from the notification log: its position and the decoded event."""

    notification_id: int
    topic: str
    event: Event


class Projection(Protocol):
    name: str  # unique; also the key of its tracking position
    tables: tuple[str, ...]  # every table it owns (rebuilt and swapped together)

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        """CREATE TABLE / INDEX statements for its tables (``IF NOT EXISTS``), with suffix."""
        ...

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        """Apply a batch of events in order, inside ``tx``; write each row once per batch."""
        ...
