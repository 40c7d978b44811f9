"""Ringkasan pimpinan on one A4 page (``/pimpinan/ringkasan.pdf``): the figures of
``services.reads.leadership`` as label/value pairs, the longest lists cut to their first few
names with the count of the rest, so the page never runs onto a second one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.reads.leadership import Count, LeadershipSummary, Pending
from services.web.pages.rendering import angka, tanggal
from services.web.printing.sheet import FAMILY, Sheet

#: Overdue visits and follow-ups named one by one in the printout.
LISTED = 4


def _counts(counts: Sequence[Count]) -> str:
    return " · ".join(f"{c.label} {c.count}" for c in counts) or "—"


def _names(names: Sequence[str], named: int) -> str:
    shown = ", ".join(names[:named])
    more = len(names) - named
    return f"{shown}, dan {more} lainnya" if more > 0 else shown or "—"


def _pending(items: Sequence[Pending], total: int) -> str:
    lines = [f"{p.title} ({p.organisation_name}), {tanggal(p.due_on)}" for p in items[:LISTED]]
    if total > len(lines):
        lines.append(f"dan {total - len(lines)} lainnya")
    return "; ".join(lines) or "—"


def _change(value: float) -> str:
    if value > 0:
        return f"naik {angka(value, 2)} poin"
    if value < 0:
        return f"turun {angka(-value, 2)} poin"
    return "sama"


def summary_pdf(summary: LeadershipSummary, made_at: datetime, *, named: int) -> bytes:
    s, y = summary, summary.year
    sheet = Sheet(
        f"Ringkasan Pimpinan {y}",
        f"Inovasi dan riset daerah · keadaan per {tanggal(s.today)} (WIB)",
        made_at,
    )
    sheet.set_auto_page_break(False)  # the content is cut to fit; never a second page
    index, before = s.index, s.previous_index
    sheet.heading("Indeks Inovasi Daerah")
    sheet.fields(
        [
            (f"Indeks {y} (terverifikasi)", f"{angka(index.verified, 2)} {index.verified_band}"),
            (f"Indeks {y} (klaim)", f"{angka(index.claimed, 2)} {index.claimed_band}"),
            (f"Indeks {y - 1}", f"{angka(before.verified, 2)} ({_change(s.index_change)})"),
            ("Inovasi dilaporkan", str(index.reported)),
            (
                "Lembar SPD",
                f"{angka(s.spd.verified_score, 2)} dari {angka(s.spd.maximum)} terverifikasi"
                f" · {_counts(s.spd.by_status) if s.spd.recorded else 'SPD belum diisi'}",
            ),
        ]
    )
    sheet.heading(f"Inovasi ({s.innovations.total}) dan kepatuhan")
    c = s.compliance
    sheet.fields(
        [
            ("Menurut status", _counts(s.innovations.by_status)),
            ("Menurut tahapan", _counts(s.innovations.by_stage)),
            (
                "Kepatuhan OPD",
                f"{c.compliant} dari {c.organisations} mengajukan "
                f"({angka(c.percent_compliant, 1)}%); {c.none} belum punya inovasi, "
                f"{c.draft_only} baru draf",
            ),
            ("Belum mengajukan", _names([o.name for o in c.without_proposal], named)),
        ]
    )
    r = s.research
    sheet.heading("Riset daerah")
    sheet.fields(
        [
            ("Agenda riset", r.agenda_status_label),
            ("Usulan riset", f"{r.proposals}: {_counts(r.by_status)}"),
            ("Hasil", f"{r.completed} kajian selesai, {r.recommendations} rekomendasi"),
            ("Ditindaklanjuti", f"{r.adopted} rekomendasi diadopsi organisasi"),
        ]
    )
    m, g = s.monev, s.mentoring
    sheet.heading("Monitoring, evaluasi dan pendampingan")
    sheet.fields(
        [
            (
                "Kunjungan monev",
                f"{m.visits_overdue} terlambat, {m.visits_due_soon} jatuh tempo ≤ 30 hari",
            ),
            ("Terlambat", _pending(m.overdue, m.visits_overdue)),
            (f"Rekomendasi {y}", _counts(m.recommendations)),
            (
                "Tindak lanjut",
                f"{g.follow_ups_overdue} lewat tenggat dari {g.follow_ups_open} terbuka",
            ),
            ("Lewat tenggat", _pending(g.overdue, g.follow_ups_overdue)),
        ]
    )
    sheet.set_font(FAMILY, "", 8)
    sheet.multi_cell(
        0,
        4,
        "Dibuat SI-RISMA dari model baca; rincian setiap angka di /pimpinan.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return sheet.bytes()
