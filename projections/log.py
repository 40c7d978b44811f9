"""Reading the notification log for projections: raw pages, decoded once, shared by all models.

On PostgreSQL the events table lives in the same database as the read models, so pages are read
with one plain query per page over the caller's connection, in binary (no dict rows, no hex
decoding of ``bytea``); on SQLite they come from the library's recorder. Each page is decoded
once with msgspec, only for the topics some model wants, and handed to every model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.base import Envelope
from projections.sql import ts
from services.domain.events import Event
from services.eventstore.store import EventStore, event_decoder

RawRow = tuple[int, str, bytes]


class _Stamp(msgspec.Struct):
    timestamp: datetime


_stamp = msgspec.json.Decoder(_Stamp)


class DecodeError(RuntimeError):
    """A stored event could not be decoded: the log is never skipped over silently."""


class EventLog:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.recorder = store.recorder
        self.postgres = store.settings.is_postgres
        if self.postgres:
            schema = self.recorder.datastore.schema  # type: ignore[attr-defined]
            self.table = f"{schema}.{self.recorder.events_table_name}"  # type: ignore[attr-defined]
            self.channel: str = self.recorder.channel_name  # type: ignore[attr-defined]
        else:
            self.table = self.recorder.events_table_name  # type: ignore[attr-defined]
            self.channel = ""

    def read(self, after: int, limit: int, conn: Any = None) -> list[RawRow]:
        """Up to ``limit`` notifications with id > ``after``, in log order."""
        if self.postgres and conn is not None:
            cur = conn.execute(
                f"SELECT notification_id, topic, state FROM {self.table} "
                "WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
                (after, limit),
                binary=True,
            )
            return cur.fetchall()  # type: ignore[no-any-return]
        page = self.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [(n.id, n.topic, n.state) for n in page]

    def head(self, conn: Any = None) -> int:
        if self.postgres and conn is not None:
            row = conn.execute(f"SELECT max(notification_id) FROM {self.table}").fetchone()
            return int(row[0] or 0)
        return int(self.recorder.max_notification_id() or 0)

    def time_after(self, position: int, conn: Any = None) -> datetime | None:
        """When the first event after ``position`` happened (None when there is none)."""
        rows = self.read(position, 1, conn)
        return _stamp.decode(rows[0][2]).timestamp if rows else None


class Decoder:
    """Decodes raw pages into envelopes, once per event, for the topics some model wants.

    Per topic, the decode function (a typed msgspec decoder, or the upcasting path of a versioned
    event) is looked up once; a topic no model wants is skipped without decoding. Per stream,
    ``key`` is computed once.

    With ``until``, events stamped after it are left out, and so is everything later in the same
    stream (a stream is never applied with a hole in it, even if clocks disagreed slightly).
    """

    def __init__(self, topics: frozenset[str] | None, until: datetime | None = None) -> None:
        self.topics = topics
        self.until = until
        self._cut: set[UUID] = set()
        self._keys: dict[int, str] = {}  # UUID.int → str(UUID): a stream's events share it
        self._decoders: dict[str, Callable[[bytes], Event] | None] = {}

    def _decoder(self, topic: str) -> Callable[[bytes], Event] | None:
        """The topic's decode function; None when no model wants it."""
        if self.topics is not None and topic not in self.topics:
            found = None
        else:
            try:
                found = event_decoder(topic)
            except Exception as exc:  # an unknown topic: every event of it is undecodable

                def found(_: bytes, exc: Exception = exc) -> Event:
                    raise exc

        self._decoders[topic] = found
        return found

    def decode(
        self, rows: Iterable[RawRow], undecodable: dict[int, tuple[str, str]] | None = None
    ) -> list[Envelope]:
        """The wanted events of ``rows``. One that cannot be decoded raises ``DecodeError``,
        unless ``undecodable`` is given: then it is noted there (id → topic, error) and left
        out, for the runner to quarantine (a follower never stops on one event)."""
        until, cut, keys, decoders = self.until, self._cut, self._keys, self._decoders
        if len(keys) > 500_000:
            keys.clear()
        out: list[Envelope] = []
        append = out.append
        for nid, topic, state in rows:
            decode = decoders.get(topic, _UNSEEN)
            if decode is _UNSEEN:
                decode = self._decoder(topic)
            if decode is None:
                continue
            try:
                event = decode(state)
            except Exception as exc:
                message = f"notification {nid} ({topic}) cannot be decoded: {exc}"
                if undecodable is None:
                    raise DecodeError(message) from exc
                undecodable[nid] = (topic, f"DecodeError: {message}")
                continue
            moment = event.timestamp
            if until is not None:
                if event.originator_id in cut:
                    continue
                if moment > until:
                    cut.add(event.originator_id)
                    continue
            stream = event.originator_id
            key = keys.get(stream.int)
            if key is None:
                key = keys[stream.int] = str(stream)
            append(Envelope(nid, topic, event, key, _stamp_text(state, moment)))
        return out


_UNSEEN: Any = object()
_TIMESTAMP = b'"timestamp":"'
_DOT, _Z = ord("."), ord("Z")


def _stamp_text(state: Any, moment: datetime) -> str:
    """``projections.sql.ts(moment)``, read off the stored JSON when it holds exactly that text
    (msgspec writes a UTC time with microseconds as ``2026-03-01T10:00:00.123456Z``, and the
    timestamp is the third field of every event): a third of the cost of formatting it again,
    once per event of a rebuild. A whole second (``2026-03-01T10:00:00Z``: msgspec leaves out
    zero microseconds) gets them back as ``.000000``. Any other form (an offset) is formatted.
    The checks read single bytes (ints), not slices: this runs for every event of a rebuild."""
    if type(state) is bytes:
        at = state.find(_TIMESTAMP, 0, 120) + 13
        if at > 12 and len(state) > at + 26:
            after = state[at + 19]
            if after == _DOT and state[at + 26] == _Z:
                return state[at : at + 27].decode()
            if after == _Z:
                return state[at : at + 19].decode() + ".000000Z"
    if moment.tzinfo is UTC:
        return moment.isoformat(timespec="microseconds")[:-6] + "Z"
    return ts(moment) or ""


def union_topics(projections: Sequence[Any]) -> frozenset[str] | None:
    """Every topic the models want; None when one of them wants everything."""
    wanted: set[str] = set()
    for projection in projections:
        topics = getattr(projection, "topics", None)
        if topics is None:
            return None
        wanted |= set(topics)
    return frozenset(wanted)
