"""The last chain link of recently written or read streams, so a save needs no lookup.

Sealing an event needs the link hash of the event before it. That link never changes once
committed (both tables are append-only), and a writer at version v has read the stream up to
v − 1, so the recorder keeps, per stream, the newest (version, link) it committed or recomputed
from events it read (``services.eventstore.chain.link_hash`` from the genesis or from a known link:
the same function that wrote the chain, over the same bytes). A save whose previous link is
held sends no SELECT; any other one asks the chain table as before. Bounded, least recently used
out first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from uuid import UUID

from services.eventstore.chain import GENESIS, link_hash

DEFAULT_STREAMS = 50_000


class LinkCache:
    def __init__(self, max_streams: int = DEFAULT_STREAMS) -> None:
        self.max_streams = max_streams
        self._links: OrderedDict[UUID, tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, oid: UUID, version: int) -> str | None:
        """The link at exactly ``version`` (the genesis for 0), or None when not held."""
        if version == 0:
            return GENESIS
        with self._lock:
            held = self._links.get(oid)
            if held is None or held[0] != version:
                return None
            self._links.move_to_end(oid)
            return held[1]

    def put(self, oid: UUID, version: int, link: str) -> None:
        """Remember a committed link (an older one than held is ignored)."""
        if self.max_streams <= 0:
            return
        with self._lock:
            held = self._links.get(oid)
            if held is not None and held[0] >= version:
                return
            self._links[oid] = (version, link)
            self._links.move_to_end(oid)
            while len(self._links) > self.max_streams:
                self._links.popitem(last=False)

    def extend(self, oid: UUID, events: Iterable[tuple[int, str, bytes]], after: int) -> None:
        """Events of one stream read from the log, in order, the first at ``after + 1``: when
        the link at ``after`` is held (or ``after`` is 0), chain forward and keep the last."""
        link = self.get(oid, after)
        if link is None:
            return
        version = after
        for v, topic, state in events:
            if v != version + 1:
                return  # not contiguous: keep nothing rather than guess
            link, version = link_hash(link, oid, v, topic, state), v
        if version > after:
            self.put(oid, version, link)

    def clear(self) -> None:
        with self._lock:
            self._links.clear()
