"""The innovation form: its sections, field labels, choices, and parsing with inline messages.

A draft may leave anything empty (the domain allows it); what this module refuses is input that
cannot be right whatever comes later: a date that is not a date, an implementation before the
trial, a negative budget, a video link that is not a web address, more than five Krenova members.
What is merely *missing* is shown as a hint next to the field ("wajib diisi sebelum diajukan"),
from the same completeness check the domain uses to refuse a submission.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from services.domain import labels, urusan
from services.domain.index_rules import design_min_words
from services.domain.innovation import FIELD_LABELS, MIN_DESIGN_WORDS, Innovation
from services.domain.profile_checks import field_checks
from services.domain.values import (
    STAGE_LABELS,
    Budget,
    Design,
    KrenovaEntry,
    KrenovaField,
    ParticipantCategory,
    Profile,
    ProfilePatch,
    Stage,
)
from services.http import limits
from services.web.pages.rendering import rupiah_digits

INITIATOR_LABELS = labels.INITIATOR
KIND_LABELS = labels.INNOVATION_KIND
FORM_LABELS = labels.FORM
THEME_LABELS = labels.THEME
KRENOVA_FIELD_LABELS = labels.KRENOVA_FIELD
PARTICIPANT_LABELS = labels.PARTICIPANT_CATEGORY


URUSAN_OPTIONS: tuple[tuple[str, str], ...] = tuple(
    (u.code, urusan.label(u.code)) for u in urusan.all_urusan()
)


class Field(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # dotted for nested parts: design.problem, budget.apbd_t0, krenova.field
    label: str
    kind: str = "text"  # text | textarea | select | checkboxes | date | money | lines | url
    options: tuple[tuple[str, str], ...] = ()
    help: str = ""
    rows: int = 4

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")


class Section(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    title: str
    intro: str
    fields: tuple[Field, ...]


def _opts(labels: Mapping[Any, str]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), v) for k, v in labels.items())


ANNUAL_SECTIONS: tuple[Section, ...] = (
    Section(
        key="profil",
        title="Profil inovasi",
        intro="Identitas inovasi sesuai formulir Indeks Inovasi Daerah.",
        fields=(
            Field(name="title", label="Nama inovasi"),
            Field(
                name="stage", label="Tahapan inovasi", kind="select", options=_opts(STAGE_LABELS)
            ),
            Field(
                name="initiator",
                label="Inisiator inovasi",
                kind="select",
                options=_opts(INITIATOR_LABELS),
            ),
            Field(name="initiator_name", label="Nama inisiator"),
            Field(name="kind", label="Jenis inovasi", kind="select", options=_opts(KIND_LABELS)),
            Field(name="form", label="Bentuk inovasi", kind="select", options=_opts(FORM_LABELS)),
            Field(name="theme", label="Tematik", kind="select", options=_opts(THEME_LABELS)),
            Field(
                name="urusan",
                label="Urusan pemerintahan (utama)",
                kind="select",
                options=URUSAN_OPTIONS,
            ),
            Field(
                name="urusan_lain",
                label="Urusan beririsan",
                kind="checkboxes",
                options=URUSAN_OPTIONS,
                help="Centang urusan lain yang juga disentuh inovasi ini (boleh dikosongkan).",
            ),
            Field(
                name="trial_date",
                label="Waktu uji coba",
                kind="date",
                help="Wajib untuk tahapan uji coba dan penerapan.",
            ),
            Field(
                name="implementation_date",
                label="Waktu penerapan",
                kind="date",
                help="Wajib untuk tahapan penerapan.",
            ),
        ),
    ),
    Section(
        key="rancang-bangun",
        title="Rancang bangun",
        intro=f"Uraian rancang bangun minimal {MIN_DESIGN_WORDS} kata untuk seluruh bagian.",
        fields=(
            Field(name="design.legal_basis", label="Dasar hukum", kind="textarea"),
            Field(name="design.problem", label="Permasalahan", kind="textarea"),
            Field(name="design.strategic_issue", label="Isu strategis", kind="textarea"),
            Field(name="design.method", label="Metode pembaharuan", kind="textarea"),
            Field(name="design.novelty", label="Keunggulan dan kebaruan", kind="textarea"),
            Field(name="design.how_it_works", label="Cara kerja", kind="textarea"),
        ),
    ),
    Section(
        key="hasil",
        title="Tujuan, manfaat dan hasil",
        intro="Apa yang ingin dicapai, siapa yang merasakan manfaatnya, dan hasil yang terukur.",
        fields=(
            Field(name="goals", label="Tujuan inovasi", kind="textarea", rows=3),
            Field(name="benefits", label="Manfaat inovasi", kind="textarea", rows=3),
            Field(
                name="results",
                label="Hasil inovasi",
                kind="textarea",
                rows=3,
                help="Sebutkan angka: jumlah pengguna, waktu layanan, biaya yang dihemat.",
            ),
        ),
    ),
    Section(
        key="anggaran",
        title="Anggaran",
        intro="Dukungan APBD menambah nilai indikator 3 (dukungan anggaran).",
        fields=(
            Field(name="budget.apbd_t0", label="APBD tahun berjalan (T-0), rupiah", kind="money"),
            Field(name="budget.apbd_t1", label="APBD tahun lalu (T-1), rupiah", kind="money"),
            Field(name="budget.apbd_t2", label="APBD dua tahun lalu (T-2), rupiah", kind="money"),
            Field(
                name="budget.other_sources", label="Sumber anggaran lain", kind="textarea", rows=2
            ),
        ),
    ),
)

KRENOVA_SECTIONS: tuple[Section, ...] = (
    Section(
        key="krenova",
        title="Formulir Krenova",
        intro="Isian lomba Kreativitas dan Inovasi Masyarakat.",
        fields=(
            Field(name="title", label="Judul inovasi"),
            Field(
                name="krenova.field",
                label="Bidang",
                kind="select",
                options=_opts(KRENOVA_FIELD_LABELS),
            ),
            Field(
                name="krenova.participant_category",
                label="Kategori peserta",
                kind="select",
                options=_opts(PARTICIPANT_LABELS),
            ),
            Field(name="krenova.abstract", label="Abstrak", kind="textarea"),
            Field(name="krenova.advantages", label="Keunggulan", kind="textarea", rows=3),
            Field(name="krenova.benefits", label="Manfaat", kind="textarea", rows=3),
            Field(name="krenova.application", label="Penerapan", kind="textarea", rows=3),
            Field(
                name="krenova.video_url",
                label="Tautan video",
                kind="url",
                help="Alamat video (misalnya YouTube), diawali https://",
            ),
            Field(
                name="krenova.members",
                label="Anggota kelompok",
                kind="lines",
                rows=5,
                help="Satu nama per baris, paling banyak 5 orang.",
            ),
        ),
    ),
)


def sections_for(innovation: Innovation) -> tuple[Section, ...]:
    return KRENOVA_SECTIONS if str(innovation.call_kind) == "krenova" else ANNUAL_SECTIONS


def section(innovation: Innovation, key: str) -> Section | None:
    for s in sections_for(innovation):
        if s.key == key:
            return s
    return None


# ---------------------------------------------------------------------------------------------
# current values as form strings


def _get(profile: Profile, name: str) -> Any:
    head, _, tail = name.partition(".")
    value = getattr(profile, head)
    if tail:
        value = getattr(value, tail) if value is not None else None
    return value


def as_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind in ("lines", "checkboxes"):
        return "\n".join(value)
    if kind == "money" and isinstance(value, Decimal):
        return rupiah_digits(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def values_of(profile: Profile, sec: Section) -> dict[str, str]:
    return {f.name: as_text(_get(profile, f.name), f.kind) for f in sec.fields}


# ---------------------------------------------------------------------------------------------
# parsing


def _clean(raw: Any) -> str:
    if isinstance(raw, list):
        raw = raw[-1] if raw else ""
    return str(raw if raw is not None else "").replace("\r\n", "\n").strip()


def _all(raw: Any) -> str:
    """Every value of a multi-valued field (checkboxes), one per line."""
    items = raw if isinstance(raw, list) else [] if raw is None else [raw]
    return "\n".join(str(item).strip() for item in items if str(item).strip())


def _parse_field(field: Field, raw: str) -> tuple[Any, str]:
    """(value, error message or '')."""
    if field.kind == "select":
        if raw == "":
            return None, ""
        allowed = {k for k, _ in field.options}
        return (raw, "") if raw in allowed else (None, "Pilihan tidak dikenal.")
    if field.kind == "checkboxes":
        picked = tuple(dict.fromkeys(line for line in raw.split("\n") if line))
        allowed = {k for k, _ in field.options}
        return (picked, "") if set(picked) <= allowed else (picked, "Pilihan tidak dikenal.")
    if field.kind == "date":
        if raw == "":
            return None, ""
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            return None, "Tanggal tidak valid (format TTTT-BB-HH)."
        if not 1990 <= value.year <= 2100:
            return None, "Tahun di luar rentang yang wajar."
        return value, ""
    if field.kind == "money":
        if raw == "":
            return None, ""
        text = raw.replace("Rp", "").replace(" ", "").replace(".", "").replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return None, "Isi dengan angka rupiah, misalnya 150000000."
        if not amount.is_finite() or amount < 0:
            return None, "Anggaran tidak boleh negatif."
        if amount > Decimal("1e15"):
            return None, "Angka anggaran terlalu besar."
        return amount, ""
    if field.kind == "lines":
        items = tuple(line.strip() for line in raw.split("\n") if line.strip())
        if field.name == "krenova.members" and len(items) > 5:
            return items, "Kelompok Krenova paling banyak 5 orang."
        if len(items) > limits.LIST_MAX:
            return items, f"Paling banyak {limits.LIST_MAX} baris."
        if any(len(item) > limits.NAME_MAX for item in items):
            return items, f"Setiap baris paling banyak {limits.NAME_MAX} karakter."
        return items, ""
    if field.kind == "url":
        if raw and not raw.startswith(("https://", "http://")):
            return raw, "Tautan harus diawali https:// atau http://"
        if len(raw) > limits.URL_MAX:
            return raw, f"Tautan paling banyak {limits.URL_MAX} karakter."
        return raw, ""
    if field.kind == "textarea":
        limit = limits.TEXT_MAX
    else:
        limit = limits.TITLE_MAX if field.name == "title" else limits.NAME_MAX
    if len(raw) > limit:
        return raw, f"Paling banyak {limit} karakter."
    if field.name == "title" and raw == "":
        return raw, "Nama inovasi wajib diisi."
    return raw, ""


def parse(
    sec: Section, data: Mapping[str, Any], profile: Profile
) -> tuple[ProfilePatch | None, dict[str, str], dict[str, str]]:
    """(patch or None when there are errors, errors by field, the submitted strings)."""
    raw = {
        f.name: _all(data.get(f.name)) if f.kind == "checkboxes" else _clean(data.get(f.name))
        for f in sec.fields
    }
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in sec.fields:
        value, error = _parse_field(f, raw[f.name])
        values[f.name] = value
        if error:
            errors[f.name] = error
    trial = values.get("trial_date")
    implemented = values.get("implementation_date")
    main = values.get("urusan")
    if main and main in (values.get("urusan_lain") or ()):
        errors["urusan_lain"] = "Urusan utama tidak perlu dicentang lagi sebagai urusan beririsan."
    if trial and implemented and implemented < trial:
        errors["implementation_date"] = "Waktu penerapan tidak boleh sebelum waktu uji coba."
    if errors:
        return None, errors, raw
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        head, _, tail = name.partition(".")
        if tail:
            nested.setdefault(head, {})[tail] = value if value is not None else _empty(tail)
        else:
            top[name] = "" if value is None and name in _TEXT_TOP else value
    if "design" in nested:
        top["design"] = msgspec.structs.replace(profile.design, **nested["design"])
    if "budget" in nested:
        top["budget"] = msgspec.structs.replace(profile.budget, **_budget(nested["budget"]))
    if "krenova" in nested:
        top["krenova"] = msgspec.structs.replace(
            profile.krenova or KrenovaEntry(), **_krenova(nested["krenova"])
        )
    typed = msgspec.convert(msgspec.to_builtins(top), ProfilePatch)
    changed = {k: v for k, v in typed.changed().items() if _get(profile, k) != v}
    return ProfilePatch(**changed), {}, raw


_TEXT_TOP = frozenset({"title", "initiator_name", "urusan", "goals", "benefits", "results"})


def _empty(name: str) -> Any:
    return (
        None if name in ("apbd_t0", "apbd_t1", "apbd_t2", "field", "participant_category") else ""
    )


def _budget(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if v != "" else None) if k.startswith("apbd") else v for k, v in values.items()}


def _krenova(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "field" in out and out["field"] is not None:
        out["field"] = KrenovaField(out["field"])
    if "participant_category" in out and out["participant_category"] is not None:
        out["participant_category"] = ParticipantCategory(out["participant_category"])
    if "members" in out and out["members"] == "":
        out["members"] = ()
    return out


# ---------------------------------------------------------------------------------------------
# hints: what is still missing before submission, per field


def hints(innovation: Innovation, typed: Mapping[str, str] | None = None) -> dict[str, str]:
    """What is still missing before submission, per field. With ``typed`` (the strings a refused
    save sends back to the page), a field the person has filled carries no "wajib diisi" hint and
    the design's word count is the typed one."""
    checks = field_checks(innovation.profile, innovation.call_kind, innovation.rubric_year)
    minimum = design_min_words(innovation.rubric_year)
    out: dict[str, str] = {}
    for key, ok in checks.items():
        if key == "design":
            words = typed_design_words(innovation, typed)
            if words < minimum:
                out["design"] = (
                    f"Rancang bangun baru {words} kata; minimal {minimum} kata sebelum diajukan."
                )
            continue
        if ok or (typed is not None and typed.get(key, "").strip()):
            continue
        out[key] = f"{FIELD_LABELS.get(key, key)} wajib diisi sebelum diajukan."
    p = innovation.profile
    if p.urusan_unmatched:
        out["urusan"] = (
            f"Data lama: «{p.urusan_unmatched}» tidak cocok dengan daftar urusan, "
            f"{urusan.NEEDS_RECHOICE}."
        )
    if p.urusan_lain_unmatched:
        old = ", ".join(f"«{t}»" for t in p.urusan_lain_unmatched)
        out["urusan_lain"] = (
            f"Data lama: {old} tidak cocok dengan daftar urusan, {urusan.NEEDS_RECHOICE}."
        )
    return out


def typed_design_words(innovation: Innovation, typed: Mapping[str, str] | None = None) -> int:
    """Words in the design as stored, or as typed when the typed design parts are given."""
    parts = [name for name in typed or {} if name.startswith("design.")]
    if typed is None or not parts:
        return innovation.profile.design.word_count()
    return sum(len(typed[name].split()) for name in parts)


# ---------------------------------------------------------------------------------------------
# the whole form in one post


def _sent(sec: Section, data: Mapping[str, Any]) -> bool:
    """Did this post carry the section? (Unticked checkboxes send nothing, other fields do.)"""
    return any(f.name in data for f in sec.fields if f.kind != "checkboxes")


def parse_form(
    innovation: Innovation, data: Mapping[str, Any]
) -> tuple[ProfilePatch | None, dict[str, str], dict[str, dict[str, str]]]:
    """Every section the post carries, parsed together: (one patch or None when any field is
    wrong, errors by field, the submitted strings by section)."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw: dict[str, dict[str, str]] = {}
    for sec in sections_for(innovation):
        if not _sent(sec, data):
            continue
        patch, sec_errors, sec_raw = parse(sec, data, innovation.profile)
        raw[sec.key] = sec_raw
        errors.update(sec_errors)
        if patch is not None:
            changes.update(patch.changed())
    if errors:
        return None, errors, raw
    return ProfilePatch(**changes), {}, raw


def typed_changes(
    innovation: Innovation, raw: Mapping[str, Mapping[str, str]]
) -> list[tuple[str, str]]:
    """(label, typed text) of every field whose typed text differs from the stored one: what a
    refused save would otherwise lose, shown on the conflict page to be entered again."""
    out: list[tuple[str, str]] = []
    for sec in sections_for(innovation):
        stored = values_of(innovation.profile, sec)
        for f in sec.fields:
            text = raw.get(sec.key, {}).get(f.name, "")
            if text and text != stored.get(f.name, ""):
                out.append((f.label, text))
    return out


def design_words(profile: Profile) -> int:
    return profile.design.word_count()


__all__ = [
    "ANNUAL_SECTIONS",
    "KRENOVA_SECTIONS",
    "Budget",
    "Design",
    "Field",
    "Section",
    "Stage",
    "hints",
    "parse",
    "parse_form",
    "section",
    "sections_for",
    "values_of",
]
