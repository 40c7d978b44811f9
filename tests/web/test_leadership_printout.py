"""The leadership printout stays on one A4 page at its worst: every status present, fifty
organisations with the longest names allowed, overdue items with the longest titles."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from uuid import uuid4

from pypdf import PdfReader

from services.domain.lifecycle import STATUS_LABELS
from services.domain.research.lifecycle import STATUS_LABELS as RESEARCH_LABELS
from services.domain.values import STAGE_LABELS
from services.http import limits
from services.reads.leadership import (
    Compliance,
    Count,
    IndexFigure,
    Innovations,
    LeadershipSummary,
    Mentoring,
    Monev,
    Organisation,
    Pending,
    Research,
    SpdStatus,
)
from services.web.pages.leadership import PRINTED_ORGANISATIONS
from services.web.printing.leadership import layout, summary_pdf

LONG_NAME = ("Organisasi " + "Sangat Panjang " * 14)[:200]  # the name limit
LONG_TITLE = ("Inovasi " + "Berjudul Panjang " * 18)[:300]  # the title limit


def _counts(labels: dict[str, str]) -> list[Count]:
    return [Count(code=str(k), label=v, count=1000) for k, v in labels.items()]


def _index(year: int) -> IndexFigure:
    return IndexFigure(
        year=year,
        verified=88.88,
        verified_band="Sangat Inovatif",
        claimed=99.99,
        claimed_band="Sangat Inovatif",
        reported=200,
        spd_score=63,
        sid_score=111,
        count_score=76,
        max_total=250,
        perkiraan=True,
    )


def _pending(n: int) -> list[Pending]:
    return [
        Pending(
            innovation_id=uuid4(),
            title=LONG_TITLE,
            organisation_name=LONG_NAME,
            due_on="2026-01-01",
            days_late=300,
            text=LONG_TITLE,
        )
        for _ in range(n)
    ]


def worst(year: int = 2026) -> LeadershipSummary:
    assert len(LONG_NAME) == limits.NAME_MAX and len(LONG_TITLE) == limits.TITLE_MAX
    organisations = [Organisation(id=uuid4(), code="X", name=LONG_NAME) for _ in range(50)]
    return LeadershipSummary(
        year=year,
        today=date(2026, 12, 3),
        index=_index(year),
        previous_index=_index(year - 1),
        index_change=-11.11,
        spd=SpdStatus(
            recorded=True,
            rows=20,
            by_status=_counts(
                {
                    "kosong": "Belum diisi",
                    "draf": "Draf",
                    "diajukan": "Diajukan, menunggu verifikasi",
                    "diterima": "Diterima Bappeda",
                    "ditolak": "Dikembalikan",
                }
            ),
            claimed_score=63,
            verified_score=63,
            maximum=63,
        ),
        innovations=Innovations(
            total=99999,
            by_status=_counts(STATUS_LABELS),
            by_stage=_counts({str(k): v for k, v in STAGE_LABELS.items()}),
        ),
        compliance=Compliance(
            rule="Perbup Sragen 87/2021 pasal 38",
            organisations=50,
            compliant=0,
            draft_only=0,
            none=50,
            percent_compliant=0.0,
            days_remaining_in_year=365,
            without_proposal=organisations,
        ),
        research=Research(
            agenda_status="ditetapkan",
            agenda_status_label="Ditetapkan Perkada",
            agenda_title=LONG_TITLE,
            proposals=99999,
            by_status=_counts(RESEARCH_LABELS),
            completed=9999,
            recommendations=9999,
            follow_ups=[],
            adopted=9999,
        ),
        monev=Monev(
            visits_overdue=999,
            visits_due_soon=999,
            overdue=_pending(10),
            reports=999,
            recommendations=_counts(
                {
                    "lanjutkan": "Lanjutkan",
                    "perbaiki": "Perbaiki",
                    "replikasi": "Replikasi",
                    "hentikan": "Hentikan",
                }
            ),
        ),
        mentoring=Mentoring(follow_ups_open=999, follow_ups_overdue=999, overdue=_pending(10)),
    )


def test_the_longest_summary_still_fits_one_page() -> None:
    made = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    sheet = layout(worst(), made, named=PRINTED_ORGANISATIONS)
    assert sheet.page_no() == 1
    assert sheet.get_y() <= sheet.h - sheet.b_margin, "the text runs past the bottom margin"
    reader = PdfReader(io.BytesIO(summary_pdf(worst(), made, named=PRINTED_ORGANISATIONS)))
    assert len(reader.pages) == 1
    text = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    assert "88,88" in text and "dan 42 lainnya" in text and "dan 996 lainnya" in text
