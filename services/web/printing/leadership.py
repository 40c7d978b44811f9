"""Ringkasan pimpinan on one A4 page (``/pimpinan/ringkasan.pdf``): the figures of
``services.reads.leadership`` as label/value pairs, the longest lists cut to their first few
names with the count of the rest, so the page never runs onto a second one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.reads.leadership import Count, LeadershipSummary, Pending
from services.web.pages.rendering import angka, tanggal
from services.web.printing.sheet import FAMILY, Sheet

#: Overdue visits and follow-ups named one by one in the printout, and the longest name or
#: title printed (longer ones are cut with "…"): with these bounds the page cannot overflow.
LISTED = 3
NAME_MAX = 60


def _short(text: str) -> str:
    return text if len(text) <= NAME_MAX else text[: NAME_MAX - 1].rstrip() + "…"


def _counts(counts: Sequence[Count]) -> str:
    return " · ".join(f"{c.label} {c.count}" for c in counts) or "—"


def _names(names: Sequence[str], named: int) -> str:
    shown = ", ".join(_short(n) for n in names[:named])
    more = len(names) - named
    return f"{shown}, dan {more} lainnya" if more > 0 else shown or "—"


def _pending(items: Sequence[Pending], total: int) -> str:
    lines = [
        f"{_short(p.title)} ({_short(p.organisation_name)}), {tanggal(p.due_on)}"
        for p in items[:LISTED]
    ]
    if total > len(lines):
        lines.append(f"dan {total - len(lines)} lainnya")
    return "; ".join(lines) or "—"


def _pairs(sheet: Sheet, pairs: Sequence[tuple[str, str]]) -> None:
    """Label and value side by side, smaller and tighter than ``Sheet.fields``: the whole
    summary has to share one page."""
    with sheet.table(
        col_widths=(38, 136),
        first_row_as_headings=False,
        line_height=4,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for label, value in pairs:
            row = table.row()
            sheet.set_font(FAMILY, "B", 8)
            row.cell(label)
            sheet.set_font(FAMILY, "", 8)
            row.cell(value or "—")
    sheet.ln(1)


def _change(value: float) -> str:
    if value > 0:
        return f"naik {angka(value, 2)} poin"
    if value < 0:
        return f"turun {angka(-value, 2)} poin"
    return "sama"


def summary_pdf(summary: LeadershipSummary, made_at: datetime, *, named: int) -> bytes:
    return layout(summary, made_at, named=named).bytes()


Pairs = list[tuple[str, str]]


def _index(s: LeadershipSummary) -> Pairs:
    y, index, before = s.year, s.index, s.previous_index
    spd = _counts(s.spd.by_status) if s.spd.recorded else "SPD belum diisi"
    return [
        (f"Indeks {y} (terverifikasi)", f"{angka(index.verified, 2)} {index.verified_band}"),
        (f"Indeks {y} (klaim)", f"{angka(index.claimed, 2)} {index.claimed_band}"),
        (f"Indeks {y - 1}", f"{angka(before.verified, 2)} ({_change(s.index_change)})"),
        ("Inovasi dilaporkan", str(index.reported)),
        (
            "Lembar SPD",
            f"{angka(s.spd.verified_score, 2)} dari {angka(s.spd.maximum)} terverifikasi · {spd}",
        ),
    ]


def _innovations(s: LeadershipSummary, named: int) -> Pairs:
    c = s.compliance
    return [
        ("Menurut status", _counts(s.innovations.by_status)),
        ("Menurut tahapan", _counts(s.innovations.by_stage)),
        (
            "Kepatuhan OPD",
            f"{c.compliant} dari {c.organisations} mengajukan ({angka(c.percent_compliant, 1)}%);"
            f" {c.none} belum punya inovasi, {c.draft_only} baru draf",
        ),
        ("Belum mengajukan", _names([o.name for o in c.without_proposal], named)),
    ]


def _research(s: LeadershipSummary) -> Pairs:
    r = s.research
    return [
        ("Agenda riset", r.agenda_status_label),
        ("Usulan riset", f"{r.proposals}: {_counts(r.by_status)}"),
        ("Hasil", f"{r.completed} kajian selesai, {r.recommendations} rekomendasi"),
        ("Ditindaklanjuti", f"{r.adopted} rekomendasi diadopsi organisasi"),
    ]


def _care(s: LeadershipSummary) -> Pairs:
    m, g = s.monev, s.mentoring
    return [
        (
            "Kunjungan monev",
            f"{m.visits_overdue} terlambat, {m.visits_due_soon} jatuh tempo ≤ 30 hari",
        ),
        ("Terlambat", _pending(m.overdue, m.visits_overdue)),
        (f"Rekomendasi {s.year}", _counts(m.recommendations)),
        ("Tindak lanjut", f"{g.follow_ups_overdue} lewat tenggat dari {g.follow_ups_open} terbuka"),
        ("Lewat tenggat", _pending(g.overdue, g.follow_ups_overdue)),
    ]


def layout(summary: LeadershipSummary, made_at: datetime, *, named: int) -> Sheet:
    """The laid-out page (its cursor tells the tests where the text ended)."""
    sheet = Sheet(
        f"Ringkasan Pimpinan {summary.year}",
        f"Inovasi dan riset daerah · keadaan per {tanggal(summary.today)} (WIB)",
        made_at,
    )
    sheet.set_auto_page_break(False, margin=18)  # lists are cut to fit (tests: worst case)
    for heading, pairs in (
        ("Indeks Inovasi Daerah", _index(summary)),
        (f"Inovasi ({summary.innovations.total}) dan kepatuhan", _innovations(summary, named)),
        ("Riset daerah", _research(summary)),
        ("Monitoring, evaluasi dan pendampingan", _care(summary)),
    ):
        sheet.heading(heading)
        _pairs(sheet, pairs)
    sheet.set_font(FAMILY, "", 8)
    sheet.multi_cell(
        0,
        4,
        "Dibuat SI-RISMA dari model baca; rincian setiap angka di /pimpinan.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return sheet
