"""The fixed list of government affairs (urusan pemerintahan) an IGA innovation is filed under.

The 38 entries, their codes and groups live in ``reference/urusan.json`` (data, not code: the
ministry's labels change spelling from year to year). An innovation has one main urusan and any
number of overlapping ones, all by code. ``match`` turns the free text that older records hold
into a code, folding case, accents, punctuation and known spelling variants; text that fits no
entry is kept by the caller and shown as "perlu dipilih ulang", so nothing typed is lost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from importlib import resources

import msgspec

#: Shown next to old free text that matched no code.
NEEDS_RECHOICE = "perlu dipilih ulang"


class Urusan(msgspec.Struct, frozen=True, kw_only=True):
    no: int  # the IID form's item number (1–38)
    code: str  # 1.01–3.32, 5.01–5.05, fungsi_lain
    name: str
    group: str  # wajib pelayanan dasar | wajib non-pelayanan dasar | pilihan | fungsi penunjang


class Reference(msgspec.Struct, frozen=True, kw_only=True):
    source: str
    groups: dict[str, str]
    word_variants: dict[str, str]
    aliases: dict[str, str]
    urusan: tuple[Urusan, ...]


@cache
def reference() -> Reference:
    data = resources.files("services.domain.reference").joinpath("urusan.json").read_bytes()
    ref = msgspec.json.decode(data, type=Reference)
    codes = [u.code for u in ref.urusan]
    if len(codes) != 38 or len(set(codes)) != 38:
        raise ValueError("reference/urusan.json must hold 38 distinct urusan")
    unknown = {c for c in ref.aliases.values() if c not in codes}
    if unknown:
        raise ValueError(f"urusan aliases name unknown codes: {sorted(unknown)}")
    return ref


def all_urusan() -> tuple[Urusan, ...]:
    return reference().urusan


@cache
def by_code() -> dict[str, Urusan]:
    return {u.code: u for u in all_urusan()}


def is_known(code: str) -> bool:
    return code in by_code()


def label(code: str) -> str:
    """``"1.02 Kesehatan"``; the code itself when unknown."""
    found = by_code().get(code)
    if found is None:
        return code
    return found.name if found.code == "fungsi_lain" else f"{found.code} {found.name}"


def fold(text: str) -> str:
    """Lower case, accents stripped, punctuation to spaces, spelling variants unified."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    plain = re.sub(r"[^0-9a-z.]+", " ", plain.replace("&", " dan ")).strip()
    plain = re.sub(r"\s+", " ", plain)
    for variant, canonical in reference().word_variants.items():
        plain = re.sub(rf"\b{re.escape(variant)}\b", canonical, plain)
    return plain


@cache
def _folded_names() -> dict[str, str]:
    return {fold(u.name): u.code for u in all_urusan()}


def match(text: str) -> str | None:
    """The code that ``text`` names, or None. Accepts a code, the IID item number, the name
    (folded), a known abbreviation, or an unambiguous beginning of a name (≥ 2 words)."""
    raw = text.strip()
    if not raw:
        return None
    if raw in by_code():
        return raw
    folded = fold(raw)
    if folded.isdigit():
        number = int(folded)
        return next((u.code for u in all_urusan() if u.no == number), None)
    names = _folded_names()
    if folded in names:
        return names[folded]
    alias = reference().aliases.get(folded)
    if alias is not None:
        return alias
    if len(folded.split()) >= 2:
        starts = {code for name, code in names.items() if name.startswith(folded + " ")}
        if len(starts) == 1:
            return starts.pop()
    return None


def upcast(main: str, others: Sequence[str]) -> dict[str, object]:
    """Old free-text fields → ``urusan``, ``urusan_lain`` and the texts that fit no code."""
    code = match(main)
    lain: list[str] = []
    unmatched: list[str] = []
    for text in others:
        found = match(text)
        if found is None:
            if text.strip():
                unmatched.append(text.strip())
        elif found != code and found not in lain:
            lain.append(found)
    return {
        "urusan": code or "",
        "urusan_unmatched": "" if code else main.strip(),
        "urusan_lain": lain,
        "urusan_lain_unmatched": unmatched,
    }


def text(code: str, unmatched: str = "") -> str:
    """What a reader sees: the label, or the old text marked "perlu dipilih ulang"."""
    if code:
        return label(code)
    return f"{unmatched} ({NEEDS_RECHOICE})" if unmatched else ""


def texts(codes: Sequence[str], unmatched: Sequence[str] = ()) -> list[str]:
    return [label(c) for c in codes] + [f"{t} ({NEEDS_RECHOICE})" for t in unmatched]
