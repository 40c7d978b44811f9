"""Per-key state for a projection: loaded from its rows once, folded in memory, written once.

The runner keeps it across batches (up to ``capacity`` keys). Live, each batch is flushed in
its own transaction, and the state is dropped when another writer wrote the tables meanwhile
(``projections.runner``: the tracking row's ``owner``). A rebuild flushes only at checkpoints. A
rolled-back transaction discards it, and the next attempt reloads from the rows, which are
exactly as of the last committed transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from services.db import Tx

K = TypeVar("K", bound=Hashable)
S = TypeVar("S")

Loader = Callable[[Tx, list[K], str], dict[K, S]]


class KeyedState(Generic[K, S]):
    def __init__(self, loader: Loader[K, S], capacity: int = 0) -> None:
        self.loader = loader
        self.capacity = capacity
        self.items: dict[K, S] = {}
        self.stored: set[K] = set()  # keys whose row exists in the database
        self.dirty: dict[K, None] = {}  # insertion-ordered set

    def load(self, tx: Tx, keys: Iterable[K], suffix: str) -> None:
        """Make sure every key present in the database is in memory (one query per batch)."""
        wanted = [k for k in dict.fromkeys(keys) if k not in self.items]
        if wanted:
            found = self.loader(tx, wanted, suffix)
            self.items.update(found)
            self.stored.update(found)

    def get(self, key: K) -> S | None:
        return self.items.get(key)

    def put(self, key: K, state: S) -> None:
        self.items[key] = state
        self.dirty[key] = None

    def touch(self, key: K) -> None:
        self.dirty[key] = None

    def take_dirty(self) -> list[tuple[K, S, bool]]:
        """(key, state, is_new) of every changed key; then they count as stored."""
        out = [(k, self.items[k], k not in self.stored) for k in self.dirty if k in self.items]
        self.stored.update(self.dirty)
        self.dirty = {}
        if len(self.items) > self.capacity:
            self._evict()
        return out

    def _evict(self) -> None:
        if self.capacity <= 0:
            self.items.clear()
            self.stored.clear()
            return
        excess = len(self.items) - self.capacity // 2
        for key in list(self.items)[:excess]:
            del self.items[key]
            self.stored.discard(key)

    def clear(self) -> None:
        self.items.clear()
        self.stored.clear()
        self.dirty = {}
