"""The regency-index rules of an assessment year (Indeks Inovasi Daerah), as data.

Kemendagri changes the divisor floor, the count score and its urusan gate, the bands, the
eligibility window and the SPD catalogue from year to year, so each year is one file,
``services/domain/index_years/<year>.json``; the per-innovation SID indicators of that year stay
in ``services/domain/rubrics/<sid_rubric_year>.json``. Adding a year means adding the two files.

Values the evidence note (shared/domain/iga-index.md) marks unconfirmed are named in the file's
``perkiraan`` map (field → reason) or in an SPD row's ``perkiraan`` text, and the UI labels them
"perkiraan". Pure: the only I/O is reading the packaged files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Literal

import msgspec

from services.domain.rubric import LEVELS, Band, load_rubric

__all__ = [
    "CountScore",
    "Eligibility",
    "Gate",
    "IndexRules",
    "SpdInput",
    "SpdLevel",
    "SpdRow",
    "SpdThreshold",
    "UnknownIndexYear",
    "UrusanRef",
    "available_years",
    "band_for",
    "design_min_words",
    "nearest_year",
    "rules_for",
    "spd_row_level",
]

_PACKAGE = "services.domain.index_years"
_YEAR_FILE = re.compile(r"^(\d{4})\.json$")

#: How an SPD row turns its raw values into the figure compared with the thresholds.
#: choice: the level is chosen directly (raw ``level``); value: raw ``value``;
#: growth_pct: (t1 − t2) ÷ t2 × 100; change: t1 − t2; decrease: t2 − t1 (e.g. poverty points).
Measure = Literal["choice", "value", "growth_pct", "change", "decrease"]


class UnknownIndexYear(ValueError):
    """No index file for the year; callers show which years exist."""

    def __init__(self, year: int, available: list[int]) -> None:
        self.year = year
        self.available = available
        super().__init__(f"no index rules for {year}; available: {available}")


class SpdInput(msgspec.Struct, frozen=True):
    """One raw value an SPD row needs (key used in ``raw_values``, label for the form)."""

    key: str
    label: str


class SpdThreshold(msgspec.Struct, frozen=True):
    """A level of an SPD row: reached when the figure lies in [min, max] (open if absent)."""

    level: int
    label: str
    min: float | None = None
    max: float | None = None

    def contains(self, figure: float) -> bool:
        return (self.min is None or figure >= self.min) and (self.max is None or figure <= self.max)


class SpdRow(msgspec.Struct, frozen=True):
    """One SPD score row (1, 2a, 2b, … 15); score = weight × level."""

    no: str
    variable: str
    name: str
    weight: float
    mandatory: bool
    measure: Measure
    inputs: tuple[SpdInput, ...]
    levels: tuple[SpdThreshold, ...]  # top level first; the first that contains the figure wins
    evidence: str = ""
    perkiraan: str = ""  # non-empty: unconfirmed, with the reason


class SpdLevel(msgspec.Struct, frozen=True):
    """The level and score an SPD row reaches from its raw values."""

    row: str
    level: int
    score: float
    figure: float | None = None  # the derived figure compared with the thresholds


class CountScore(msgspec.Struct, frozen=True):
    """Skor jumlah inovasi: ``per_innovation × min(n, cap_innovations)``, at most ``max``."""

    per_innovation: float
    cap_innovations: int
    max: float

    def score(self, n: int) -> float:
        return min(self.per_innovation * min(n, self.cap_innovations), self.max)


class UrusanRef(msgspec.Struct, frozen=True):
    code: str
    name: str


class Gate(msgspec.Struct, frozen=True):
    """The count score is zero unless ``min_covered`` of these urusan have a counted innovation."""

    urusan: tuple[UrusanRef, ...]
    min_covered: int
    counts_other_urusan: bool = False


class Eligibility(msgspec.Struct, frozen=True):
    """First implementation (or documented development) must fall in this window."""

    first_applied_from: date
    first_applied_to: date


class IndexRules(msgspec.Struct, frozen=True):
    """One assessment year's regency-index rules (see the module docstring)."""

    year: int
    source: str
    sid_rubric_year: int
    max_total: float
    divisor_floor: int
    count_score: CountScore
    gate: Gate | None
    rejected_counts: bool  # does an innovation the ministry rejected stay in Σ, n and the count?
    bands: tuple[Band, ...]
    eligibility: Eligibility
    design_min_words: int
    max_submissions: int
    spd_rows: tuple[SpdRow, ...]
    perkiraan: dict[str, str] = {}

    @property
    def spd_max(self) -> float:
        return round(sum(r.weight for r in self.spd_rows) * max(LEVELS), 2)

    @property
    def sid_max(self) -> float:
        """Maximum average maturity of the reported innovations (111 for the IID rubric)."""
        return float(load_rubric(self.sid_rubric_year).max_score)

    def row(self, no: str) -> SpdRow:
        for row in self.spd_rows:
            if row.no == no:
                return row
        raise ValueError(f"index {self.year} has no SPD row {no!r}")

    def is_estimate(self, key: str) -> bool:
        """True when the note marks this constant unconfirmed ("perkiraan")."""
        return key in self.perkiraan


def _check(rules: IndexRules, year: int) -> IndexRules:
    """Refuse a malformed file at load time rather than mis-score later."""
    problems: list[str] = []
    if rules.year != year:
        problems.append(f"file {year}.json declares year {rules.year}")
    nos = [r.no for r in rules.spd_rows]
    if len(set(nos)) != len(nos):
        problems.append("duplicate SPD row numbers")
    for row in rules.spd_rows:
        if sorted(t.level for t in row.levels) != [1, 2, 3]:
            problems.append(f"SPD {row.no}: levels must be exactly 1, 2, 3")
        if row.measure == "choice" and [i.key for i in row.inputs] != ["level"]:
            problems.append(f"SPD {row.no}: a choice row takes exactly the input 'level'")
    total = rules.spd_max + rules.sid_max + rules.count_score.max
    if abs(total - rules.max_total) > 0.005:
        problems.append(f"SPD {rules.spd_max} + SID {rules.sid_max} + count ≠ {rules.max_total}")
    if rules.gate is not None and not 0 < rules.gate.min_covered <= len(rules.gate.urusan):
        problems.append("gate.min_covered outside 1..number of urusan")
    if problems:
        raise ValueError(f"invalid index rules {year}: " + "; ".join(problems))
    return rules


def available_years() -> list[int]:
    """Years with an index file, ascending; discovered from the package data."""
    return list(_years())


@functools.cache
def _years() -> tuple[int, ...]:
    years = []
    for entry in resources.files(_PACKAGE).iterdir():
        match = _YEAR_FILE.match(entry.name)
        if match:
            years.append(int(match.group(1)))
    return tuple(sorted(years))


@functools.cache
def rules_for(year: int) -> IndexRules:
    """The rules of ``year`` (cached; they are immutable)."""
    if year not in available_years():
        raise UnknownIndexYear(year, available_years())
    data = resources.files(_PACKAGE).joinpath(f"{year}.json").read_bytes()
    return _check(msgspec.json.decode(data, type=IndexRules), year)


def nearest_year(year: int) -> int:
    """The year's own file, else the latest earlier one, else the first (for dashboards)."""
    years = available_years()
    if year in years:
        return year
    earlier = [y for y in years if y <= year]
    return max(earlier) if earlier else min(years)


@functools.cache
def design_min_words(year: int) -> int:
    """Words the rancang bangun needs under the rules of ``year`` (a rubric or index year)."""
    return rules_for(nearest_year(year)).design_min_words


def _figure(row: SpdRow, raw: Mapping[str, float]) -> float:
    missing = [i.key for i in row.inputs if i.key not in raw]
    if missing:
        raise ValueError(f"SPD {row.no}: missing raw values {missing}")
    if row.measure == "value":
        return float(raw["value"])
    t1, t2 = float(raw["t1"]), float(raw["t2"])
    if row.measure == "growth_pct":
        if t2 == 0:
            raise ValueError(f"SPD {row.no}: T-2 is zero, growth undefined")
        return (t1 - t2) / t2 * 100
    if row.measure == "change":
        return t1 - t2
    return t2 - t1  # decrease


def spd_row_level(rules: IndexRules, row_no: str, raw_values: Mapping[str, float]) -> SpdLevel:
    """The level an SPD row reaches from its raw values, and its score (weight × level).

    A choice row takes the chosen ``level`` (0..3). Other rows derive a figure (rounded to two
    decimals, as the thresholds are written) and take the first level, from the top, whose range
    contains it; overlapping edges in the sources therefore resolve to the higher level.
    """
    row = rules.row(row_no)
    if row.measure == "choice":
        level = int(raw_values.get("level", 0))
        if level not in LEVELS:
            raise ValueError(f"SPD {row.no}: level {level} outside 0..{max(LEVELS)}")
        return SpdLevel(row=row.no, level=level, score=round(row.weight * level, 2))
    figure = round(_figure(row, raw_values), 2)
    level = next((t.level for t in row.levels if t.contains(figure)), 0)
    return SpdLevel(row=row.no, level=level, score=round(row.weight * level, 2), figure=figure)


def band_for(rules: IndexRules, value: float) -> str:
    """The year's band for an index value (compared at 2 decimals, bounds inclusive)."""
    v = round(value, 2)
    for band in rules.bands:
        if band.min <= v <= band.max:
            return band.name
    raise ValueError(f"index value {value} falls in no band of {rules.year}")
