"""Which care records count as an indicator's evidence, and the level they point to: the one
rule the assessment picker, the reviewer's page and the API read.

The rubric year file names the source per indicator (``care_evidence``): ``mentoring`` for
"Bimtek inovasi" (workshops/bimtek held in the last two years: 1× → level 1, 2× → level 2, more →
level 3; iid-indicators.md no. 5) and ``monev`` for "Monitoring dan evaluasi" (the highest report
kind: internal → 1, SKM → 2, external research-based → 3; iga-index.md (i)). The records' files
(session attachments, report photos) are what a reviewer opens.
"""

from __future__ import annotations

from datetime import date, timedelta

import msgspec

from services.domain.call import format_date
from services.domain.events import FileRef
from services.domain.mentoring import MODE_LABELS, Mentoring, Mode
from services.domain.monev import REPORT_LABELS, REPORT_LEVEL, Monev
from services.domain.rubric import Rubric

#: The Bimtek indicator counts sessions "in 2 years" (iid-indicators.md, indicator 5).
BIMTEK_WINDOW = timedelta(days=730)


class CareRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One session or report offered as evidence, with its files."""

    id: str
    label: str
    on: date
    files: tuple[FileRef, ...] = ()


class CareEvidence(msgspec.Struct, frozen=True, kw_only=True):
    indicator: int
    source: str  # "mentoring" | "monev"
    level: int  # the level the records point to (0: none yet)
    summary: str
    records: tuple[CareRecord, ...]


def bimtek_level(count: int) -> int:
    return 0 if count <= 0 else min(count, 3)


def offers(
    rubric: Rubric, mentoring: Mentoring | None, monev: Monev | None, today: date
) -> dict[int, CareEvidence]:
    """Per indicator the rubric marks, what the care records evidence (empty records too, so
    the picker can say none are recorded yet)."""
    found: dict[int, CareEvidence] = {}
    for ind in rubric.indicators:
        if ind.care_evidence == "mentoring":
            found[ind.no] = _bimtek(ind.no, mentoring, today)
        elif ind.care_evidence == "monev":
            found[ind.no] = _monev(ind.no, monev)
    return found


def _bimtek(no: int, mentoring: Mentoring | None, today: date) -> CareEvidence:
    sessions = mentoring.bimtek(today - BIMTEK_WINDOW) if mentoring is not None else []
    records = tuple(
        CareRecord(
            id=str(s.id),
            label=f"{MODE_LABELS[Mode.BIMTEK]} {format_date(s.held_on)}: {'; '.join(s.topics)}",
            on=s.held_on,
            files=tuple(mentoring.attachments_of(s.id)) if mentoring is not None else (),
        )
        for s in sessions
    )
    level = bimtek_level(len(records))
    return CareEvidence(
        indicator=no,
        source="mentoring",
        level=level,
        summary=f"{len(records)} sesi bimtek pendampingan dalam 2 tahun terakhir"
        + (f": mendukung level {level}" if level else ""),
        records=records,
    )


def _monev(no: int, monev: Monev | None) -> CareEvidence:
    reports = sorted(monev.reports, key=lambda r: r.reported_on, reverse=True) if monev else []
    records = tuple(
        CareRecord(
            id=str(r.id),
            label=f"{REPORT_LABELS.get(r.kind, r.kind)} {format_date(r.reported_on)}",
            on=r.reported_on,
            files=tuple(monev.photos_of(r.id)) if monev is not None else (),
        )
        for r in reports
    )
    level = monev.evidence_level() if monev is not None else 0
    assert level in (0, *REPORT_LEVEL.values())
    return CareEvidence(
        indicator=no,
        source="monev",
        level=level,
        summary=f"{len(records)} laporan monev tercatat"
        + (f": mendukung level {level}" if level else ""),
        records=records,
    )
