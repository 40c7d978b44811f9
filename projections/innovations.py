"""The innovations read model: one row per innovation, for the OPD status board, the review
queue, the innovation list and the maturity leaderboard.

Each row carries what those screens show without touching the event log: status, the profile's
headline fields, claimed and verified maturity score, completeness and the list of what is
missing, what the reviewer asked for in an open revision, the assigned reviewers, and the times
the queue's age and SLA are computed from.

Speed: the state needed to recompute a row (documents, claims, verified levels, the profile) is
kept per innovation in ``rm_innovation_fold`` as msgpack (the profile in its own column, written
only when it changes). A batch loads it once per touched
innovation, folds the batch's events in memory, and writes each row once. The score and
completeness come from ``services.domain.scoring`` (the same functions the aggregate uses), once
per touched innovation per batch, and only when an event changed their inputs; identical inputs
are memoised.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

import msgspec

from projections.base import Envelope
from projections.innovation_fold import HANDLERS, Fold
from projections.overlap import overlapped
from projections.sql import (
    FLUSH_CHUNK,
    blob_type,
    chunks,
    in_pipeline,
    pack,
    sampled_statistics,
    select_by_keys,
    to_json,
    ts,
    upsert,
)
from projections.state import KeyedState
from services.db import Tx
from services.domain import events as ev
from services.domain import scoring
from services.domain.innovation import field_labels
from services.domain.lifecycle import IN_REVIEW, Status, status_text_after
from services.domain.profile_checks import field_checks
from services.domain.rubric import Rubric, UnknownRubricYear, load_rubric
from services.domain.values import CallKind, Profile

log = logging.getLogger("sirisma.projections.innovations")

INNOVATIONS = "rm_innovations"
FOLD = "rm_innovation_fold"
CALLS = "rm_innovation_calls"

#: Events that change the profile.
PROFILE_EVENTS = (ev.Proposed, ev.ProfileUpdated, ev.StageAdvanced)
#: Events that change what the score or completeness is computed from.
SCORE_INPUTS = (
    ev.Proposed,
    ev.ProfileUpdated,
    ev.DocumentAttached,
    ev.DocumentRemoved,
    ev.IndicatorClaimed,
    ev.DocumentVerified,
    ev.DocumentRejected,
    ev.Scored,
    ev.StageAdvanced,
)


_fold_decoder = msgspec.msgpack.Decoder(Fold)
_profile_decoder = msgspec.msgpack.Decoder(Profile)
_FOLD_COLUMNS = ("id", "state", "profile", "row_stale")
_FOLD_COLUMNS_KEEP_PROFILE = ("id", "state", "row_stale")
_NO_PROFILE = Profile()
Rows = list[tuple[Any, ...]]


def _decode_fold(state: Any, profile: Any) -> Fold:
    fold = _fold_decoder.decode(bytes(state))
    fold.profile = _profile_decoder.decode(bytes(profile))
    fold.profile_changed = False
    return fold


def _write_folds(
    tx: Tx, table: str, dirty: Sequence[tuple[str, Fold, bool]], row_stale: int
) -> None:
    _put_folds(tx, table, _fold_rows(dirty, row_stale))


FoldRows = dict[tuple[bool, bool], list[tuple[Any, ...]]]


def _fold_rows(dirty: Sequence[tuple[str, Fold, bool]], row_stale: int) -> FoldRows:
    """Each fold once; its profile only if it changed since it was last written."""
    groups: FoldRows = {}
    for key, fold, is_new in dirty:
        with_profile = is_new or fold.profile_changed
        state = pack(msgspec.structs.replace(fold, profile=_NO_PROFILE, profile_changed=False))
        row = (
            (key, state, pack(fold.profile), row_stale) if with_profile else (key, state, row_stale)
        )
        groups.setdefault((is_new, with_profile), []).append(row)
        fold.profile_changed = False
    return groups


def _put_folds(tx: Tx, table: str, groups: FoldRows) -> None:
    for (is_new, with_profile), rows in groups.items():
        columns = _FOLD_COLUMNS if with_profile else _FOLD_COLUMNS_KEEP_PROFILE
        upsert(tx, table, columns, ("id",), rows, new=is_new)


COLUMNS = (
    "id",
    "version",
    "status",
    "call_id",
    "call_kind",
    "organisation_id",
    "submitter_id",
    "budget_year",
    "rubric_year",
    "title",
    "stage",
    "kind",
    "form",
    "theme",
    "urusan",
    "urusan_lain",
    "urusan_unmatched",
    "ministry_verdict",
    "initiator",
    "claimed_score",
    "verified_score",
    "max_score",
    "completeness",
    "missing",
    "missing_count",
    "documents_live",
    "documents_pending",
    "revision_round",
    "revision",
    "reviewers",
    "recommendation",
    "decision_reason",
    "approved_score",
    "sk_number",
    "sk_date",
    "iga_year",
    "published",
    "published_at",
    "administration",
    "krenova_score",
    "award",
    "award_rank",
    "created_at",
    "updated_at",
    "status_changed_at",
    "submitted_at",
    "waiting_since",
    "decided_at",
    "last_event",
    "last_actor_id",
    "doc_no",
    "title_sort",
)
_INT_COLUMNS = {
    "doc_no",
    "version",
    "budget_year",
    "rubric_year",
    "claimed_score",
    "verified_score",
    "max_score",
    "completeness",
    "missing_count",
    "documents_live",
    "documents_pending",
    "revision_round",
    "approved_score",
    "iga_year",
    "published",
    "award_rank",
}


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


_PROPOSED = ev.Proposed.TOPIC
_CALL_OPENED = ev.CallOpened.TOPIC


class _Kind(NamedTuple):
    """What folding an event of one type involves, worked out once per type."""

    handler: Any
    score_input: bool
    profile_event: bool
    proposed: bool
    name: str


_KINDS: dict[type[ev.Event], _Kind] = {}


def _kind(event_type: type[ev.Event]) -> _Kind:
    found = _KINDS.get(event_type)
    if found is None:
        found = _KINDS[event_type] = _Kind(
            HANDLERS.get(event_type),
            issubclass(event_type, SCORE_INPUTS),
            issubclass(event_type, PROFILE_EVENTS),
            issubclass(event_type, ev.Proposed),
            event_type.__name__,
        )
    return found


class InnovationsProjection:
    name = "innovations"
    tables: tuple[str, ...] = (INNOVATIONS, FOLD, CALLS)
    topics = frozenset(
        topic for topic in ev.CATALOGUE if topic.startswith("innovation.")
    ) | frozenset({ev.CallOpened.TOPIC})

    def __init__(self, capacity: int = 0) -> None:
        self.state: KeyedState[str, Fold] = KeyedState(self._load, capacity)
        self.calls: dict[str, tuple[str, ...]] = {}
        self.new_calls: dict[str, tuple[Any, ...]] = {}
        self._points: dict[tuple[Any, ...], tuple[int, int]] = {}
        self._completeness: dict[tuple[Any, ...], tuple[int, list[dict[str, Any]]]] = {}
        self._stale_rows: set[str] = set()  # suffixes flushed with final=False since
        self._checked: set[str] = set()  # suffixes whose stale rows were looked for

    # -- schema ----------------------------------------------------------------------------------

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        cols = ",\n".join(
            f"{c} {'BIGINT' if c in _INT_COLUMNS else 'TEXT'}"
            + (" PRIMARY KEY" if c == "id" else "")
            for c in COLUMNS
        )
        t = f"{INNOVATIONS}{suffix}"
        return [
            f"CREATE TABLE IF NOT EXISTS {t} (\n{cols}\n)",
            *sampled_statistics(dialect, t, COLUMNS),
            f"CREATE INDEX IF NOT EXISTS {t}_by_org ON {t} (organisation_id, updated_at)",
            # The review queue: filtered by status, counted by SLA state (waiting_since) and the
            # reviewer's own organisation, paged by age, from the index alone.
            f"CREATE INDEX IF NOT EXISTS {t}_by_status ON {t} "
            "(status, waiting_since, organisation_id, id)",
            f"CREATE INDEX IF NOT EXISTS {t}_by_call ON {t} (call_id)",
            *self._queue_indexes(dialect, t),
            f"CREATE INDEX IF NOT EXISTS {t}_by_year ON {t} (budget_year, verified_score)",
            f"CREATE INDEX IF NOT EXISTS {t}_by_submitter ON {t} (submitter_id)",
            # Lists and search, newest first: in the lists' order (ids break ties) and covering
            # the search index's key, so a broad search walks it without reading the table.
            f"CREATE INDEX IF NOT EXISTS {t}_newest ON {t} (updated_at DESC, id"
            + (") INCLUDE (doc_no)" if dialect == "postgres" else ", doc_no)"),
            # Search: the index's matches joined by doc_no, paged by updated_at (covering).
            f"CREATE INDEX IF NOT EXISTS {t}_by_doc ON {t} (doc_no, updated_at, id)",
            f"CREATE TABLE IF NOT EXISTS {FOLD}{suffix} (id TEXT PRIMARY KEY, "
            f"state {blob_type(dialect)} NOT NULL, profile {blob_type(dialect)}, "
            "row_stale BIGINT NOT NULL DEFAULT 0)",
            f"CREATE INDEX IF NOT EXISTS {FOLD}{suffix}_stale ON {FOLD}{suffix} (id) "
            "WHERE row_stale = 1",
            f"CREATE TABLE IF NOT EXISTS {CALLS}{suffix} (id TEXT PRIMARY KEY, kind TEXT, "
            "budget_year BIGINT, rubric_year BIGINT, required_documents TEXT)",
        ]

    @staticmethod
    def _queue_indexes(dialect: str, t: str) -> list[str]:
        """The review queue's default order (``queries.queue.QUEUE_SORTS["age"]``, text in code
        point order), so a page is read from the index instead of sorting the whole queue.
        SQLite compares bytes anyway and has no ``COLLATE "C"``."""
        if dialect != "postgres":
            return []
        statuses = ", ".join(repr(str(s)) for s in IN_REVIEW)
        return [
            f"CREATE INDEX IF NOT EXISTS {t}_queue_age ON {t} "
            '((COALESCE(waiting_since, \'\') COLLATE "C"), (id COLLATE "C")) '
            f"WHERE status IN ({statuses})",
            # Its expression's statistics would otherwise set ANALYZE's sample for the table.
            *sampled_statistics(dialect, f"{t}_queue_age", [1], index=True),
        ]

    # -- the contract ----------------------------------------------------------------------------

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        """Fold and write one batch. ``calls`` (a call's required documents) is kept from batch
        to batch even when no fold state is: a call's row is written once, from its
        ``CallOpened`` (the first event of its stream), and never changes, so a cached entry
        cannot go stale. A live runner then reads each call once, not in every transaction (a
        round trip per step, and under a busy CPU each round trip waits to be scheduled).
        ``discard`` (a failed or dropped batch) still empties it."""
        self.fold(tx, batch, suffix)
        self.flush(tx, suffix)

    def discard(self) -> None:
        self.state.clear()
        self.calls.clear()
        self.new_calls.clear()
        self._checked.clear()

    def fold(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        created: set[str] = set()
        touched: list[str] = []
        for env in batch:
            topic = env.topic
            if topic == _CALL_OPENED:
                continue
            key = env.key or str(env.event.originator_id)
            if topic == _PROPOSED:
                created.add(key)
            elif key not in created:
                touched.append(key)
        self.state.load(tx, touched, suffix)
        for env in batch:
            event = env.event
            if env.topic == _CALL_OPENED:
                assert isinstance(event, ev.CallOpened)
                required = tuple(event.required_documents)
                key = env.key or str(event.originator_id)
                self.calls[key] = required
                self.new_calls[key] = (
                    key,
                    str(event.kind),
                    event.budget_year,
                    event.rubric_year,
                    to_json(list(required)),
                )
                continue
            self._fold_event(
                env.key or str(event.originator_id),
                event,
                env.time or ts(event.timestamp),
                env.notification_id,
            )

    def flush(self, tx: Tx, suffix: str = "", final: bool = True) -> None:
        """Write changed state. ``final=False`` (a rebuild's intermediate checkpoint) writes only
        the fold state, marked ``row_stale``: rows are derived once, at the final flush, instead
        of once per checkpoint. A final flush derives every row still marked stale."""
        if self.new_calls:
            upsert(
                tx,
                f"{CALLS}{suffix}",
                ("id", "kind", "budget_year", "rubric_year", "required_documents"),
                ("id",),
                list(self.new_calls.values()),
            )
            self.new_calls.clear()
        dirty = self.state.take_dirty()
        fold_table = f"{FOLD}{suffix}"
        if not final:
            self._stale_rows.add(suffix)
            for part in chunks(dirty, FLUSH_CHUNK):
                _write_folds(tx, fold_table, part, row_stale=1)
            return
        stale: list[str] = []
        if suffix in self._stale_rows or suffix not in self._checked:
            done = {k for k, _, _ in dirty}
            stale = [
                r[0]
                for r in tx.execute(f"SELECT id FROM {fold_table} WHERE row_stale = 1").fetchall()
                if r[0] not in done
            ]
            self._stale_rows.discard(suffix)
            self._checked.add(suffix)
        # In chunks, so a rebuild's final flush of every innovation stays small in memory; on
        # PostgreSQL each chunk's COPY runs while the next one is derived (``overlapped``: no
        # database use here until the block ends, so the calls are read first).
        self._load_calls(tx, {f.call_id for _, f, _ in dirty if f.call_id}, suffix)
        overlap = len(dirty) > FLUSH_CHUNK and tx.dialect == "postgres" and not in_pipeline(tx)
        with overlapped(overlap) as submit:
            for part in chunks(dirty, FLUSH_CHUNK):
                submit(functools.partial(self._put_rows, tx, suffix, *self._rows(part)))
        for ids in chunks(stale, FLUSH_CHUNK):
            part = [(k, f, False) for k, f in self._load(tx, list(ids), suffix).items()]
            self._load_calls(tx, {f.call_id for _, f, _ in part if f.call_id}, suffix)
            self._put_rows(tx, suffix, *self._rows(part))

    def _rows(self, part: Sequence[tuple[str, Fold, bool]]) -> tuple[Rows, Rows, FoldRows]:
        """A chunk's new and changed rows and its fold rows (no database use: the calls of its
        innovations are loaded)."""
        new_rows: Rows = []
        old_rows: Rows = []
        for _, fold, is_new in part:
            if fold.stale:
                self._derive(fold)
            (new_rows if is_new else old_rows).append(self._row(fold))
        return new_rows, old_rows, _fold_rows(part, row_stale=0)

    @staticmethod
    def _put_rows(tx: Tx, suffix: str, new_rows: Rows, old_rows: Rows, folds: FoldRows) -> None:
        table = f"{INNOVATIONS}{suffix}"
        upsert(tx, table, COLUMNS, ("id",), new_rows, new=True)
        upsert(tx, table, COLUMNS, ("id",), old_rows)
        _put_folds(tx, f"{FOLD}{suffix}", folds)

    # -- loading ---------------------------------------------------------------------------------

    @staticmethod
    def _load(tx: Tx, keys: list[str], suffix: str) -> dict[str, Fold]:
        rows = select_by_keys(tx, f"{FOLD}{suffix}", ("id", "state", "profile"), "id", keys)
        return {r[0]: _decode_fold(r[1], r[2]) for r in rows}

    def _load_calls(self, tx: Tx, call_ids: set[str], suffix: str) -> None:
        missing = [c for c in call_ids if c not in self.calls]
        if not missing:
            return
        rows = select_by_keys(tx, f"{CALLS}{suffix}", ("id", "required_documents"), "id", missing)
        for call_id, required in rows:
            self.calls[call_id] = tuple(msgspec.json.decode(required or "[]"))

    # -- folding ---------------------------------------------------------------------------------

    def _fold_event(self, key: str, event: ev.Event, when: str | None, doc_no: int) -> None:
        kind = _kind(type(event))
        if kind.proposed:
            assert isinstance(event, ev.Proposed)
            fold = Fold(
                id=key,
                doc_no=doc_no,
                call_id=str(event.call_id),
                call_kind=str(event.call_kind),
                organisation_id=_s(event.organisation_id),
                submitter_id=_s(event.submitter_id),
                budget_year=event.budget_year,
                rubric_year=event.rubric_year,
                profile=event.profile,
                created_at=when,
                status_changed_at=when,
            )
        else:
            found = self.state.get(key)
            if found is None:
                log.warning("event %s for unknown innovation %s skipped", event.TOPIC, key)
                return
            fold = found
        previous = fold.status
        after = status_text_after(previous, type(event))
        if after is None:
            log.warning("%s cannot follow status %s (%s)", event.TOPIC, previous, key)
        elif after != previous:
            fold.status = after
            fold.status_changed_at = when
        if kind.handler is not None:
            kind.handler(fold, event, when)
        if kind.score_input:
            fold.stale = True
        if kind.profile_event:
            fold.profile_changed = True
        fold.version = event.originator_version
        fold.updated_at = when
        fold.last_event = kind.name
        fold.last_actor_id = event.actor.account_id  # a UUID until written (encoded as text)
        self.state.put(key, fold)

    # -- derived values --------------------------------------------------------------------------

    def _derive(self, fold: Fold) -> None:
        """Score and completeness, via the domain's scoring functions (memoised on their inputs)."""
        # Per indicator, what its evidence (its live documents and the claim's live evidence)
        # says, as ``_VERDICT`` bits: the scoring rules read no more of it.
        documents, verdict = fold.documents, _VERDICT_BITS.get
        evidence_of: dict[int, int] = {}
        live_kinds: set[str] = set()
        for doc in documents.values():
            if doc.removed:
                continue
            live_kinds.add(doc.kind)
            no = doc.indicator
            if no is not None:
                evidence_of[no] = evidence_of.get(no, 0) | verdict(doc.verdict, _OTHER)
        inputs_key = []
        for no in sorted(set(fold.claims) | set(fold.verified)):
            claim = fold.claims.get(no)
            bits = evidence_of.get(no, 0)
            if claim:
                for doc_id in claim.evidence:
                    evidence = documents.get(doc_id)
                    if evidence is not None and not evidence.removed:
                        bits |= verdict(evidence.verdict, _OTHER)
            inputs_key.append(
                (
                    no,
                    claim.level if claim else 0,
                    fold.verified.get(no),
                    bool(bits & _LIVE),
                    bool(bits & _ACCEPTED),
                    bool(bits),
                )
            )
        checks = tuple(
            field_checks(fold.profile, CallKind(fold.call_kind), fold.rubric_year).items()
        )
        try:
            rubric = load_rubric(fold.rubric_year)
        except UnknownRubricYear:
            fold.claimed_score = fold.verified_score = fold.max_score = fold.completeness = None
            fold.missing, fold.stale = [], False
            return
        known, mandatory, max_score = _indicator_sets(rubric)
        claimed = verified = 0
        for item in inputs_key:
            if item[0] in known:
                points = self._points.get((rubric.year, item))
                if points is None:
                    points = self._points[(rubric.year, item)] = _points(rubric, item)
                claimed += points[0]
                verified += points[1]
        required = self.calls.get(fold.call_id or "", ())
        key = (
            rubric.year,
            fold.call_kind,
            checks,
            tuple(kind in live_kinds for kind in required),
            required,
            tuple(i for i in inputs_key if i[0] in mandatory),
        )
        found = self._completeness.get(key)
        if found is None:
            if len(self._completeness) > 50_000:
                self._completeness.clear()
            found = self._completeness[key] = _completeness(
                rubric, fold.call_kind, key[5], checks, live_kinds, required
            )
        fold.claimed_score, fold.verified_score, fold.max_score = claimed, verified, max_score
        fold.completeness, fold.missing = found
        fold.stale = False

    @staticmethod
    def _row(fold: Fold) -> tuple[Any, ...]:
        p = fold.profile
        live = [d for d in fold.documents.values() if not d.removed]
        open_revision = (
            to_json(fold.revision)
            if fold.revision is not None and fold.status == Status.REVISION_REQUESTED
            else None
        )
        krenova = None
        if fold.judgements:
            mean = sum((Decimal(v) for v in fold.judgements.values()), Decimal(0)) / len(
                fold.judgements
            )
            krenova = str(mean.quantize(Decimal("0.01"), ROUND_HALF_UP))
        return (
            fold.id,
            fold.version,
            fold.status,
            fold.call_id,
            fold.call_kind,
            fold.organisation_id,
            fold.submitter_id,
            fold.budget_year,
            fold.rubric_year,
            p.title,
            _s(p.stage),
            _s(p.kind),
            _s(p.form),
            _s(p.theme),
            p.urusan,
            to_json(list(p.urusan_lain)),
            # The old free text that fits no code: shown as "perlu dipilih ulang".
            to_json([t for t in (p.urusan_unmatched, *p.urusan_lain_unmatched) if t]),
            fold.ministry_verdict,
            _s(p.initiator),
            fold.claimed_score,
            fold.verified_score,
            fold.max_score,
            fold.completeness,
            to_json(fold.missing),
            len(fold.missing),
            len(live),
            sum(1 for d in live if d.verdict == "pending"),
            fold.revision_round,
            open_revision,
            to_json(fold.reviewers),
            fold.recommendation,
            fold.decision_reason,
            fold.approved_score,
            fold.sk_number,
            fold.sk_date,
            fold.iga_year,
            int(fold.published),
            fold.published_at,
            fold.administration,
            krenova,
            fold.award,
            fold.award_rank,
            fold.created_at,
            fold.updated_at,
            fold.status_changed_at,
            fold.submitted_at,
            fold.waiting_since,
            fold.decided_at,
            fold.last_event,
            _s(fold.last_actor_id),
            fold.doc_no,
            (p.title or "").lower(),  # the queue's title order: Python's lower(), both dialects
        )


#: What a document's verdict adds to its indicator's evidence: any at all (every verdict), any
#: not rejected, any accepted.
_ANY, _LIVE, _ACCEPTED = 1, 2, 4
_VERDICT_BITS = {"rejected": _ANY, "pending": _ANY | _LIVE, "accepted": _ANY | _LIVE | _ACCEPTED}
_OTHER = _ANY | _LIVE  # any other verdict counts as not rejected


def _inputs(
    inputs_key: Sequence[tuple[Any, ...]],
) -> list[scoring.IndicatorInput]:
    """Scoring inputs from the reduced per-indicator keys.

    Evidence is reduced to what the scoring rules read (is any item not rejected, is any item
    accepted), represented by one evidence item of the matching verdict."""
    inputs = []
    for no, claimed, verified, live, accepted, any_evidence in inputs_key:
        verdict = "accepted" if accepted else "pending" if live else "rejected"
        evidence = (
            (scoring.Evidence(doc_id="", name="", kind="", verdict=verdict),)  # type: ignore[arg-type]
            if any_evidence
            else ()
        )
        inputs.append(
            scoring.IndicatorInput(
                no=no, claimed_level=claimed, verified_level=verified, evidence=evidence
            )
        )
    return inputs


def _points(rubric: Rubric, item: tuple[Any, ...]) -> tuple[int, int]:
    """(claimed, verified) points of one indicator. The maturity score is the sum over the
    indicators (``scoring.scorecard``), so one indicator at a time gives the same total, and
    the few distinct (indicator, levels, evidence) combinations are memoised."""
    card = scoring.scorecard(rubric, _inputs([item]))
    return card.claimed_total, card.verified_total


def _completeness(
    rubric: Rubric,
    call_kind: str,
    mandatory_inputs: Sequence[tuple[Any, ...]],
    checks: tuple[tuple[str, bool], ...],
    live_kinds: set[str],
    required: tuple[str, ...],
) -> tuple[int, list[dict[str, Any]]]:
    """(percent, missing items) from ``scoring.completeness``, which reads only the fields, the
    required document kinds and the mandatory indicators (so that is all the memo keys on)."""
    comp = scoring.completeness(
        rubric,
        fields=dict(checks),
        field_labels=field_labels(rubric.year),
        present_document_kinds=live_kinds & set(required),
        required_document_kinds=required,
        inputs=_inputs(mandatory_inputs),
        check_indicators=call_kind == CallKind.ANNUAL,
    )
    return comp.percent, [msgspec.to_builtins(m) for m in comp.missing]


_SETS: dict[int, tuple[frozenset[int], frozenset[int], int]] = {}


def _indicator_sets(rubric: Rubric) -> tuple[frozenset[int], frozenset[int], int]:
    """A rubric's indicator numbers, its mandatory ones and its maximum score, worked out once
    per year (``Rubric.max_score`` sums its indicators on every call)."""
    found = _SETS.get(rubric.year)
    if found is None:
        found = _SETS[rubric.year] = (
            frozenset(i.no for i in rubric.indicators),
            frozenset(rubric.mandatory),
            rubric.max_score,
        )
    return found
