"""The catalogue read model: every innovation's public face, and the full-text search index.

``rm_catalogue`` holds, per innovation, the fields the public catalogue shows (title, stage,
kind, theme, affair, goals, benefits, results, the Krenova abstract, SK, verified score) plus the
columns that scope who may find it (published, organisation, submitter). The public catalogue is
its published rows; staff, operators and participants search the rows they may see.

``rm_catalogue_fts`` is the search index: on PostgreSQL a ``tsvector`` (``simple`` configuration,
title weighted above the body) with a GIN index; on SQLite an FTS5 table (``unicode61``,
diacritics removed). Both index text folded by ``projections.text``. Its key ``doc_no`` is the
notification id of the innovation's ``Proposed`` event: stable, and the same in every rebuild.

On PostgreSQL the index rows also carry the innovation's ``id`` and, once it is published, its
``published_at`` (NULL before): the public search finds, ranks and orders its matches from the
index alone, without joining every match with ``rm_catalogue`` (whose join a prepared
statement's generic plan would make a nested loop over every match). On SQLite a covering index
of ``rm_catalogue`` (doc_no, published, published_at, id) does that job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from projections.base import Envelope
from projections.compliance import STATUS_TOPICS
from projections.sql import (
    FLUSH_CHUNK,
    blob_type,
    chunks,
    pack,
    sampled_statistics,
    select_by_keys,
    ts,
    upsert,
)
from projections.state import KeyedState
from projections.text import fold as fold_text
from projections.text import tsvector
from services.db import Tx
from services.domain import events as ev
from services.domain import urusan
from services.domain.lifecycle import Status, status_text_after
from services.domain.values import Profile

CATALOGUE = "rm_catalogue"
FTS = "rm_catalogue_fts"

PROFILE_TOPICS = frozenset(
    {
        ev.Proposed.TOPIC,
        ev.ProfileUpdated.TOPIC,
        ev.StageAdvanced.TOPIC,
        ev.Published.TOPIC,
        ev.Approved.TOPIC,
        ev.Established.TOPIC,
        ev.Awarded.TOPIC,
    }
)


class Entry(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    doc_no: int
    status: str = Status.DRAFT.value
    published: bool = False
    published_at: str | None = None
    organisation_id: str | None = None
    submitter_id: str | None = None
    call_id: str | None = None
    call_kind: str = "annual"
    budget_year: int = 0
    profile: Profile = Profile()
    verified_score: int | None = None
    sk_number: str = ""
    sk_date: str | None = None
    award: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    text_changed: bool = True
    profile_changed: bool = True
    published_changed: bool = False  # the search index's published_at (PostgreSQL) is stale


_entry = msgspec.msgpack.Decoder(Entry)
_profile = msgspec.msgpack.Decoder(Profile)
_NO_PROFILE = Profile()

STATE_COLUMNS = (
    "id",
    "doc_no",
    "status",
    "published",
    "published_at",
    "organisation_id",
    "submitter_id",
    "call_id",
    "call_kind",
    "budget_year",
    "verified_score",
    "sk_number",
    "sk_date",
    "award",
    "created_at",
    "updated_at",
    "fold",
)
#: Written only when the profile changed (most events change the status, not the profile).
PROFILE_COLUMNS = (
    "title",
    "stage",
    "kind",
    "form",
    "theme",
    "affair",
    "initiator",
    "initiator_name",
    "goals",
    "benefits",
    "results",
    "abstract",
    "profile",
)
COLUMNS = STATE_COLUMNS + PROFILE_COLUMNS
_BLOBS = {"fold", "profile"}
_INTS = {"doc_no", "published", "budget_year", "verified_score"}


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def search_text(p: Profile) -> tuple[str, str]:
    """(title, body) as indexed: folded; the body joins every narrative field."""
    parts = [
        urusan.text(p.urusan, p.urusan_unmatched),
        *urusan.texts(p.urusan_lain, p.urusan_lain_unmatched),
        p.initiator_name,
    ]
    parts += [p.goals, p.benefits, p.results]
    parts += list(msgspec.structs.astuple(p.design))
    if p.krenova is not None:
        k = p.krenova
        parts += [k.abstract, k.advantages, k.benefits, k.application]
    return fold_text(p.title), fold_text(" ".join(x for x in parts if x))


class CatalogueProjection:
    name = "catalogue"
    tables: tuple[str, ...] = (CATALOGUE, FTS)
    topics = PROFILE_TOPICS | STATUS_TOPICS

    def __init__(self, capacity: int = 0) -> None:
        self.state: KeyedState[str, Entry] = KeyedState(self._load, capacity)

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        c, f = f"{CATALOGUE}{suffix}", f"{FTS}{suffix}"
        cols = ", ".join(
            f"{col} "
            + (blob_type(dialect) if col in _BLOBS else "BIGINT" if col in _INTS else "TEXT")
            + (" PRIMARY KEY" if col == "id" else "")
            for col in COLUMNS
        )
        statements = [
            f"CREATE TABLE IF NOT EXISTS {c} ({cols})",
            *sampled_statistics(dialect, c, COLUMNS),
            f"CREATE UNIQUE INDEX IF NOT EXISTS {c}_by_doc ON {c} (doc_no)",
            f"CREATE INDEX IF NOT EXISTS {c}_public ON {c} (published, published_at)",
            f"CREATE INDEX IF NOT EXISTS {c}_by_org ON {c} (organisation_id)",
        ]
        if dialect == "postgres":
            statements += [
                f"CREATE TABLE IF NOT EXISTS {f} (doc_no BIGINT PRIMARY KEY, id TEXT NOT NULL, "
                "published_at TEXT, document tsvector NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS {f}_gin ON {f} USING GIN (document)",
                # A broad search's newest matches (``queries.catalogue.RANK_WINDOW``) in order.
                f"CREATE INDEX IF NOT EXISTS {f}_newest ON {f} (published_at DESC, id)",
            ]
        else:
            statements += [
                # The public search's join from each match: one lookup, no table row read.
                f"CREATE INDEX IF NOT EXISTS {c}_by_doc_public "
                f"ON {c} (doc_no, published, published_at, id)",
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {f} USING fts5(title, body, "
                "tokenize = 'unicode61 remove_diacritics 2')",
            ]
        return statements

    @staticmethod
    def _load(tx: Tx, keys: list[str], suffix: str) -> dict[str, Entry]:
        rows = select_by_keys(tx, f"{CATALOGUE}{suffix}", ("id", "fold", "profile"), "id", keys)
        found = {}
        for key, state, profile in rows:
            entry = _entry.decode(bytes(state))
            entry.profile = _profile.decode(bytes(profile))
            entry.profile_changed = entry.text_changed = entry.published_changed = False
            found[key] = entry
        return found

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        self.fold(tx, batch, suffix)
        self.flush(tx, suffix)

    def discard(self) -> None:
        self.state.clear()

    def fold(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        keys = [e.key or str(e.event.originator_id) for e in batch]
        created = {k for k, e in zip(keys, batch, strict=True) if e.topic == _PROPOSED}
        self.state.load(tx, [k for k in keys if k not in created], suffix)
        get, put = self.state.get, self.state.put
        for key, env in zip(keys, batch, strict=True):
            event = env.event
            when = env.time or ts(event.timestamp)
            if env.topic == _PROPOSED:
                assert isinstance(event, ev.Proposed)
                entry = Entry(
                    id=key,
                    doc_no=env.notification_id,
                    organisation_id=_s(event.organisation_id),
                    submitter_id=_s(event.submitter_id),
                    call_id=str(event.call_id),
                    call_kind=str(event.call_kind),
                    budget_year=event.budget_year,
                    profile=event.profile,
                    created_at=when,
                )
            else:
                found = get(key)
                if found is None:
                    continue
                entry = found
                after = status_text_after(entry.status, type(event))
                if after is not None:
                    entry.status = after
                if type(event) in _CHANGING:
                    _fold(entry, event, when)
            entry.updated_at = when
            put(key, entry)

    def flush(self, tx: Tx, suffix: str = "") -> None:
        dirty = self.state.take_dirty()
        if not dirty:
            return
        for part in chunks(dirty, FLUSH_CHUNK):  # bounded memory when a rebuild writes all
            _write(tx, suffix, part)


def _write(tx: Tx, suffix: str, dirty: Sequence[tuple[str, Entry, bool]]) -> None:
    texts: list[tuple[int, str, str, bool, str, str | None]] = []
    published: list[tuple[str | None, int]] = []
    groups: dict[tuple[bool, bool], list[tuple[Any, ...]]] = {}
    for _, entry, is_new in dirty:
        public = entry.published_at if entry.published else None
        if entry.text_changed:
            texts.append((entry.doc_no, *search_text(entry.profile), is_new, entry.id, public))
        elif entry.published_changed:
            published.append((public, entry.doc_no))
        with_profile = is_new or entry.profile_changed
        entry.text_changed = entry.profile_changed = entry.published_changed = False
        groups.setdefault((is_new, with_profile), []).append(_row(entry, with_profile))
    for (is_new, with_profile), rows in groups.items():
        columns = COLUMNS if with_profile else STATE_COLUMNS
        upsert(tx, f"{CATALOGUE}{suffix}", columns, ("id",), rows, new=is_new)
    _index(tx, f"{FTS}{suffix}", texts)
    if published and tx.dialect == "postgres":
        tx.executemany(f"UPDATE {FTS}{suffix} SET published_at = ? WHERE doc_no = ?", published)


def _fold(entry: Entry, e: ev.Event, when: str | None) -> None:
    if isinstance(e, ev.ProfileUpdated):
        entry.profile = e.changes.apply_to(entry.profile)
        entry.text_changed = entry.profile_changed = True
    elif isinstance(e, ev.StageAdvanced):
        entry.profile = e.apply_to(entry.profile)
        entry.profile_changed = True
    elif isinstance(e, ev.Published):
        entry.published, entry.published_at = True, when
        entry.published_changed = True
    elif isinstance(e, ev.Approved):
        entry.verified_score = e.verified_score
    elif isinstance(e, ev.Established):
        entry.sk_number, entry.sk_date = e.sk_number, e.sk_date.isoformat()
    elif isinstance(e, ev.Awarded):
        entry.award = str(e.award)


#: The event types ``_fold`` changes an entry for beyond its status (most events change only that).
_CHANGING = frozenset(
    {ev.ProfileUpdated, ev.StageAdvanced, ev.Published, ev.Approved, ev.Established, ev.Awarded}
)
_PROPOSED = ev.Proposed.TOPIC


def _row(entry: Entry, with_profile: bool) -> tuple[Any, ...]:
    state = (
        entry.id,
        entry.doc_no,
        entry.status,
        int(entry.published),
        entry.published_at,
        entry.organisation_id,
        entry.submitter_id,
        entry.call_id,
        entry.call_kind,
        entry.budget_year,
        entry.verified_score,
        entry.sk_number,
        entry.sk_date,
        entry.award,
        entry.created_at,
        entry.updated_at,
        pack(msgspec.structs.replace(entry, profile=_NO_PROFILE)),
    )
    if not with_profile:
        return state
    p = entry.profile
    return state + (
        p.title,
        _s(p.stage),
        _s(p.kind),
        _s(p.form),
        _s(p.theme),
        urusan.text(p.urusan, p.urusan_unmatched),  # the column keeps its name: a label now
        _s(p.initiator),
        p.initiator_name,
        p.goals,
        p.benefits,
        p.results,
        p.krenova.abstract if p.krenova is not None else "",
        pack(p),
    )


_PG_INDEX_COLUMNS = ("doc_no", "id", "published_at", "document")


def _index(tx: Tx, fts: str, texts: list[tuple[int, str, str, bool, str, str | None]]) -> None:
    """Write the search documents of changed entries (replacing older ones); on PostgreSQL with
    the innovation's id and publication time."""
    if not texts:
        return
    if tx.dialect == "postgres":
        for new in (True, False):
            rows = [
                (doc_no, key, public, tsvector(t, b))
                for doc_no, t, b, is_new, key, public in texts
                if is_new is new
            ]
            upsert(tx, fts, _PG_INDEX_COLUMNS, ("doc_no",), rows, new=new)
        return
    tx.executemany(f"DELETE FROM {fts} WHERE rowid = ?", [(t[0],) for t in texts if not t[3]])
    tx.executemany(
        f"INSERT INTO {fts} (rowid, title, body) VALUES (?, ?, ?)", [t[:3] for t in texts]
    )
