"""The proposal's TOR as an HTML form: every field of ``ProposalBody`` (background, legal basis,
questions, method, location, team, RAB, schedule) to flat form values and back.

Parsing never throws away what was typed: it returns the body (or None), the errors per field
in Bahasa Indonesia, and the raw values, so a refused save shows the form again as it was sent.
Tables (team, RAB, schedule) are numbered rows; a blank row is skipped, a half-filled one is an
error on its missing cell. Without JavaScript the form offers two blank rows per table.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from services.domain.research.values import (
    BudgetLine,
    ProposalBody,
    ResearchKind,
    Step,
    TeamMember,
)
from services.http import limits

BLANK_ROWS = 2
#: table → (row fields, most rows)
TABLES: dict[str, tuple[tuple[str, ...], int]] = {
    "team": (("name", "role", "institution"), limits.LIST_MAX),
    "rab": (("item", "qty", "unit", "cost"), 200),
    "step": (("name", "start", "end"), limits.LIST_MAX),
}
#: field → (label, most characters)
TEXTS: dict[str, tuple[str, int]] = {
    "title": ("Judul riset", limits.TITLE_MAX),
    "partner": ("Mitra", limits.NAME_MAX),
    "background": ("Latar belakang", limits.TEXT_MAX),
    "legal_basis": ("Dasar hukum", limits.TEXT_MAX),
    "questions": ("Pertanyaan penelitian", limits.TEXT_MAX),
    "method": ("Metode", limits.TEXT_MAX),
    "location": ("Lokasi", limits.TITLE_MAX),
    "theme_code": ("Tema agenda riset", 20),
}
CELLS: dict[str, tuple[str, int]] = {
    "team_name": ("Nama anggota tim", limits.NAME_MAX),
    "team_role": ("Peran dalam tim", 60),
    "team_institution": ("Instansi", limits.NAME_MAX),
    "rab_item": ("Uraian RAB", limits.TITLE_MAX),
    "rab_unit": ("Satuan RAB", 40),
    "step_name": ("Nama tahap", limits.TITLE_MAX),
}
_ROW = re.compile(r"^(team|rab|step)_[a-z]+_(\d{1,3})$")


def _amount(value: Decimal) -> str:
    """A number as people type it here: no thousands separator, decimal comma."""
    text = format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return text.replace(".", ",")


def values_of(body: ProposalBody) -> dict[str, str]:
    """The form's values for a stored body."""
    values = {
        "title": body.title,
        "kind": str(body.kind),
        "theme_code": body.theme_code,
        "partner": body.partner,
        "background": body.background,
        "legal_basis": body.legal_basis,
        "questions": "\n".join(body.questions),
        "method": body.method,
        "location": body.location,
    }
    for n, m in enumerate(body.team, start=1):
        values |= {f"team_name_{n}": m.name, f"team_role_{n}": m.role}
        values[f"team_institution_{n}"] = m.institution
    for n, b in enumerate(body.budget, start=1):
        values |= {f"rab_item_{n}": b.item, f"rab_unit_{n}": b.unit}
        values |= {f"rab_qty_{n}": _amount(b.quantity), f"rab_cost_{n}": _amount(b.unit_cost)}
    for n, s in enumerate(body.schedule, start=1):
        values |= {f"step_name_{n}": s.name, f"step_start_{n}": s.start.isoformat()}
        values[f"step_end_{n}"] = s.end.isoformat()
    return values


def row_counts(values: dict[str, str]) -> dict[str, int]:
    """Rows to show per table: the highest numbered row in ``values`` plus blank ones."""
    highest = dict.fromkeys(TABLES, 0)
    for name in values:
        match = _ROW.match(name)
        if match:
            highest[match.group(1)] = max(highest[match.group(1)], int(match.group(2)))
    return {t: min(highest[t] + BLANK_ROWS, TABLES[t][1]) for t in TABLES}


def raw_values(data: dict[str, Any]) -> dict[str, str]:
    """The posted form as text (a repeated field keeps its first value)."""
    out: dict[str, str] = {}
    for name, value in data.items():
        first = value[0] if isinstance(value, list) and value else value
        out[str(name)] = str(first if first is not None else "")
    return out


def _decimal(raw: str) -> Decimal | None:
    text = raw.strip().replace(" ", "").replace(".", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


class _Parse:
    def __init__(self, raw: dict[str, str]) -> None:
        self.raw = raw
        self.errors: dict[str, str] = {}

    def text(self, name: str, label: str, most: int) -> str:
        value = self.raw.get(name, "").strip()
        if len(value) > most:
            self.errors[name] = f"{label} paling banyak {most:,} karakter.".replace(",", ".")
        return value

    def rows(self, table: str) -> list[int]:
        fields, most = TABLES[table]
        numbers = sorted(
            {int(m.group(2)) for n in self.raw if (m := _ROW.match(n)) and m.group(1) == table}
        )
        filled = [
            n for n in numbers if any(self.raw.get(f"{table}_{f}_{n}", "").strip() for f in fields)
        ]
        if len(filled) > most:
            self.errors[f"{table}_{fields[0]}_{filled[most]}"] = f"Paling banyak {most} baris."
        return filled[:most]

    def need(self, name: str, label: str) -> str:
        value = self.text(name, label, CELLS[name.rsplit("_", 1)[0]][1])
        if not value:
            self.errors.setdefault(name, f"{label} wajib diisi pada baris ini.")
        return value

    def number(self, name: str, label: str) -> Decimal:
        found = _decimal(self.raw.get(name, ""))
        if found is None:
            self.errors.setdefault(name, f"{label} harus berupa angka, mis. 750000 atau 1,5.")
            return Decimal(0)
        return found

    def day(self, name: str, label: str) -> date:
        found = _date(self.raw.get(name, ""))
        if found is None:
            self.errors.setdefault(name, f"{label} harus berupa tanggal (TTTT-BB-HH).")
            return date(2000, 1, 1)
        return found


def parse(data: dict[str, Any]) -> tuple[ProposalBody | None, dict[str, str], dict[str, str]]:
    """(the body, or None with errors; errors per field; the raw values as sent)."""
    raw = raw_values(data)
    p = _Parse(raw)
    texts = {name: p.text(name, label, most) for name, (label, most) in TEXTS.items()}
    if not texts["title"]:
        p.errors["title"] = "Judul riset wajib diisi."
    questions = tuple(q.strip() for q in texts["questions"].splitlines() if q.strip())
    if len(questions) > 20:
        p.errors["questions"] = "Paling banyak 20 pertanyaan penelitian."
    kind = raw.get("kind", "")
    if kind and kind not in set(ResearchKind):
        p.errors["kind"] = "Pilih jenis kegiatan dari daftar."
    team = tuple(
        TeamMember(
            name=p.need(f"team_name_{n}", "Nama"),
            role=p.need(f"team_role_{n}", "Peran (ketua, anggota, narasumber…)"),
            institution=p.text(f"team_institution_{n}", "Instansi", limits.NAME_MAX),
        )
        for n in p.rows("team")
    )
    budget = tuple(
        BudgetLine(
            item=p.need(f"rab_item_{n}", "Uraian"),
            quantity=p.number(f"rab_qty_{n}", "Volume"),
            unit=p.need(f"rab_unit_{n}", "Satuan"),
            unit_cost=p.number(f"rab_cost_{n}", "Harga satuan"),
        )
        for n in p.rows("rab")
    )
    schedule = tuple(
        Step(
            name=p.need(f"step_name_{n}", "Nama tahap"),
            start=p.day(f"step_start_{n}", "Tanggal mulai"),
            end=p.day(f"step_end_{n}", "Tanggal selesai"),
        )
        for n in p.rows("step")
    )
    if p.errors:
        return None, p.errors, raw
    body = ProposalBody(
        title=texts["title"],
        kind=ResearchKind(kind) if kind else ResearchKind.PENELITIAN,
        theme_code=texts["theme_code"],
        partner=texts["partner"],
        background=texts["background"],
        legal_basis=texts["legal_basis"],
        questions=questions,
        method=texts["method"],
        location=texts["location"],
        team=team,
        budget=budget,
        schedule=schedule,
    )
    return body, {}, raw


#: The domain's field names (``InvalidValue.field``) → the form field to mark.
DOMAIN_FIELDS = {"budget": "rab_item_1", "schedule": "step_name_1", "body": "title"}
