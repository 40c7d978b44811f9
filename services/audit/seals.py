"""Signed roots over the event chain itself: one per Asia/Jakarta day, and checkpoints on demand.

The hash chain (``chain.py``) shows an edited event only while its link is left alone; an insider
who can disable triggers recomputes the link (a plain SHA-256) and the chain agrees again. So the
server signs, with its Ed25519 key (``keys.py``), roots over the links as it computed them from
the stored events, and verification recomputes every link from the stored events again.

A seal covers the events with ``after < notification id ≤ last`` (notification order)::

    links_digest = sha256( link_1 || link_2 || … )                 (64-char hex links, ASCII)
    root = sha256( previous_root "\\n" kind "\\n" day "\\n" after "\\n" last "\\n" events
                   "\\n" links_digest )                            (hex)

- day seal (``kind`` = ``day``): ``last`` = the highest notification id among events stamped
  before the day's end (WIB), sealed once the day is over plus ``GRACE``; ``after`` and
  ``previous_root`` are the previous day seal's (0 and 64 zeros for the first); every day from the
  first event's day on is sealed, an empty one too, so a deleted day breaks the chain of days.
- checkpoint (``kind`` = ``checkpoint``): the same from the last day seal up to "now" (the log's
  last notification id), made on demand and for every bundle, so a bundle made today is
  verifiable today.

What is signed is ``payload``: the seal's fields as JSON with sorted keys and no spaces (ASCII),
stored verbatim. The links are kept too (``audit_sealed_links``) so that verification can name
the first event whose bytes differ from what was signed; they are authenticated by the signed
root, not trusted on their own.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from uuid import UUID

import msgspec

from services.audit.integrity import SealInputs
from services.audit.keys import Signer, key_history, record_activation
from services.audit.verify_bundle import SEAL_FORMAT, links_digest, seal_root
from services.db import Database, Tx
from services.eventstore.chain import (
    GENESIS,
    JAKARTA,
    event_time,
    from_micros,
    jakarta_day,
    link_hash,
    to_micros,
)
from services.eventstore.recorders import LinkRecord
from services.eventstore.store import EventStore

FORMAT = SEAL_FORMAT
GRACE = timedelta(minutes=5)  # events stamped just before midnight may commit just after
MAX_LISTED = 100
LINKS_PAGE = 5000

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS audit_seals (
        seal_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        day TEXT NOT NULL,
        after_notification_id BIGINT NOT NULL,
        last_notification_id BIGINT NOT NULL,
        root TEXT NOT NULL,
        key_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        signature TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS audit_seals_kind ON audit_seals (kind, last_notification_id)",
    """CREATE TABLE IF NOT EXISTS audit_sealed_links (
        notification_id BIGINT PRIMARY KEY,
        link TEXT NOT NULL
    )""",
]


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


class Seal(msgspec.Struct, frozen=True, kw_only=True):
    """One signed root as stored (and as carried in bundles)."""

    seal_id: str
    kind: str
    day: str
    after_notification_id: int
    last_notification_id: int
    root: str
    key_id: str
    payload: str
    signature: str
    created_at: str


# ==== links recomputed from the stored events ==================================================


class Linked(msgspec.Struct, frozen=True, array_like=True):
    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    link: str  # recomputed from the stored bytes (only the link before a range is a chain row)
    ts: int | None  # event time (UTC micros), None when unreadable


def _event_ts(rec: LinkRecord) -> int | None:
    try:
        return to_micros(event_time(rec.state))
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


# ==== sealing ==================================================================================


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=JAKARTA)


def last_day_seal(tx: Tx) -> Seal | None:
    rows = tx.rows(
        "SELECT * FROM audit_seals WHERE kind = 'day' ORDER BY last_notification_id DESC, day "
        "DESC LIMIT 1"
    )
    return msgspec.convert(rows[0], Seal) if rows else None


def _make(
    signer: Signer,
    kind: str,
    day: str,
    after: int,
    previous_root: str,
    covered: Sequence[Linked],
    now: datetime,
) -> tuple[Seal, list[tuple[int, str]]]:
    last = covered[-1].notification_id if covered else after
    digest = links_digest([c.link for c in covered])
    root = seal_root(previous_root, kind, day, after, last, len(covered), digest)
    payload = {
        "format": FORMAT,
        "kind": kind,
        "day": day,
        "after_notification_id": after,
        "first_notification_id": covered[0].notification_id if covered else None,
        "last_notification_id": last,
        "events": len(covered),
        "links_digest": digest,
        "previous_root": previous_root,
        "root": root,
        "key_id": signer.key_id,
        "created_at": now.astimezone(UTC).isoformat(),
    }
    data = canonical(payload)
    seal_id = f"day:{day}" if kind == "day" else f"checkpoint:{last}:{payload['created_at']}"
    seal = Seal(
        seal_id=seal_id,
        kind=kind,
        day=day,
        after_notification_id=after,
        last_notification_id=last,
        root=root,
        key_id=signer.key_id,
        payload=data.decode(),
        signature=signer.sign(data),
        created_at=str(payload["created_at"]),
    )
    return seal, [(c.notification_id, c.link) for c in covered]


def _store(tx: Tx, seal: Seal, links: Sequence[tuple[int, str]]) -> None:
    tx.execute(
        "INSERT INTO audit_seals (seal_id, kind, day, after_notification_id, "
        "last_notification_id, root, key_id, payload, signature, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (seal_id) DO NOTHING",  # a second beat sealing the same day: first one wins
        (
            seal.seal_id,
            seal.kind,
            seal.day,
            seal.after_notification_id,
            seal.last_notification_id,
            seal.root,
            seal.key_id,
            seal.payload,
            seal.signature,
            seal.created_at,
        ),
    )
    tx.executemany(
        "INSERT INTO audit_sealed_links (notification_id, link) VALUES (?, ?) "
        "ON CONFLICT (notification_id) DO NOTHING",
        list(links),
    )


def _pending(store: EventStore, after: int) -> list[Linked]:
    """The events after ``after`` with their links recomputed from their stored bytes.

    Only the log since the last day root is read: a stream's link just before it is taken from
    its chain row. That is safe because verification never trusts it: it recomputes every link
    from genesis, so a row rewritten before sealing fails the older day root that covers it.
    """
    from services.audit.integrity import PAGE, chained

    recorder = chained(store)
    boundary: dict[UUID, str] = {}
    out: list[Linked] = []
    position = after
    while True:
        page = recorder.link_page(position, PAGE)
        for rec in page:
            oid, version = rec.originator_id, rec.originator_version
            if oid not in boundary:
                prev = recorder.link_at(oid, version - 1) if version > 1 else None
                boundary[oid] = prev or GENESIS
            link = link_hash(boundary[oid], oid, version, rec.topic, rec.state)
            boundary[oid] = link
            out.append(Linked(rec.notification_id, oid, version, rec.topic, link, _event_ts(rec)))
        if len(page) < PAGE:
            return out
        position = page[-1].notification_id


def seal_days(
    store: EventStore, db: Database, signer: Signer, now: datetime | None = None
) -> list[Seal]:
    """Seal every finished day not sealed yet, in order (idempotent; the beat runs it daily)."""
    moment = now or datetime.now(UTC)
    with db.transaction() as tx:
        last = last_day_seal(tx)
    after = last.last_notification_id if last else 0
    pending = _pending(store, after)
    if last is not None:
        day, previous = date.fromisoformat(last.day) + timedelta(days=1), last.root
    else:
        stamped = [p.ts for p in pending if p.ts is not None]
        if not stamped:
            return []
        day, previous = date.fromisoformat(jakarta_day(from_micros(min(stamped)))), GENESIS
    # The highest notification id among events stamped before a moment: events sorted by time,
    # with a running maximum of their ids (one sort, then a bisection per day).
    by_time = sorted((p.ts, p.notification_id) for p in pending if p.ts is not None)
    stamps = [t for t, _ in by_time]
    highest = list(accumulate((nid for _, nid in by_time), max))
    nids = [p.notification_id for p in pending]
    made: list[tuple[Seal, list[tuple[int, str]]]] = []
    start = 0  # pending[start:] is not sealed yet (pending is in notification order)
    while _end_of(day) + GRACE <= moment:
        before = bisect_left(stamps, to_micros(_end_of(day)))
        upto = max(after, highest[before - 1]) if before else after
        stop = bisect_right(nids, upto, lo=start)
        covered = pending[start:stop]
        if not made:
            record_activation(store, signer, moment)
        seal, links = _make(signer, "day", day.isoformat(), after, previous, covered, moment)
        made.append((seal, links))
        start = stop
        after, previous = upto, seal.root
        day += timedelta(days=1)
    if made:
        with db.transaction() as tx:
            for seal, links in made:
                _store(tx, seal, links)
    return [seal for seal, _ in made]


def checkpoint(
    store: EventStore, db: Database, signer: Signer, now: datetime | None = None
) -> Seal:
    """Sign the log from the last day seal up to its last event now."""
    moment = now or datetime.now(UTC)
    record_activation(store, signer, moment)
    with db.transaction() as tx:
        last = last_day_seal(tx)
    after = last.last_notification_id if last else 0
    previous = last.root if last else GENESIS
    covered = _pending(store, after)
    day = moment.astimezone(JAKARTA).date().isoformat()
    seal, links = _make(signer, "checkpoint", day, after, previous, covered, moment)
    with db.transaction() as tx:
        _store(tx, seal, links)
    return seal


def all_seals(db: Database) -> list[Seal]:
    rows = db.rows("SELECT * FROM audit_seals ORDER BY last_notification_id, kind DESC, seal_id")
    return [msgspec.convert(r, Seal) for r in rows]


def sealed_links(db: Database) -> Iterator[tuple[int, str]]:
    position = -1
    while True:
        rows = db.rows(
            "SELECT notification_id, link FROM audit_sealed_links WHERE notification_id > ? "
            "ORDER BY notification_id LIMIT ?",
            (position, LINKS_PAGE),
        )
        for row in rows:
            yield int(row["notification_id"]), str(row["link"])
        if len(rows) < LINKS_PAGE:
            return
        position = int(rows[-1]["notification_id"])


def live_inputs(db: Database, keys: dict[str, bytes]) -> SealInputs:
    """The server's stored seals and sealed links, held to ``keys`` (pinned, or the server's)."""
    return SealInputs(
        seals=[msgspec.to_builtins(s) for s in all_seals(db)], keys=keys, sealed=sealed_links(db)
    )


def ensure_schema(db: Database) -> None:
    from services import ddl

    with db.transaction() as tx:
        ddl.run_missing(tx, SCHEMA, ddl.SCHEMA_LOCK)


def trusted_keys(store: EventStore, signer: Signer | None) -> dict[str, bytes]:
    """The server's view of its keys: the current one and every one activated in the log."""
    keys = {k.key_id: bytes.fromhex(k.public_key) for k in key_history(store)}
    if signer is not None:
        keys[signer.key_id] = signer.public_raw
    return keys
