"""What each printed document says: the innovation profile (the sections of the ministry's IID
form: identity, rancang bangun, tujuan/manfaat/hasil, anggaran, the 20 indicators with their
evidence), the submission receipt and the review sheet. Each is a pure function of the record
(and the names it needs), so the same record always prints the same text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from services.domain.call import format_jakarta
from services.domain.innovation import Innovation
from services.domain.lifecycle import STATUS_LABELS
from services.domain.rubric import DOCUMENT_KIND_LABELS, Rubric
from services.domain.values import STAGE_LABELS, KrenovaEntry, Profile
from services.web.pages.forms import (
    FORM_LABELS,
    INITIATOR_LABELS,
    KIND_LABELS,
    KRENOVA_FIELD_LABELS,
    PARTICIPANT_LABELS,
    THEME_LABELS,
)
from services.web.pages.rendering import rupiah, tanggal, urusan_text
from services.web.printing.sheet import Sheet

VERDICT_TEXT = {"pending": "Belum diperiksa", "accepted": "Diterima", "rejected": "Ditolak"}
RECOMMENDATION_TEXT = {"approve": "Disetujui", "reject": "Ditolak"}
DESIGN_SECTIONS = (
    ("legal_basis", "Dasar hukum"),
    ("problem", "Permasalahan"),
    ("strategic_issue", "Isu strategis"),
    ("method", "Metode pembaharuan"),
    ("novelty", "Keunggulan dan kebaruan"),
    ("how_it_works", "Cara kerja"),
)


def _label(labels: dict[Any, str], value: Any) -> str:
    if value is None or value == "":
        return "—"
    return labels.get(value, str(value))


def _stamp(value: str | None) -> str:
    return format_jakarta(datetime.fromisoformat(value)) if value else "—"


def _documents(innovation: Innovation) -> list[Any]:
    return [d for d in innovation.documents.values() if not d.removed]


def _indicator_rows(innovation: Innovation, rubric: Rubric) -> tuple[list[list[str]], Any]:
    card = innovation.scorecard(rubric)
    evidence: dict[int, list[str]] = {}
    for claim_no, claim in innovation.claims.items():
        names = [
            innovation.documents[d].document.name
            for d in claim.evidence
            if d in innovation.documents and not innovation.documents[d].removed
        ]
        evidence[claim_no] = names
    rows = [
        [
            str(i.no),
            i.name,
            str(i.weight),
            str(i.claimed_level or "—"),
            str(i.verified_level) if i.verified_level is not None else "—",
            str(i.verified_points if i.verified_level is not None else i.claimed_points),
            "; ".join(evidence.get(i.no, [])) or "—",
        ]
        for i in card.indicators
    ]
    return rows, card


def profile_pdf(
    innovation: Innovation,
    rubric: Rubric,
    organisation: str,
    call_title: str,
    made_at: datetime,
) -> bytes:
    """Profil inovasi daerah in the order of the national form."""
    p = innovation.profile
    sheet = Sheet(
        f"Profil Inovasi Daerah: {p.title or '(tanpa nama)'}",
        f"{organisation} · {call_title or 'tanpa panggilan'} · tahun {innovation.budget_year} · "
        f"status {STATUS_LABELS.get(innovation.status, innovation.status)}",
        made_at,
    )
    if p.krenova is not None:
        _krenova_sections(sheet, p, p.krenova)
        return sheet.bytes()
    _profile_sections(sheet, p, organisation)
    rows, card = _indicator_rows(innovation, rubric)
    sheet.heading(f"E. Indikator inovasi daerah (rubrik {card.rubric_year})")
    sheet.grid(
        ["No", "Indikator", "Bobot", "Level klaim", "Level terverifikasi", "Nilai", "Bukti dukung"],
        rows,
        (8, 52, 12, 15, 20, 12, 55),
    )
    sheet.paragraph(
        f"Nilai kematangan: klaim {card.claimed_total}, terverifikasi {card.verified_total}, "
        f"paling tinggi {card.max_total}."
    )
    return sheet.bytes()


def _krenova_sections(sheet: Sheet, p: Profile, k: KrenovaEntry) -> None:
    """A Krenova entry: its identity, then abstract, advantages, benefits and application."""
    sheet.heading("A. Identitas usulan Krenova")
    sheet.fields(
        [
            ("Judul", p.title),
            ("Bidang", _label(KRENOVA_FIELD_LABELS, k.field)),
            ("Kategori peserta", _label(PARTICIPANT_LABELS, k.participant_category)),
            ("Anggota kelompok", ", ".join(k.members) or "—"),
            ("Tautan video", k.video_url or "—"),
        ]
    )
    for title, text in (
        ("B. Abstrak", k.abstract),
        ("C. Keunggulan", k.advantages),
        ("D. Manfaat", k.benefits),
        ("E. Penerapan", k.application),
    ):
        sheet.heading(title)
        sheet.paragraph(text)


def _profile_sections(sheet: Sheet, p: Profile, organisation: str) -> None:
    """Sections A–D of the national form: identity, design, goals and results, budget."""
    sheet.heading("A. Identitas inovasi")
    sheet.fields(
        [
            ("Nama inovasi", p.title),
            ("Perangkat daerah", organisation),
            ("Tahapan inovasi", _label(STAGE_LABELS, p.stage)),
            ("Inisiator inovasi", _label(INITIATOR_LABELS, p.initiator)),
            ("Nama inisiator", p.initiator_name),
            ("Jenis inovasi", _label(KIND_LABELS, p.kind)),
            ("Bentuk inovasi", _label(FORM_LABELS, p.form)),
            ("Tematik", _label(THEME_LABELS, p.theme)),
            ("Urusan pemerintahan", urusan_text(p)),
            ("Waktu uji coba", tanggal(p.trial_date)),
            ("Waktu penerapan", tanggal(p.implementation_date)),
        ]
    )
    sheet.heading(f"B. Rancang bangun ({p.design.word_count()} kata)")
    for name, title in DESIGN_SECTIONS:
        sheet.set_font("DejaVu", "B", 10)
        sheet.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        sheet.paragraph(getattr(p.design, name))
    sheet.heading("C. Tujuan, manfaat dan hasil")
    for title, text in (
        ("Tujuan inovasi", p.goals),
        ("Manfaat inovasi", p.benefits),
        ("Hasil inovasi", p.results),
    ):
        sheet.set_font("DejaVu", "B", 10)
        sheet.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        sheet.paragraph(text)
    sheet.heading("D. Anggaran")
    sheet.fields(
        [
            ("APBD T-0", rupiah(p.budget.apbd_t0)),
            ("APBD T-1", rupiah(p.budget.apbd_t1)),
            ("APBD T-2", rupiah(p.budget.apbd_t2)),
            ("Sumber lain", p.budget.other_sources or "—"),
        ]
    )


def receipt_pdf(
    innovation: Innovation,
    organisation: str,
    call_title: str,
    submitted_by: str,
    made_at: datetime,
) -> bytes:
    """Tanda terima pengajuan: what was submitted, when, by whom, with each file's SHA-256 so
    the submitter can later show exactly which files Bappeda received."""
    sheet = Sheet(
        "Tanda Terima Pengajuan Inovasi",
        f"{innovation.profile.title or '(tanpa nama)'} · {organisation}",
        made_at,
    )
    sheet.fields(
        [
            ("Nomor pengajuan", str(innovation.id)),
            ("Nama inovasi", innovation.profile.title),
            ("Pengusul", organisation),
            ("Panggilan", call_title or "—"),
            ("Diajukan pada", _stamp(innovation.submitted_at)),
            ("Diajukan oleh", submitted_by),
            ("Status sekarang", STATUS_LABELS.get(innovation.status, str(innovation.status))),
            ("Versi catatan", str(innovation.version)),
        ]
    )
    documents = _documents(innovation)
    sheet.heading(f"Dokumen yang diterima ({len(documents)})")
    sheet.grid(
        ["Berkas", "Jenis", "Indikator", "SHA-256"],
        [
            [
                d.document.name,
                DOCUMENT_KIND_LABELS.get(str(d.document.kind), str(d.document.kind)),
                str(d.document.indicator or "—"),
                d.document.sha256,
            ]
            for d in documents
        ],
        (50, 32, 18, 74),
    )
    sheet.paragraph(
        "Tanda terima ini dibuat oleh SI-RISMA dari catatan pengajuan. Keaslian dapat diperiksa "
        "pada riwayat audit inovasi dengan nomor pengajuan di atas."
    )
    return sheet.bytes()


def review_sheet_pdf(
    innovation: Innovation,
    rubric: Rubric,
    organisation: str,
    person: Callable[[UUID | None], str],
    made_at: datetime,
) -> bytes:
    """Lembar penilaian: document verdicts, each reviewer's levels and notes next to the claim,
    the verified total, the recommendation, and lines to sign."""
    sheet = Sheet(
        "Lembar Penilaian Inovasi Daerah",
        f"{innovation.profile.title or '(tanpa nama)'} · {organisation} · status "
        f"{STATUS_LABELS.get(innovation.status, str(innovation.status))}",
        made_at,
    )
    reviewers = [person(r) for r in innovation.reviewers]
    sheet.fields(
        [
            ("Nama inovasi", innovation.profile.title),
            ("Pengusul", organisation),
            ("Verifikator / tim penilai", ", ".join(reviewers) or "Belum ditugaskan"),
            ("Diajukan pada", _stamp(innovation.submitted_at)),
            ("Putaran perbaikan", str(len(innovation.revisions))),
        ]
    )
    sheet.heading("A. Verifikasi dokumen")
    sheet.grid(
        ["Berkas", "Jenis", "Indikator", "Hasil", "Catatan verifikator"],
        [
            [
                d.document.name,
                DOCUMENT_KIND_LABELS.get(str(d.document.kind), str(d.document.kind)),
                str(d.document.indicator or "—"),
                VERDICT_TEXT.get(d.verdict, d.verdict),
                d.note or "—",
            ]
            for d in _documents(innovation)
        ],
        (46, 28, 16, 24, 60),
    )
    card = innovation.scorecard(rubric)
    notes: dict[int, list[str]] = {}
    for reviewer, verdicts in innovation.scores.items():
        for no, verdict in verdicts.items():
            if verdict.note:
                notes.setdefault(no, []).append(f"{person(reviewer)}: {verdict.note}")
    sheet.heading(f"B. Penilaian indikator (rubrik {card.rubric_year})")
    sheet.grid(
        ["No", "Indikator", "Bobot", "Klaim", "Terverifikasi", "Nilai", "Catatan penilai"],
        [
            [
                str(i.no),
                i.name,
                str(i.weight),
                str(i.claimed_level or "—"),
                str(i.verified_level) if i.verified_level is not None else "—",
                str(i.verified_points),
                "; ".join(notes.get(i.no, [])) or "—",
            ]
            for i in card.indicators
        ],
        (8, 50, 12, 12, 20, 12, 60),
    )
    totals = innovation.reviewer_totals(rubric)
    sheet.fields(
        [
            ("Nilai klaim pengusul", str(card.claimed_total)),
            ("Nilai terverifikasi", f"{card.verified_total} dari {card.max_total}"),
            *[(f"Nilai dari {person(r)}", str(t)) for r, t in totals.items()],
            (
                "Rekomendasi",
                RECOMMENDATION_TEXT.get(innovation.recommendation or "", "Belum ada"),
            ),
        ]
    )
    sheet.heading("C. Tanda tangan")
    for name in reviewers or ["Verifikator"]:
        sheet.ln(12)
        sheet.cell(80, 5, "(" + name + ")", border="T", new_x="LMARGIN", new_y="NEXT")
    return sheet.bytes()
