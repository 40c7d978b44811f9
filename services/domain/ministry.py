"""What the ministry (Kemendagri/BSKDN) decides after a regency reports, and the yearly rules for
entering an innovation again ("bawa ke tahun berikutnya").

The verdict codes are the contract with the index (``rm_innovations.ministry_verdict``). The
eligibility window and the entry limit change by assessment year, so they are data
(``reference/iga_rounds.json``); years not listed there get the conservative default window.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import msgspec

from services.domain import labels


class MinistryVerdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NOMINATED = "nominated"
    FIELD_VISIT = "field_visit"
    AWARD = "award"


VERDICT_LABELS: dict[str, str] = labels.MINISTRY_VERDICT

#: Words the ministry's downloads and people use for each verdict (folded: lower case, spaces).
VERDICT_WORDS: dict[str, MinistryVerdict] = {
    **{v.value: v for v in MinistryVerdict},
    "field visit": MinistryVerdict.FIELD_VISIT,
    "diterima": MinistryVerdict.ACCEPTED,
    "lolos": MinistryVerdict.ACCEPTED,
    "valid": MinistryVerdict.ACCEPTED,
    "terverifikasi": MinistryVerdict.ACCEPTED,
    "ditolak": MinistryVerdict.REJECTED,
    "tidak valid": MinistryVerdict.REJECTED,
    "tidak lolos": MinistryVerdict.REJECTED,
    "nominasi": MinistryVerdict.NOMINATED,
    "nominator": MinistryVerdict.NOMINATED,
    "masuk nominasi": MinistryVerdict.NOMINATED,
    "validasi lapangan": MinistryVerdict.FIELD_VISIT,
    "kunjungan lapangan": MinistryVerdict.FIELD_VISIT,
    "verifikasi lapangan": MinistryVerdict.FIELD_VISIT,
    "penghargaan": MinistryVerdict.AWARD,
    "pemenang": MinistryVerdict.AWARD,
    "juara": MinistryVerdict.AWARD,
}


def parse_verdict(text: str) -> MinistryVerdict | None:
    folded = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
    return VERDICT_WORDS.get(folded) or VERDICT_WORDS.get(folded.replace(" ", "_"))


class Window(msgspec.Struct, frozen=True, kw_only=True):
    """The first-implementation dates an innovation must fall in to be entered in ``year``."""

    year: int
    start: date
    end: date
    name: str


class _Rounds(msgspec.Struct, frozen=True, kw_only=True):
    source: str
    max_entries: dict[str, Any]
    windows: dict[str, dict[str, str]]
    default_window: dict[str, Any]


@cache
def _rounds() -> _Rounds:
    data = resources.files("services.domain.reference").joinpath("iga_rounds.json").read_bytes()
    return msgspec.json.decode(data, type=_Rounds)


def max_entries() -> int:
    return int(_rounds().max_entries["value"])


def eligibility_window(year: int) -> Window:
    rounds = _rounds()
    found = rounds.windows.get(str(year))
    if found is not None:
        return Window(
            year=year,
            start=date.fromisoformat(found["from"]),
            end=date.fromisoformat(found["to"]),
            name=f"jendela IGA {year}",
        )
    default = rounds.default_window
    return Window(
        year=year,
        start=date(year - int(default["years_before_from"]), 1, 1),
        end=date(year - int(default["years_before_to"]), 12, 31),
        name=str(default["name"]),
    )
