"""What auditors read: an innovation's history, diffs between two moments, and the audit trail.

Everything is folded from the log in one pass (O(n) per stream); the trail walks the notification
log page by page and keeps only a bounded cache of recently seen records, so memory does not grow
with the log.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from services.audit.describe import (
    AuditLine,
    FieldChange,
    describe,
    jakarta_time,
)
from services.audit.timeline import Timeline
from services.domain import events as ev
from services.domain import labels
from services.domain.call import JAKARTA, Call
from services.domain.innovation import Innovation
from services.domain.innovation_views import InnovationState
from services.domain.lifecycle import STATUS_LABELS
from services.domain.organisation import Account, Organisation
from services.domain.rubric import Rubric
from services.domain.values import RevisionItem
from services.eventstore.chain import to_micros
from services.eventstore.store import EventStore, NotFound, decode_event

AGGREGATES: dict[str, type[Any]] = {
    "innovation": Innovation,
    "call": Call,
    "organisation": Organisation,
    "account": Account,
}


# ==== views =====================================================================================


class ActorView(msgspec.Struct, frozen=True, kw_only=True):
    account_id: UUID | None
    username: str | None
    full_name: str | None
    role: str
    role_label: str
    organisation_id: UUID | None = None


class DecisionView(msgspec.Struct, frozen=True, kw_only=True):
    """What the decider saw: the version and rubric they acted on, and where to see it."""

    seen_version: int
    rubric_year: int
    state_url: str


class HistoryEntry(msgspec.Struct, kw_only=True):
    version: int
    notification_id: int | None
    event: str
    topic: str
    recorded_at: str  # ISO 8601 in Asia/Jakarta
    recorded_at_label: str
    actor: ActorView
    correlation_id: str
    summary: str
    changes: list[FieldChange]
    status_before: str | None
    status_after: str
    revision_round: int  # the revision round this event belongs to (0: before any)
    decision: DecisionView | None = None
    link_hash: str | None = None


class RevisionRoundView(msgspec.Struct, kw_only=True):
    round: int
    requested_version: int
    requested_at: str
    requested_by: ActorView
    note: str
    items: list[RevisionItem]
    resubmitted_version: int | None = None
    resubmitted_at: str | None = None
    response: str = ""


class HistoryView(msgspec.Struct, kw_only=True):
    innovation_id: UUID
    title: str
    status: str
    status_label: str
    version: int
    rubric_year: int
    revision_rounds: list[RevisionRoundView]
    entries: list[HistoryEntry]


class PointView(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    recorded_at: str | None
    recorded_at_label: str | None


class StateView(msgspec.Struct, kw_only=True):
    innovation_id: UUID
    version: int
    requested_at: str | None
    recorded_at: str | None
    recorded_at_label: str | None
    rubric_year: int
    state: InnovationState


class DiffEvent(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    event: str
    recorded_at: str
    actor: ActorView
    summary: str


class DiffView(msgspec.Struct, kw_only=True):
    innovation_id: UUID
    from_: PointView = msgspec.field(name="from")
    to: PointView
    changes: list[FieldChange]
    events: list[DiffEvent]


class TrailRow(msgspec.Struct, kw_only=True):
    notification_id: int
    recorded_at: str
    actor_id: UUID | None
    actor_username: str | None
    actor_role: str
    correlation_id: str
    stream_type: str
    stream_id: UUID
    version: int
    event: str
    summary: str
    changes: list[FieldChange]


def local_iso(moment: datetime) -> str:
    return moment.astimezone(JAKARTA).isoformat()


# ==== names =====================================================================================


class Names:
    """Account id → (username, full name), each account loaded at most once."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._cache: dict[UUID, tuple[str, str] | None] = {}

    def get(self, account_id: UUID | None) -> tuple[str, str] | None:
        if account_id is None:
            return None
        if account_id not in self._cache:
            try:
                account = self.store.load(Account, account_id)
                self._cache[account_id] = (account.username, account.full_name)
            except NotFound:
                self._cache[account_id] = None
        return self._cache[account_id]

    def actor(self, event: ev.Event) -> ActorView:
        known = self.get(event.actor.account_id)
        role = str(event.actor.role)
        return ActorView(
            account_id=event.actor.account_id,
            username=known[0] if known else None,
            full_name=known[1] if known else None,
            role=role,
            role_label=labels.ROLE.get(role, role),
            organisation_id=event.actor.organisation_id,
        )

    def who(self, event: ev.Event) -> str | None:
        known = self.get(event.actor.account_id)
        return known[0] if known else None


# ==== history ===================================================================================


def history(store: EventStore, timeline: Timeline, innovation_id: UUID) -> HistoryView:
    """Every event of the innovation, described against the record just before it (one fold)."""
    events = store.events(innovation_id)
    if not events or not isinstance(events[0], ev.Proposed):
        raise NotFound("Inovasi", innovation_id)
    links = {row.originator_version: row for row in timeline.chain.chain_for(innovation_id)}
    names = Names(store)
    innovation = Innovation(innovation_id)
    entries: list[HistoryEntry] = []
    rounds: list[RevisionRoundView] = []
    for event in events:
        before = innovation if innovation.version else None
        status_before = str(innovation.status) if innovation.version else None
        line = describe(event, before, who=names.who(event))
        innovation.apply(event)
        actor = names.actor(event)
        if isinstance(event, ev.RevisionRequested):
            rounds.append(
                RevisionRoundView(
                    round=event.round,
                    requested_version=event.originator_version,
                    requested_at=local_iso(event.timestamp),
                    requested_by=actor,
                    note=event.note,
                    items=list(event.items),
                )
            )
        elif isinstance(event, ev.Resubmitted) and rounds:
            rounds[-1].resubmitted_version = event.originator_version
            rounds[-1].resubmitted_at = local_iso(event.timestamp)
            rounds[-1].response = event.note
        link = links.get(event.originator_version)
        entries.append(
            HistoryEntry(
                version=event.originator_version,
                notification_id=link.notification_id if link else None,
                event=type(event).__name__,
                topic=event.TOPIC,
                recorded_at=local_iso(event.timestamp),
                recorded_at_label=jakarta_time(event.timestamp),
                actor=actor,
                correlation_id=event.correlation_id,
                summary=line.summary,
                changes=line.changes,
                status_before=status_before,
                status_after=str(innovation.status),
                revision_round=len(rounds),
                decision=_decision(innovation_id, event, innovation.rubric_year),
                link_hash=link.hash if link else None,
            )
        )
    return HistoryView(
        innovation_id=innovation_id,
        title=innovation.profile.title,
        status=str(innovation.status),
        status_label=STATUS_LABELS.get(str(innovation.status), str(innovation.status)),
        version=innovation.version,
        rubric_year=innovation.rubric_year,
        revision_rounds=rounds,
        entries=entries,
    )


def _decision(innovation_id: UUID, event: ev.Event, rubric_year: int) -> DecisionView | None:
    """What the decider saw; an establish/publish stored before it recorded the rubric year
    was decided on the innovation's rubric (fixed when it was proposed)."""
    if not isinstance(event, ev.DecisionEvent | ev.SeenEvent):
        return None
    return DecisionView(
        seen_version=event.seen_version,
        rubric_year=event.rubric_year if event.rubric_year is not None else rubric_year,
        state_url=f"/api/innovations/{innovation_id}/state?version={event.seen_version}",
    )


# ==== state and diff ============================================================================


def state_view(
    timeline: Timeline,
    innovation_id: UUID,
    version: int,
    requested_at: datetime | None = None,
    rubric: Rubric | None = None,
) -> StateView:
    """The state at ``version``; ``rubric`` (what-if) scores it under another year's rubric."""
    innovation = timeline.innovation(innovation_id, version)
    moment = innovation.modified_on
    return StateView(
        innovation_id=innovation_id,
        version=innovation.version,
        requested_at=local_iso(requested_at) if requested_at else None,
        recorded_at=local_iso(moment) if moment else None,
        recorded_at_label=jakarta_time(moment) if moment else None,
        rubric_year=innovation.rubric_year if rubric is None else rubric.year,
        state=timeline.state_of(innovation, rubric),
    )


_SECTION_LABELS = {
    "status": "Status",
    "published": "Dipublikasikan",
    "documents": "Dokumen",
    "claims": "Klaim indikator",
    "reviewers": "Verifikator",
    "verified_levels": "Level terverifikasi",
    "reviewer_scores": "Skor per verifikator",
    "recommendation": "Rekomendasi",
    "revisions": "Perbaikan",
    "decision_reason": "Alasan keputusan",
    "sk_number": "Nomor SK",
    "sk_date": "Tanggal SK",
    "iga_year": "Tahun IGA",
    "iga_report_id": "Laporan IGA",
    "scorecard": "Skor kematangan",
    "completeness": "Kelengkapan",
    "recommendations": "Rekomendasi peningkatan",
    "submitted_at": "Waktu pengajuan",
    "krenova": "Penjurian Krenova",
}
_IGNORED = {"version", "modified_on"}


def _normalise(state: InnovationState) -> dict[str, Any]:
    """Lists of keyed things become maps, so a diff names the document or indicator."""
    data: dict[str, Any] = msgspec.to_builtins(state)
    keyed = {
        "documents": "doc_id",
        "claims": "no",
        "revisions": "round",
        "recommendations": "indicator",
    }
    for name, key in keyed.items():
        if isinstance(data.get(name), list):
            data[name] = {str(item[key]): item for item in data[name]}
    card = data.get("scorecard")
    if isinstance(card, dict) and isinstance(card.get("indicators"), list):
        card["indicators"] = {str(row["no"]): row for row in card["indicators"]}
    return data


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = value


def _label(path: str) -> str:
    head, _, rest = path.partition(".")
    if head == "profile":
        return labels.PROFILE_FIELD.get(rest, rest)
    section = _SECTION_LABELS.get(head, head)
    return f"{section}: {rest}" if rest else section


def diff_states(a: InnovationState, b: InnovationState) -> list[FieldChange]:
    left: dict[str, Any] = {}
    right: dict[str, Any] = {}
    _flatten("", _normalise(a), left)
    _flatten("", _normalise(b), right)
    changes = []
    for path in sorted(set(left) | set(right)):
        if path in _IGNORED or left.get(path) == right.get(path):
            continue
        changes.append(
            FieldChange(
                field=path, label=_label(path), before=left.get(path), after=right.get(path)
            )
        )
    return changes


def diff(store: EventStore, timeline: Timeline, innovation_id: UUID, a: int, b: int) -> DiffView:
    """Field changes from version ``a`` to ``b`` and the events in between (a ≤ b)."""
    a, b = min(a, b), max(a, b)
    start = timeline.innovation(innovation_id, a)
    state_a = timeline.state_of(start)
    point_a = _point(start)
    names = Names(store)
    described: list[DiffEvent] = []
    for event in store.events(innovation_id, gt=a, lte=b):
        line: AuditLine = describe(event, start, who=names.who(event))
        start.apply(event)
        described.append(
            DiffEvent(
                version=event.originator_version,
                event=type(event).__name__,
                recorded_at=local_iso(event.timestamp),
                actor=names.actor(event),
                summary=line.summary,
            )
        )
    if start.version != b:
        timeline.innovation(innovation_id, b)  # raises the precise "no such version"
    return DiffView(
        innovation_id=innovation_id,
        from_=point_a,
        to=_point(start),
        changes=diff_states(state_a, timeline.state_of(start)),
        events=described,
    )


def _point(innovation: Innovation) -> PointView:
    moment = innovation.modified_on
    return PointView(
        version=innovation.version,
        recorded_at=local_iso(moment) if moment else None,
        recorded_at_label=jakarta_time(moment) if moment else None,
    )


# ==== the audit trail ===========================================================================


class TrailFilter(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime | None = None
    end: datetime | None = None
    actor: UUID | None = None
    innovation: UUID | None = None

    def accepts(self, event: ev.Event) -> bool:
        if self.start is not None and event.timestamp < self.start:
            return False
        if self.end is not None and event.timestamp > self.end:
            return False
        return self.actor is None or event.actor.account_id == self.actor


class _Folder:
    """The record just before each event, for streams seen recently (bounded LRU)."""

    def __init__(self, store: EventStore, timeline: Timeline, size: int = 256) -> None:
        self.store, self.timeline, self.size = store, timeline, size
        self.cache: OrderedDict[UUID, Any] = OrderedDict()

    def before(self, event: ev.Event) -> Any:
        oid, version = event.originator_id, event.originator_version
        aggregate = self.cache.get(oid)
        if aggregate is not None and aggregate.version == version - 1:
            self.cache.move_to_end(oid)
            return aggregate
        self.cache.pop(oid, None)
        cls = AGGREGATES.get(event.TOPIC.split(".", 1)[0])
        if cls is None:
            return None
        if version == 1:
            aggregate = cls(oid)
        else:
            try:
                aggregate = self.timeline.load(cls, oid, version - 1)
            except NotFound:
                return None
        self.cache[oid] = aggregate
        if len(self.cache) > self.size:
            self.cache.popitem(last=False)
        return aggregate

    def advance(self, event: ev.Event) -> None:
        aggregate = self.cache.get(event.originator_id)
        if aggregate is not None and aggregate.version == event.originator_version - 1:
            aggregate.apply(event)


def trail(
    store: EventStore, timeline: Timeline, flt: TrailFilter, page: int = 500
) -> Iterator[TrailRow]:
    """Matching events in log order, described, without holding the log in memory."""
    names = Names(store)
    folder = _Folder(store, timeline)
    for nid, event in _events(store, timeline, flt, page):
        if not flt.accepts(event):
            folder.advance(event)
            continue
        before = folder.before(event)
        line = describe(
            event, before if before is not None and before.version else None, who=names.who(event)
        )
        folder.advance(event)
        known = names.get(event.actor.account_id)
        yield TrailRow(
            notification_id=nid,
            recorded_at=local_iso(event.timestamp),
            actor_id=event.actor.account_id,
            actor_username=known[0] if known else None,
            actor_role=str(event.actor.role),
            correlation_id=event.correlation_id,
            stream_type=event.TOPIC.split(".", 1)[0],
            stream_id=event.originator_id,
            version=event.originator_version,
            event=type(event).__name__,
            summary=line.summary,
            changes=line.changes,
        )


def _events(
    store: EventStore, timeline: Timeline, flt: TrailFilter, page: int
) -> Iterator[tuple[int, ev.Event]]:
    if flt.innovation is not None:
        links = {
            r.originator_version: r.notification_id
            for r in timeline.chain.chain_for(flt.innovation)
        }
        for event in store.events(flt.innovation):
            yield links.get(event.originator_version, 0), event
        return
    after, stop = 0, None
    if flt.start is not None or flt.end is not None:
        bounds = timeline.chain.notification_bounds(
            to_micros(flt.start) if flt.start else None, to_micros(flt.end) if flt.end else None
        )
        if bounds is None:
            return
        after, stop = bounds[0] - 1, bounds[1]
    for notification in store.iter_notifications(after=after, batch=page, stop=stop):
        yield notification.id, decode_event(notification.topic, notification.state)
