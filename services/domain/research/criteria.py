"""The review board's scoring criteria, read from ``criteria.json`` (data, by year).

A proposal's score is Σ weight × score / 100 over the criteria (each score 0–100), so the total
is also 0–100. A year without its own list uses the nearest earlier year's.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

import msgspec

from services.domain.errors import InvalidValue
from services.domain.research.values import CriterionScore

FILE = Path(__file__).with_name("criteria.json")


class Criterion(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    weight: int


@cache
def _table() -> dict[int, tuple[Criterion, ...]]:
    raw = json.loads(FILE.read_text(encoding="utf-8"))
    table = {
        int(year): tuple(msgspec.convert(rows, list[Criterion]))
        for year, rows in raw.items()
        if not year.startswith("_")
    }
    for year, rows in table.items():
        if sum(c.weight for c in rows) != 100:
            raise ValueError(f"research criteria {year}: weights do not add up to 100")
    return table


def criteria_year(year: int) -> int:
    years = [y for y in _table() if y <= year]
    return max(years) if years else min(_table())


def criteria(year: int) -> tuple[Criterion, ...]:
    return _table()[criteria_year(year)]


def weighted_total(year: int, scores: tuple[CriterionScore, ...]) -> Decimal:
    """Check the scores cover each criterion once (0–100) and weigh them."""
    rows = criteria(year)
    given = {s.key: s.score for s in scores}
    if len(given) != len(scores):
        raise InvalidValue("scores", "Setiap kriteria dinilai satu kali.")
    unknown = sorted(set(given) - {c.key for c in rows})
    if unknown:
        raise InvalidValue("scores", f"Kriteria tidak dikenal: {', '.join(unknown)}.")
    missing = [c.label for c in rows if c.key not in given]
    if missing:
        raise InvalidValue("scores", f"Kriteria belum dinilai: {', '.join(missing)}.")
    for key, score in given.items():
        if not 0 <= score <= 100:
            raise InvalidValue("scores", f"Nilai '{key}' harus 0–100.")
    total = sum((Decimal(c.weight * given[c.key]) for c in rows), Decimal(0)) / 100
    return total.quantize(Decimal("0.01"))
