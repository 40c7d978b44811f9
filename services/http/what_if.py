"""``?rubric=`` on the read routes: score under another year's rubric, to see next year's rules.

One place turns the query value into a rubric or a 400 problem naming the years that exist.
"""

from __future__ import annotations

from services.domain.rubric import Rubric, UnknownRubricYear, load_rubric
from services.http.problems import problem

__all__ = ["what_if_rubric"]


def what_if_rubric(year: int | None) -> Rubric | None:
    """The rubric of ``year``, None when not asked; unknown years answer 400."""
    if year is None:
        return None
    try:
        return load_rubric(year)
    except UnknownRubricYear as exc:
        years = ", ".join(map(str, exc.available))
        raise problem(
            400, f"Rubrik tahun {year} tidak ada; tersedia: {years}.", "validation"
        ) from None
