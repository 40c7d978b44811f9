"""Compliance with Perbup Sragen 87/2021 art. 38: at least one innovation per organisation per
budget year.

Per organisation and budget year: how many innovations are drafts, in review, approved, rejected
or withdrawn. An organisation complies for a year once one innovation has been submitted and not
withdrawn (in review, approved or rejected: it was proposed to Bappeda); drafts alone do not count.
Organisations with no row for a year have nothing at all. Krenova entries (citizens, no
organisation) are not part of the obligation.

The model keeps its own list of organisations, so it answers "who has none" from its own tables,
consistently with its own position in the log.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from projections.base import Envelope
from projections.sql import select_by_keys, ts, upsert
from projections.state import KeyedState
from services.db import Tx
from services.domain import events as ev
from services.domain.lifecycle import (
    EVENT_COMMANDS,
    STATUS_CHANGING_COMMANDS,
    Status,
    transition_after,
)

ORGS = "rm_compliance_orgs"
ITEMS = "rm_compliance_items"
SUMMARY = "rm_compliance"

BUCKETS: dict[str, str] = {
    Status.DRAFT: "drafts",
    Status.WITHDRAWN: "withdrawn",
    Status.REJECTED: "rejected",
    Status.APPROVED: "approved",
    Status.ESTABLISHED: "approved",
    Status.SELECTED_FOR_IGA: "approved",
    Status.REPORTED_TO_IGA: "approved",
    Status.AWARDED: "approved",
}
COUNTS = ("drafts", "in_review", "approved", "rejected", "withdrawn")


def bucket(status: str) -> str:
    return BUCKETS.get(status, "in_review")


STATUS_TOPICS = frozenset(
    cls.TOPIC for cls, command in EVENT_COMMANDS.items() if command in STATUS_CHANGING_COMMANDS
)

_ITEM_COLUMNS = (
    "innovation_id",
    "organisation_id",
    "budget_year",
    "call_id",
    "status",
    "bucket",
    "submitted_at",
    "updated_at",
)
_ORG_COLUMNS = ("id", "code", "name", "kind", "registered_at")
_SUMMARY_COLUMNS = (
    "organisation_id",
    "budget_year",
    *COUNTS,
    "first_submitted_at",
    "last_activity_at",
)


#: The topics folded otherwise than as a status change.
_NOT_STATUS = frozenset(
    {ev.Proposed.TOPIC, ev.OrganisationRegistered.TOPIC, ev.OrganisationRenamed.TOPIC}
)


class ComplianceProjection:
    name = "compliance"
    tables: tuple[str, ...] = (ORGS, ITEMS, SUMMARY)
    topics = STATUS_TOPICS | {
        ev.Proposed.TOPIC,
        ev.OrganisationRegistered.TOPIC,
        ev.OrganisationRenamed.TOPIC,
    }

    def __init__(self, capacity: int = 0) -> None:
        self.items: KeyedState[str, dict[str, Any]] = KeyedState(self._load_items, capacity)
        self.orgs: KeyedState[str, dict[str, Any]] = KeyedState(self._load_orgs, capacity)
        self.touched_orgs: set[str] = set()

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        o, i, s = (f"{t}{suffix}" for t in self.tables)
        counts = ", ".join(f"{c} BIGINT NOT NULL DEFAULT 0" for c in COUNTS)
        return [
            f"CREATE TABLE IF NOT EXISTS {o} (id TEXT PRIMARY KEY, code TEXT, name TEXT, "
            "kind TEXT, registered_at TEXT)",
            f"CREATE TABLE IF NOT EXISTS {i} (innovation_id TEXT PRIMARY KEY, "
            "organisation_id TEXT NOT NULL, budget_year BIGINT NOT NULL, call_id TEXT, "
            "status TEXT NOT NULL, bucket TEXT NOT NULL, submitted_at TEXT, updated_at TEXT)",
            f"CREATE INDEX IF NOT EXISTS {i}_by_org ON {i} (organisation_id, budget_year)",
            f"CREATE TABLE IF NOT EXISTS {s} (organisation_id TEXT NOT NULL, "
            f"budget_year BIGINT NOT NULL, {counts}, first_submitted_at TEXT, "
            "last_activity_at TEXT, PRIMARY KEY (organisation_id, budget_year))",
            f"CREATE INDEX IF NOT EXISTS {s}_by_year ON {s} (budget_year)",
        ]

    @staticmethod
    def _load_items(tx: Tx, keys: list[str], suffix: str) -> dict[str, dict[str, Any]]:
        rows = select_by_keys(tx, f"{ITEMS}{suffix}", _ITEM_COLUMNS, "innovation_id", keys)
        return {r[0]: dict(zip(_ITEM_COLUMNS, r, strict=True)) for r in rows}

    @staticmethod
    def _load_orgs(tx: Tx, keys: list[str], suffix: str) -> dict[str, dict[str, Any]]:
        rows = select_by_keys(tx, f"{ORGS}{suffix}", _ORG_COLUMNS, "id", keys)
        return {r[0]: dict(zip(_ORG_COLUMNS, r, strict=True)) for r in rows}

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        self.fold(tx, batch, suffix)
        self.flush(tx, suffix)

    def discard(self) -> None:
        self.items.clear()
        self.orgs.clear()
        self.touched_orgs.clear()

    def fold(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        keys = [e.key or str(e.event.originator_id) for e in batch]
        self.items.load(
            tx,
            [
                k
                for k, e in zip(keys, batch, strict=True)
                if e.topic in STATUS_TOPICS and e.topic != ev.Proposed.TOPIC
            ],
            suffix,
        )
        self.orgs.load(
            tx,
            [
                k
                for k, e in zip(keys, batch, strict=True)
                if e.topic == ev.OrganisationRenamed.TOPIC
            ],
            suffix,
        )
        for key, env in zip(keys, batch, strict=True):
            event = env.event
            when = env.time or ts(event.timestamp)
            if env.topic not in _NOT_STATUS:  # the usual case: a status change
                found = self.items.get(key)
                if found is None:
                    continue
                target = _target(found["status"], type(event))
                if target is None:
                    continue
                found["status"] = target
                found["bucket"] = bucket(target)
                found["updated_at"] = when
                if isinstance(event, ev.Submitted) and not found["submitted_at"]:
                    found["submitted_at"] = when
                self.items.put(key, found)
                self.touched_orgs.add(found["organisation_id"])
            elif isinstance(event, ev.OrganisationRegistered):
                self.orgs.put(
                    key,
                    {
                        "id": key,
                        "code": event.code,
                        "name": event.name,
                        "kind": str(event.kind),
                        "registered_at": when,
                    },
                )
            elif isinstance(event, ev.OrganisationRenamed):
                org = self.orgs.get(key)
                if org is not None:
                    org["name"] = event.name
                    self.orgs.put(key, org)
            elif isinstance(event, ev.Proposed):
                if event.organisation_id is None:
                    continue  # Krenova: not an organisation's obligation
                item: dict[str, Any] = {
                    "innovation_id": key,
                    "organisation_id": str(event.organisation_id),
                    "budget_year": event.budget_year,
                    "call_id": str(event.call_id),
                    "status": Status.DRAFT.value,
                    "bucket": bucket(Status.DRAFT),
                    "submitted_at": None,
                    "updated_at": when,
                }
                self.items.put(key, item)
                self.touched_orgs.add(item["organisation_id"])

    def flush(self, tx: Tx, suffix: str = "") -> None:
        for state, table, columns, key in (
            (self.orgs, ORGS, _ORG_COLUMNS, "id"),
            (self.items, ITEMS, _ITEM_COLUMNS, "innovation_id"),
        ):
            dirty = state.take_dirty()
            for new in (True, False):
                rows = [tuple(r[c] for c in columns) for _, r, n in dirty if n is new]
                upsert(tx, f"{table}{suffix}", columns, (key,), rows, new=new)
        if not self.touched_orgs:
            return
        orgs = sorted(self.touched_orgs)
        self.touched_orgs = set()
        sums = ", ".join(f"SUM(CASE WHEN bucket = '{c}' THEN 1 ELSE 0 END)" for c in COUNTS)
        summary = _grouped(tx, f"{ITEMS}{suffix}", sums, orgs)
        upsert(
            tx,
            f"{SUMMARY}{suffix}",
            _SUMMARY_COLUMNS,
            ("organisation_id", "budget_year"),
            [tuple(int(v) if 1 <= i <= 6 else v for i, v in enumerate(row)) for row in summary],
        )


@functools.cache  # pure, few keys: called for every status event of a rebuild
def _target(status: str, event_type: type[ev.Event]) -> str | None:
    """The status an event of this type moves an item to; None if it names no target (or
    cannot follow ``status``)."""
    row = transition_after(status, event_type)
    if row is None or row.target is None:
        return None
    return row.target.value


def _grouped(tx: Tx, items: str, sums: str, orgs: list[str]) -> list[tuple[Any, ...]]:
    select = (
        f"SELECT organisation_id, budget_year, {sums}, MIN(submitted_at), MAX(updated_at) "
        f"FROM {items} WHERE organisation_id "
    )
    group = " GROUP BY organisation_id, budget_year"
    if tx.dialect == "postgres":
        return tx.execute(select + "= ANY(?)" + group, (orgs,)).fetchall()
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(orgs), 500):
        part = orgs[start : start + 500]
        rows += tx.execute(select + f"IN ({', '.join('?' * len(part))})" + group, part).fetchall()
    return rows
