"""The hash chain: how one stored event is sealed to the one before it, and how days are rooted.

Pure functions shared by the recorders (which write the chain in the same transaction as the
events), the verifier (which recomputes it from the live tables) and the offline bundle check,
so all three agree byte for byte.

Link of an event (``h_0`` = 64 zeros)::

    h_v = sha256( h_{v-1} hex "\\n" originator_id "\\n" v "\\n" topic "\\n" || state bytes )

The fields before ``state`` never contain a newline (UUID, integer, dotted topic), and ``state``
comes last, so the encoding is unambiguous.

Daily root (across every stream): the events whose timestamp falls on one Asia/Jakarta calendar
day, in notification order, are folded into ``digest_d = sha256(h_1 || h_2 || …)`` (hex strings)
and the days are chained::

    root_d = sha256( root_{d-1} "\\n" day "\\n" count "\\n" digest_d )

so an old export's roots pin every earlier day: rewriting history changes every later root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

GENESIS = "0" * 64
JAKARTA = ZoneInfo("Asia/Jakarta")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def link_hash(prev: str, originator_id: UUID | str, version: int, topic: str, state: bytes) -> str:
    """The chained hash of one stored event (hex)."""
    oid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
    digest = hashlib.sha256(f"{prev}\n{oid}\n{version}\n{topic}\n".encode())
    digest.update(state)
    return digest.hexdigest()


class _Stamp(msgspec.Struct):
    timestamp: datetime


_stamp = msgspec.json.Decoder(_Stamp)


def event_time(state: bytes) -> datetime:
    """The event's own timestamp, read from its stored JSON without decoding the rest."""
    return _stamp.decode(state).timestamp


def to_micros(moment: datetime) -> int:
    """UTC microseconds since the epoch: the sortable integer the chain table stores."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must carry a zone")
    return (moment - _EPOCH) // _MICRO


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def jakarta_day(moment: datetime) -> str:
    return moment.astimezone(JAKARTA).date().isoformat()


class DayRoot(msgspec.Struct, frozen=True, kw_only=True):
    day: str  # Asia/Jakarta calendar day, ISO
    events: int
    digest: str  # sha256 over the day's link hashes, in notification order
    root: str  # chained over every earlier day


class DailyRoots:
    """Accumulates link hashes per day in one pass (memory: one hash object per day)."""

    def __init__(self) -> None:
        self._days: dict[str, tuple[Any, int]] = {}

    def add(self, day: str, link: str) -> None:
        digest, count = self._days.get(day) or (hashlib.sha256(), 0)
        digest.update(link.encode())
        self._days[day] = (digest, count + 1)

    def roots(self) -> list[DayRoot]:
        return chain_days((day, count, d.hexdigest()) for day, (d, count) in self._days.items())


def chain_days(days: Iterable[tuple[str, int, str]]) -> list[DayRoot]:
    """Chain per-day digests in calendar order into roots."""
    out: list[DayRoot] = []
    prev = GENESIS
    for day, count, digest in sorted(days):
        root = hashlib.sha256(f"{prev}\n{day}\n{count}\n{digest}".encode()).hexdigest()
        out.append(DayRoot(day=day, events=count, digest=digest, root=root))
        prev = root
    return out


class ChainRow(msgspec.Struct, frozen=True, array_like=True):
    """One row of the chain table (in the event database)."""

    originator_id: UUID
    originator_version: int
    notification_id: int
    ts: int  # to_micros(event timestamp)
    hash: str


def seal(
    events: Iterable[tuple[UUID, int, str, bytes, int]],
    previous: dict[UUID, str],
) -> list[ChainRow]:
    """Chain rows for a batch of (id, version, topic, state, notification id) in insert order.

    ``previous`` maps each stream's id to the hash of the event just before the batch's first
    event of that stream (absent: the batch starts the stream).
    """
    last = dict(previous)
    rows: list[ChainRow] = []
    for oid, version, topic, state, nid in events:
        prev = GENESIS if version == 1 else last[oid]  # the recorder always supplies it
        h = link_hash(prev, oid, version, topic, state)
        last[oid] = h
        rows.append(ChainRow(oid, version, nid, to_micros(event_time(state)), h))
    return rows
