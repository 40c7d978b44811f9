"""Integrity verification: recompute every link of every stream and the daily roots.

``Verifier`` is fed stored events in notification order (from the live tables, or from an export
bundle's lines) and checks each link independently against the stored hash of the event before
it, so a report names exactly the rows that were changed rather than everything after them.
Breaks, in the order of the log:

- ``altered``: the event's content no longer hashes to its stored link (state, topic or id edited);
- ``unsealed``: an event without a chain row (inserted behind the recorder's back);
- ``missing_event``: a version gap in a stream (an event removed);
- ``orphan_link``: a chain row whose event is gone (an event deleted);
- ``moved``: the chain row was written for another notification id (an event re-inserted);
- ``time_mismatch``: the chain row's time is not the event's own timestamp;
- ``unreadable``: the stored state is not the JSON the event was written as.

The report's daily roots (``services.eventstore.chain``) can be compared with the roots of an older
export (``anchors``) to detect a history rewritten consistently, chain table included. The same
pass recomputes every link from the stored bytes alone and holds them to the server's Ed25519
signed day roots and checkpoints (``seals.py``; the check is ``verify_bundle.SealChecker``), which
an insider who recomputes the unkeyed links cannot re-sign: the report then names the first
event whose bytes differ from what was signed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

import msgspec

from services.audit.verify_bundle import SealChecker
from services.eventstore.chain import (
    GENESIS,
    DailyRoots,
    DayRoot,
    event_time,
    jakarta_day,
    link_hash,
)
from services.eventstore.chain import to_micros as _micros
from services.eventstore.recorders import ChainedRecorder, LinkRecord
from services.eventstore.store import EventStore

MAX_LISTED = 100
PAGE = 1000

MESSAGES = {
    "altered": "Isi peristiwa tidak cocok lagi dengan hash rantainya (data diubah).",
    "unsealed": "Peristiwa tidak memiliki segel rantai (disisipkan di luar aplikasi).",
    "missing_event": "Ada versi yang hilang dari aliran ini (peristiwa dihapus).",
    "orphan_link": "Segel rantai ada tetapi peristiwanya hilang (peristiwa dihapus).",
    "moved": "Segel rantai ditulis untuk nomor notifikasi lain (peristiwa dipindah).",
    "time_mismatch": "Waktu pada segel rantai berbeda dari waktu peristiwa.",
    "unreadable": "Isi peristiwa tidak dapat dibaca.",
    "anchor_mismatch": "Akar harian berbeda dari ekspor sebelumnya (riwayat ditulis ulang).",
}


class Break(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    message: str
    originator_id: UUID | None = None
    originator_version: int | None = None
    notification_id: int | None = None
    topic: str | None = None
    day: str | None = None
    expected: str | None = None
    found: str | None = None
    seal: str | None = None


class SealReport(msgspec.Struct, kw_only=True):
    """The log held to the signed day roots and checkpoints (see ``verify_bundle.SealChecker``)."""

    ok: bool
    seals_checked: int
    days: int
    checkpoints: int
    last_sealed_day: str | None
    sealed_through: int  # the last notification id covered by a signed seal
    events_checked: int
    unsealed_events: int  # events after the last seal (covered by the next one)
    key_ids: list[str]
    first_break: Break | None
    breaks: list[Break]
    breaks_total: int
    message: str


class SealInputs(msgspec.Struct, frozen=True, kw_only=True):
    """What the log is held to: signed seals, the accepted (pinned) keys, the sealed links."""

    seals: list[dict[str, Any]]
    keys: dict[str, bytes]
    sealed: Iterable[tuple[int, str]] = ()


class Report(msgspec.Struct, kw_only=True):
    ok: bool
    checked_at: str
    events: int
    streams: int
    first_break: Break | None
    breaks: list[Break]
    breaks_total: int
    days: list[DayRoot]
    head: str  # the last daily root: one value that pins the whole log
    anchors_checked: int = 0
    message: str = ""
    seals: SealReport | None = None


class Verifier:
    def __init__(self, seals: SealInputs | None = None) -> None:
        self.last: dict[UUID, tuple[int, str | None]] = {}
        self.pure: dict[UUID, str] = {}  # links recomputed from the stored bytes alone
        self.seals = (
            SealChecker(seals.seals, seals.keys, seals.sealed) if seals is not None else None
        )
        self.roots = DailyRoots()
        self.events = 0
        self.breaks: list[Break] = []
        self.total = 0

    def _break(self, kind: str, rec: LinkRecord | None = None, **fields: object) -> None:
        self.total += 1
        if len(self.breaks) >= MAX_LISTED:
            return
        base: dict[str, object] = {}
        if rec is not None:
            base = {
                "originator_id": rec.originator_id,
                "originator_version": rec.originator_version,
                "notification_id": rec.notification_id,
                "topic": rec.topic,
            }
        self.breaks.append(Break(kind=kind, message=MESSAGES[kind], **{**base, **fields}))  # type: ignore[arg-type]

    def feed(self, rec: LinkRecord) -> None:
        self.events += 1
        oid, version = rec.originator_id, rec.originator_version
        prev_version, prev_hash = self.last.get(oid, (0, GENESIS))
        if version != prev_version + 1:
            self._break(
                "missing_event", rec, expected=f"versi {prev_version + 1}", found=f"versi {version}"
            )
            prev_hash = None  # the link before is gone: this one cannot be checked
        expected = (
            link_hash(prev_hash, oid, version, rec.topic, rec.state)
            if prev_hash is not None
            else None
        )
        if rec.hash is None:
            self._break("unsealed", rec, expected=expected)
        elif expected is not None and expected != rec.hash:
            self._break("altered", rec, expected=expected, found=rec.hash)
        elif rec.chain_notification_id is not None and (
            rec.chain_notification_id != rec.notification_id
        ):
            moved_to = str(rec.chain_notification_id)
            self._break("moved", rec, expected=str(rec.notification_id), found=moved_to)
        link = rec.hash or expected
        try:
            moment = event_time(rec.state)
        except (msgspec.DecodeError, msgspec.ValidationError):
            if rec.hash is None or expected == rec.hash:
                self._break("unreadable", rec)
            moment = None
        if moment is not None and rec.ts is not None and _micros(moment) != rec.ts:
            self._break("time_mismatch", rec, expected=str(_micros(moment)), found=str(rec.ts))
        self.last[oid] = (version, link)
        if self.seals is not None:
            pure = link_hash(self.pure.get(oid, GENESIS), oid, version, rec.topic, rec.state)
            self.pure[oid] = pure
            self.seals.feed(rec.notification_id, oid, version, rec.topic, pure)
        day = jakarta_day(moment) if moment is not None else "tidak-terbaca"
        self.roots.add(day, link or "")

    def orphan(self, oid: UUID, version: int, notification_id: int, found: str) -> None:
        self._break(
            "orphan_link",
            None,
            originator_id=oid,
            originator_version=version,
            notification_id=notification_id,
            found=found,
        )

    def report(self, anchors: Iterable[DayRoot] = ()) -> Report:
        days = self.roots.roots()
        by_day = {d.day: d for d in days}
        checked = 0
        for anchor in anchors:
            checked += 1
            now = by_day.get(anchor.day)
            if now is None or now.root != anchor.root:
                self._break(
                    "anchor_mismatch",
                    None,
                    day=anchor.day,
                    expected=anchor.root,
                    found=now.root if now else None,
                )
        sealed = None
        if self.seals is not None:
            found = self.seals.finish()
            found["first_break"] = _as_break(found["first_break"])
            found["breaks"] = [_as_break(b) for b in found["breaks"]]
            sealed = msgspec.convert(found, SealReport)
        ordered = sorted(
            self.breaks,
            key=lambda b: (b.notification_id is None, b.notification_id or 0, b.kind),
        )
        ok = self.total == 0
        first = ordered[0] if ordered else None
        if ok:
            message = f"Rantai utuh: {self.events} peristiwa di {len(self.last)} aliran diperiksa."
        else:
            assert first is not None
            where = (
                f"aliran {first.originator_id} versi {first.originator_version} "
                f"(notifikasi {first.notification_id})"
                if first.originator_id
                else f"hari {first.day}"
            )
            message = f"Rantai PUTUS: {self.total} temuan; pertama di {where}: {first.message}"
        if sealed is not None:
            message = f"{message} {sealed.message}"
            if not sealed.ok:
                ok = False
                first = first or sealed.first_break
        return Report(
            ok=ok,
            checked_at=datetime.now(UTC).isoformat(),
            events=self.events,
            streams=len(self.last),
            first_break=first,
            breaks=ordered,
            breaks_total=self.total,
            days=days,
            head=days[-1].root if days else GENESIS,
            anchors_checked=checked,
            message=message,
            seals=sealed,
        )


def _as_break(found: dict[str, Any] | None) -> Break | None:
    if found is None:
        return None
    return msgspec.convert(found, Break)


def chained(store: EventStore) -> ChainedRecorder:
    recorder = store.recorder
    if not hasattr(recorder, "link_page"):
        raise TypeError("the event store's recorder does not keep the hash chain")
    return cast(ChainedRecorder, recorder)


def verify_store(
    store: EventStore, anchors: Iterable[DayRoot] = (), seals: SealInputs | None = None
) -> Report:
    """Recompute the whole log's chain from the live tables, page by page (and hold it to the
    signed seals, when given)."""
    recorder = chained(store)
    verifier = Verifier(seals)
    position = 0
    while True:
        page = recorder.link_page(position, PAGE)
        for rec in page:
            verifier.feed(rec)
        if len(page) < PAGE:
            break
        position = page[-1].notification_id
    for row in recorder.orphan_links(MAX_LISTED):
        verifier.orphan(row.originator_id, row.originator_version, row.notification_id, row.hash)
    return verifier.report(anchors)
