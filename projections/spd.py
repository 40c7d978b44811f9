"""The SPD rows read model: one row per (assessment year, SPD score row), for the index and the
completeness lists.

``rm_spd_rows(year, row_no, position, variable, name, weight, mandatory, owner_organisation_id,
status, values_json, figure, claimed_level, verified_level, evidence_count, revision, note,
verdict_note, updated_at, sheet_version)``: ``claimed_level`` is what the raw values earn (0 while
unfilled), ``verified_level`` is set once Bappeda checked the row (0 when returned) and NULL
while it is not verified (again: any change after a check lapses it). Opening a year's sheet
inserts every row of that year's catalogue, so untouched rows are present at level 0.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import msgspec

from projections.base import Envelope
from projections.sql import to_json, ts, upsert
from services.db import Tx
from services.domain import events as ev
from services.domain import spd_rows as rows
from services.domain.spd_sheet import sheet_id

ROWS = "rm_spd_rows"
COLUMNS = (
    "year",
    "row_no",
    "position",
    "variable",
    "name",
    "weight",
    "mandatory",
    "owner_organisation_id",
    "status",
    "values_json",
    "figure",
    "claimed_level",
    "verified_level",
    "evidence_count",
    "evidence_json",
    "revision",
    "note",
    "verdict_note",
    "updated_at",
    "sheet_version",
)
_INTS = {"year", "position", "mandatory", "claimed_level", "verified_level"}
_INTS |= {"evidence_count", "revision", "sheet_version"}
_YEARS = {str(sheet_id(year)): year for year in range(2000, 2101)}


def _blank(year: int, no: str, position: int) -> dict[str, Any]:
    definition = None
    with contextlib.suppress(rows.UnknownSpdYear):
        definition = rows.definition(year, no)
    return {
        "year": year,
        "row_no": no,
        "position": position,
        "variable": definition.variable if definition else "",
        "name": definition.name if definition else "",
        "weight": str(definition.weight) if definition else "0",
        "mandatory": int(definition.mandatory) if definition else 0,
        "owner_organisation_id": None,
        "status": "kosong",
        "values_json": "{}",
        "figure": None,
        "claimed_level": 0,
        "verified_level": None,
        "evidence_count": 0,
        "evidence_json": "{}",
        "revision": 0,
        "note": "",
        "verdict_note": "",
        "updated_at": None,
        "sheet_version": 0,
    }


class SpdRowsProjection:
    name = "spd"
    tables: tuple[str, ...] = (ROWS,)
    topics = frozenset(topic for topic in ev.CATALOGUE if topic.startswith("spd."))

    def schema(self, dialect: str, suffix: str = "") -> list[str]:
        cols = ",\n".join(f"{c} {'BIGINT' if c in _INTS else 'TEXT'}" for c in COLUMNS)
        t = f"{ROWS}{suffix}"
        return [
            f"CREATE TABLE IF NOT EXISTS {t} (\n{cols},\nPRIMARY KEY (year, row_no)\n)",
            f"CREATE INDEX IF NOT EXISTS {t}_by_owner ON {t} (owner_organisation_id, year)",
        ]

    def apply(self, tx: Tx, batch: Sequence[Envelope], suffix: str = "") -> None:
        table = f"{ROWS}{suffix}"
        held: dict[tuple[int, str], dict[str, Any]] = {}
        loaded: set[int] = set()

        def year_rows(year: int) -> None:
            if year in loaded:
                return
            loaded.add(year)
            found = tx.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {table} WHERE year = ?", (year,)
            ).fetchall()
            for r in found:
                row = dict(zip(COLUMNS, r, strict=True))
                held.setdefault((year, row["row_no"]), row)

        def row_of(year: int, no: str) -> dict[str, Any]:
            year_rows(year)
            key = (year, no)
            if key not in held:
                held[key] = _blank(year, no, 99)
            return held[key]

        for env in batch:
            e = env.event
            year = _YEARS.get(str(e.originator_id))
            if year is None:
                continue
            when = env.time or ts(e.timestamp)
            if isinstance(e, ev.SpdSheetOpened):
                year_rows(year)
                try:
                    definitions = rows.row_definitions(year)
                except rows.UnknownSpdYear:
                    definitions = ()
                for position, definition in enumerate(definitions, start=1):
                    held.setdefault((year, definition.no), _blank(year, definition.no, position))
                continue
            no = getattr(e, "row_no", "")
            row = row_of(year, no)
            row["updated_at"], row["sheet_version"] = when, e.originator_version
            if isinstance(e, ev.SpdRowAssigned):
                row["owner_organisation_id"] = str(e.organisation_id) if e.organisation_id else None
                continue
            if isinstance(e, ev.SpdRowSubmitted):
                row["status"] = "diajukan"
                continue
            if isinstance(e, ev.SpdRowVerified):
                row["status"] = "diterima" if e.accepted else "ditolak"
                row["verified_level"], row["verdict_note"] = e.level, e.note
                continue
            # A change of values or evidence: the row is a draft again, any check lapses.
            row["status"], row["verified_level"] = "draf", None
            row["revision"] = int(row["revision"] or 0) + 1
            if isinstance(e, ev.SpdRowFilled):
                row["values_json"] = to_json(e.values)
                row["figure"] = None if e.figure is None else str(e.figure)
                row["claimed_level"], row["note"] = e.level, e.note
            else:
                evidence = msgspec.json.decode(row["evidence_json"] or "{}")
                if isinstance(e, ev.SpdEvidenceAttached):
                    evidence[str(e.document.doc_id)] = {
                        "name": e.document.name,
                        "kind": str(e.document.kind),
                        "sha256": e.document.sha256,
                    }
                    if e.document.replaces is not None:
                        evidence.pop(str(e.document.replaces), None)
                elif isinstance(e, ev.SpdEvidenceRemoved):
                    evidence.pop(str(e.doc_id), None)
                row["evidence_json"] = to_json(evidence)
                row["evidence_count"] = len(evidence)
        if held:
            upsert(
                tx,
                table,
                COLUMNS,
                ("year", "row_no"),
                [tuple(r[c] for c in COLUMNS) for r in held.values()],
            )
