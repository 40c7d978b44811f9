"""The maturity rubric (nilai kematangan) as versioned, per-year data.

The IID guideline changes from year to year (indicator names and level wording), so the rubric
lives in ``services/domain/rubrics/<year>.json`` and this module only gives it a type. Adding a
year means adding a file; no code changes. The regency-index rules of a year (divisor, count
score, bands, SPD) are in ``services/domain/index_rules.py``.

Pure: the only I/O is reading those packaged files through ``importlib.resources``.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import msgspec

from services.domain import labels

__all__ = [
    "DOCUMENT_KINDS",
    "DOCUMENT_KIND_LABELS",
    "LEVELS",
    "Band",
    "Indicator",
    "KrenovaCriterion",
    "Level",
    "Rubric",
    "UnknownRubricYear",
    "available_years",
    "load_rubric",
]

_PACKAGE = "services.domain.rubrics"
_YEAR_FILE = re.compile(r"^(\d{4})\.json$")

#: Levels an indicator can be claimed or verified at; 0 means "not proven".
LEVELS = (0, 1, 2, 3)

#: Document kinds that can serve as evidence, with the label the UI shows. One place only:
#: scoring (missing-document lists) and the rubric files both refer to these keys.
DOCUMENT_KIND_LABELS: dict[str, str] = labels.DOCUMENT_KIND
DOCUMENT_KINDS: frozenset[str] = frozenset(DOCUMENT_KIND_LABELS)


class UnknownRubricYear(ValueError):
    """No rubric file exists for the requested year; callers show which years exist."""

    def __init__(self, year: int, available: list[int]) -> None:
        self.year = year
        self.available = available
        super().__init__(
            f"no rubric for year {year}; available: {', '.join(map(str, available)) or 'none'}"
        )


class Level(msgspec.Struct, frozen=True):
    """One level option (parameter) of an indicator, with the evidence it takes to reach it."""

    level: int
    description: str


class Indicator(msgspec.Struct, frozen=True):
    """One of the per-innovation IID indicators; score = weight × proven level."""

    no: int
    name: str
    weight: int
    mandatory: bool
    levels: tuple[Level, ...]
    evidence: str
    document_kinds: tuple[str, ...]
    #: Which care record the system offers as this indicator's evidence ("mentoring": bimtek
    #: sessions, "monev": evaluation reports); services/domain/care_evidence.py reads it.
    care_evidence: str | None = None

    @property
    def max_points(self) -> int:
        """Points at the top level, i.e. what the indicator is worth in total."""
        return self.weight * max(LEVELS)

    def points(self, level: int) -> int:
        """Points for a level, refusing levels the rubric does not know."""
        if level not in LEVELS:
            raise ValueError(f"indicator {self.no}: level {level} outside 0..{max(LEVELS)}")
        return self.weight * level

    def level(self, level: int) -> Level:
        """The level option numbered ``level`` (1..3)."""
        for option in self.levels:
            if option.level == level:
                return option
        raise ValueError(f"indicator {self.no} has no level {level}")


class Band(msgspec.Struct, frozen=True):
    """An index band (predikat), inclusive on both ends, values at 2 decimals."""

    name: str
    min: float
    max: float


class KrenovaCriterion(msgspec.Struct, frozen=True):
    """A Krenova judging criterion; weights are percentages summing to 100."""

    key: str
    label: str
    weight: int


class Rubric(msgspec.Struct, frozen=True):
    """A year's rubric: the 20 indicators and the Krenova criteria."""

    year: int
    indicators: tuple[Indicator, ...]
    krenova_criteria: tuple[KrenovaCriterion, ...]
    source: str = ""

    def indicator(self, no: int) -> Indicator:
        """The indicator numbered ``no``; ValueError if this year's rubric has none."""
        for ind in self.indicators:
            if ind.no == no:
                return ind
        raise ValueError(f"rubric {self.year} has no indicator {no}")

    @property
    def max_score(self) -> int:
        """Maximum maturity score of one innovation (111 for the IID rubric)."""
        return sum(ind.max_points for ind in self.indicators)

    @property
    def total_weight(self) -> int:
        return sum(ind.weight for ind in self.indicators)

    @property
    def mandatory(self) -> tuple[int, ...]:
        """Numbers of the mandatory indicators, ascending."""
        return tuple(ind.no for ind in self.indicators if ind.mandatory)


def _check(rubric: Rubric, year: int) -> Rubric:
    """Refuse a malformed data file at load time rather than mis-score later."""
    problems: list[str] = []
    if rubric.year != year:
        problems.append(f"file {year}.json declares year {rubric.year}")
    nos = [ind.no for ind in rubric.indicators]
    if len(set(nos)) != len(nos):
        problems.append("duplicate indicator numbers")
    for ind in rubric.indicators:
        if ind.weight <= 0:
            problems.append(f"indicator {ind.no}: weight must be positive")
        if sorted(lv.level for lv in ind.levels) != [1, 2, 3]:
            problems.append(f"indicator {ind.no}: levels must be exactly 1, 2, 3")
        if ind.care_evidence not in (None, "mentoring", "monev"):
            problems.append(f"indicator {ind.no}: unknown care evidence {ind.care_evidence!r}")
        unknown = set(ind.document_kinds) - DOCUMENT_KINDS
        if unknown:
            problems.append(f"indicator {ind.no}: unknown document kinds {sorted(unknown)}")
    if sum(c.weight for c in rubric.krenova_criteria) != 100:
        problems.append("krenova criteria weights must sum to 100")
    if problems:
        raise ValueError(f"invalid rubric {year}: " + "; ".join(problems))
    return rubric


def available_years() -> list[int]:
    """Years with a rubric file, ascending; discovered from the package data."""
    years = []
    for entry in resources.files(_PACKAGE).iterdir():
        match = _YEAR_FILE.match(entry.name)
        if match:
            years.append(int(match.group(1)))
    return sorted(years)


@functools.cache
def load_rubric(year: int) -> Rubric:
    """The rubric of ``year`` (cached; rubrics are immutable)."""
    if year not in available_years():
        raise UnknownRubricYear(year, available_years())
    data = resources.files(_PACKAGE).joinpath(f"{year}.json").read_bytes()
    return _check(msgspec.json.decode(data, type=Rubric), year)
