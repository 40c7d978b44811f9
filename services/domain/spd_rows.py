"""The SPD rows of a year and the level each row's raw values earn: the ONE place the SPD sheet
asks for row definitions and levels.

Until the per-year index files land (``services/domain/index_rules.py::rules_for(year)`` with
``spd_row_level``), the rows come from ``reference/spd_catalogue.json`` (the 2026 catalogue of
the domain note). Switching means re-implementing ``row_definitions`` and ``level`` on top of
``rules_for(year)``; nothing else in the SPD context reads the catalogue.

Kinds of rows and the figure derived from raw values (T-1 = last year, T-2 = the year before):

- ``growth_pct``: (T-1 − T-2) / T-2 × 100;
- ``drop_points``: T-2 − T-1 (a fall is good: unemployment, poverty);
- ``rise_points``: T-1 − T-2;
- ``value_t1``: T-1 itself;
- ``count``: a number (years on time, components met, recommendations);
- ``choice``: one of the listed options, each with its level.

Quantitative rows map the figure to 1–3 with two thresholds (``level1_until``, ``level3_from``;
see the catalogue's note); an unfilled row is level 0.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

import msgspec

from services.domain.values import SpdValues


class Option(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    level: int


class RowDefinition(msgspec.Struct, frozen=True, kw_only=True):
    no: str  # "1", "2a", …, "15"
    name: str
    variable: str
    weight: float
    mandatory: bool
    kind: str
    evidence: str = ""
    owner_hint: str = ""
    direction: str = "higher"  # quantitative rows: "higher" or "lower" is better
    level1_until: float | None = None
    level3_from: float | None = None
    count_levels: tuple[int, int, int] | None = None  # minimum count for levels 1, 2, 3
    unit: str = ""
    options: tuple[Option, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        """Which raw values the row needs."""
        if self.kind in ("growth_pct", "drop_points", "rise_points"):
            return ("t1", "t2")
        if self.kind == "value_t1":
            return ("t1",)
        if self.kind == "count":
            return ("value",)
        return ("choice",)


RawValues = SpdValues  # what the owning organisation enters for a row


class Level(msgspec.Struct, frozen=True, kw_only=True):
    level: int  # 0–3
    figure: Decimal | None = None  # the derived figure (growth %, points, count)
    missing: tuple[str, ...] = ()  # raw values still needed


class _Catalogue(msgspec.Struct, frozen=True):
    source: str
    years: dict[str, tuple[RowDefinition, ...]]
    same_as: dict[str, str] = {}


class UnknownSpdYear(LookupError):
    def __init__(self, year: int, known: list[int]) -> None:
        super().__init__(f"Tidak ada daftar indikator SPD untuk tahun {year}.")
        self.year, self.known = year, known


@cache
def _catalogue() -> _Catalogue:
    reference = resources.files("services.domain.reference")
    data = reference.joinpath("spd_catalogue.json").read_bytes()
    return msgspec.json.decode(data, type=_Catalogue)


def known_years() -> list[int]:
    cat = _catalogue()
    return sorted(int(y) for y in {*cat.years, *cat.same_as})


@cache
def row_definitions(year: int) -> tuple[RowDefinition, ...]:
    """The SPD score rows of ``year`` in sheet order (raises UnknownSpdYear)."""
    cat = _catalogue()
    key = cat.same_as.get(str(year), str(year))
    rows = cat.years.get(key)
    if rows is None:
        raise UnknownSpdYear(year, known_years())
    return rows


def definition(year: int, row_no: str) -> RowDefinition | None:
    return next((r for r in row_definitions(year) if r.no == row_no), None)


def level(year: int, row_no: str, values: RawValues) -> Level:
    """The level the raw values earn (0 while any needed value is missing)."""
    row = definition(year, row_no)
    if row is None:
        raise KeyError(row_no)
    missing = tuple(name for name in row.inputs if getattr(values, name) is None)
    if missing:
        return Level(level=0, missing=missing)
    if row.kind == "choice":
        option = next((o for o in row.options if o.key == values.choice), None)
        return Level(level=option.level if option else 0)
    figure = _figure(row.kind, values)
    if figure is None:
        return Level(level=0)
    if row.kind == "count":
        assert row.count_levels is not None
        reached = [n for n, minimum in enumerate(row.count_levels, start=1) if figure >= minimum]
        return Level(level=max(reached, default=0), figure=figure)
    assert row.level1_until is not None and row.level3_from is not None
    low, high = Decimal(str(row.level1_until)), Decimal(str(row.level3_from))
    if row.direction == "higher":
        earned = 3 if figure >= high else 2 if figure > low else 1
    else:
        earned = 3 if figure <= high else 2 if figure < low else 1
    return Level(level=earned, figure=figure)


def _figure(kind: str, values: RawValues) -> Decimal | None:
    t1, t2 = values.t1, values.t2
    try:
        if kind == "growth_pct":
            assert t1 is not None and t2 is not None
            if t2 == 0:
                return None  # no base year: the growth cannot be computed
            return ((t1 - t2) / t2 * 100).quantize(Decimal("0.01"))
        if kind == "drop_points":
            assert t1 is not None and t2 is not None
            return t2 - t1
        if kind == "rise_points":
            assert t1 is not None and t2 is not None
            return t1 - t2
        if kind == "value_t1":
            return t1
        if kind == "count":
            return values.value
    except InvalidOperation:
        return None
    raise ValueError(f"unknown SPD row kind {kind!r}")


def max_score(year: int) -> Decimal:
    return sum((Decimal(str(r.weight)) * 3 for r in row_definitions(year)), Decimal(0))
