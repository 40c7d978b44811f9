"""Maturity scoring, completeness and recommendations of one innovation — pure functions.

Everything here is a function of a :class:`~services.domain.rubric.Rubric` (per-year data) and
plain values; nothing reads the event log or the clock, so the same inputs give the same score
when an auditor replays history.

Per-innovation maturity (nilai kematangan)
    An indicator's points are ``weight × level`` (levels 1..3; 0 = nothing proven). Claimed and
    verified are kept apart:

    - claimed points  = weight × claimed level, if at least one evidence item is not rejected;
    - verified points = weight × verified level, if at least one evidence item is accepted;
    - otherwise 0. An indicator absent from the inputs counts as level 0.

    The maturity score is the sum over the rubric's indicators (maximum 111 for the 20 IID
    indicators, whose weights sum to 37).

The regency index is ``services.domain.regency_index``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Literal, NamedTuple

import msgspec

from services.domain.rubric import DOCUMENT_KIND_LABELS, LEVELS, Indicator, Rubric

__all__ = [
    "DOCUMENT_KIND_LABELS",
    "Assessment",
    "Completeness",
    "Evidence",
    "IndicatorInput",
    "IndicatorScore",
    "MissingItem",
    "Recommendation",
    "Scorecard",
    "assess",
    "completeness",
    "recommendations",
    "scorecard",
]

Verdict = Literal["pending", "accepted", "rejected"]


class Evidence(msgspec.Struct, frozen=True):
    """One document offered as evidence for an indicator, with the reviewer's verdict on it."""

    doc_id: str
    name: str
    kind: str
    verdict: Verdict = "pending"


class IndicatorInput(msgspec.Struct, frozen=True):
    """What is known about one indicator of one innovation: levels and offered evidence."""

    no: int
    claimed_level: int = 0
    verified_level: int | None = None
    evidence: tuple[Evidence, ...] = ()


class IndicatorScore(msgspec.Struct, frozen=True):
    """One scorecard row; claimed and verified points side by side so the gap is visible."""

    no: int
    name: str
    weight: int
    claimed_level: int
    claimed_points: int
    verified_level: int | None
    verified_points: int
    max_points: int


class Scorecard(msgspec.Struct, frozen=True):
    """The maturity score of one innovation under one year's rubric."""

    rubric_year: int
    indicators: tuple[IndicatorScore, ...]
    claimed_total: int
    verified_total: int
    max_total: int


class MissingItem(msgspec.Struct, frozen=True):
    """Something an operator still has to supply, with the points at stake if any."""

    kind: Literal["field", "document", "indicator"]
    key: str
    label: str
    indicator: int | None = None
    points: int = 0


class Completeness(msgspec.Struct, frozen=True):
    """How far a submission is from complete, and the list of what is missing."""

    percent: int
    missing: tuple[MissingItem, ...]
    complete: bool


class Recommendation(msgspec.Struct, frozen=True):
    """The next step that raises an indicator, and what it is worth."""

    indicator: int
    name: str
    current_level: int
    next_level: int
    gain_next: int
    points_available: int
    message: str


# --------------------------------------------------------------------------- helpers


def _level_error(no: int, level: int, what: str) -> ValueError:
    return ValueError(f"indicator {no}: {what} level {level} outside 0..{max(LEVELS)}")


def _has_live_evidence(inp: IndicatorInput) -> bool:
    """At least one evidence item not (yet) rejected: enough to back a claim."""
    return any(ev.verdict != "rejected" for ev in inp.evidence)


def _has_accepted_evidence(inp: IndicatorInput) -> bool:
    """At least one evidence item accepted by a reviewer: needed for verified points."""
    return any(ev.verdict == "accepted" for ev in inp.evidence)


class _Shape(NamedTuple):
    """What scoring reads of a rubric on every call, worked out once per rubric object."""

    known: frozenset[int]
    max_score: int
    mandatory: tuple[Indicator, ...]
    absent: dict[int, IndicatorInput]  # level 0, no evidence: an indicator not in the inputs
    advice: dict[tuple[int, int], Recommendation]  # (indicator, current level): filled as met
    numbers: tuple[int, ...]  # the indicators in rubric order
    ranked: dict[tuple[int, ...], tuple[Recommendation, ...]]  # by effective levels: as met


_SHAPES: dict[int, tuple[Rubric, _Shape]] = {}


def _shape(rubric: Rubric) -> _Shape:
    held = _SHAPES.get(id(rubric))
    if held is not None and held[0] is rubric:
        return held[1]
    if len(_SHAPES) > 64:  # rubrics are loaded once per year; bound it all the same
        _SHAPES.clear()
    shape = _Shape(
        known=frozenset(ind.no for ind in rubric.indicators),
        max_score=rubric.max_score,
        mandatory=tuple(rubric.indicator(no) for no in rubric.mandatory),
        absent={ind.no: IndicatorInput(no=ind.no) for ind in rubric.indicators},
        advice={},
        numbers=tuple(ind.no for ind in rubric.indicators),
        ranked={},
    )
    _SHAPES[id(rubric)] = (rubric, shape)  # the rubric is kept, so its id is not reused
    return shape


def _by_indicator(rubric: Rubric, inputs: Iterable[IndicatorInput]) -> dict[int, IndicatorInput]:
    """Index inputs by indicator, validating them and filling absent indicators with level 0."""
    shape = _shape(rubric)
    given = dict(shape.absent)
    seen: set[int] = set()
    for inp in inputs:
        if inp.no not in shape.known:
            raise ValueError(f"rubric {rubric.year} has no indicator {inp.no}")
        if inp.no in seen:
            raise ValueError(f"indicator {inp.no} given more than once")
        seen.add(inp.no)
        if inp.claimed_level not in LEVELS:
            raise _level_error(inp.no, inp.claimed_level, "claimed")
        if inp.verified_level is not None and inp.verified_level not in LEVELS:
            raise _level_error(inp.no, inp.verified_level, "verified")
        given[inp.no] = inp
    return given


class Assessment:
    """Inputs indexed by indicator and validated once, with what each one's evidence backs:
    the scorecard, completeness and recommendations of one answer share it (``assess``)."""

    __slots__ = ("accepted", "by_no", "live", "rubric")

    def __init__(self, rubric: Rubric, by_no: dict[int, IndicatorInput]) -> None:
        self.rubric = rubric
        self.by_no = by_no
        given = [inp for inp in by_no.values() if inp.evidence]
        # indicators with evidence not (yet) rejected; with evidence a reviewer accepted
        self.live = frozenset(inp.no for inp in given if _has_live_evidence(inp))
        self.accepted = frozenset(inp.no for inp in given if _has_accepted_evidence(inp))

    def effective_claimed(self, no: int) -> int:
        """The claimed level that counts: a claim without live evidence is worth level 0."""
        return self.effective_levels((no,))[0]

    def effective_levels(self, numbers: Iterable[int]) -> tuple[int, ...]:
        """``effective_claimed`` of each of ``numbers``, in one pass."""
        by_no, live = self.by_no, self.live
        return tuple([by_no[no].claimed_level if no in live else 0 for no in numbers])


def assess(rubric: Rubric, inputs: Iterable[IndicatorInput] | Assessment) -> Assessment:
    if isinstance(inputs, Assessment):
        if inputs.rubric is not rubric:
            raise ValueError(
                f"inputs assessed under rubric {inputs.rubric.year}, not {rubric.year}"
            )
        return inputs
    return Assessment(rubric, _by_indicator(rubric, inputs))


Inputs = Iterable[IndicatorInput] | Assessment


def _indicator_label(ind: Indicator) -> str:
    return f"Indikator {ind.no} {ind.name}"


# --------------------------------------------------------------------------- scorecard


def scorecard(rubric: Rubric, inputs: Inputs) -> Scorecard:
    """Claimed and verified maturity of one innovation; ValueError on levels outside 0..3."""
    assessed = assess(rubric, inputs)
    top = max(LEVELS)
    rows: list[IndicatorScore] = []
    claimed_total = verified_total = 0
    for ind in rubric.indicators:
        inp = assessed.by_no[ind.no]
        # Levels were checked by _by_indicator: weight × level is the indicator's points().
        claimed_points = ind.weight * inp.claimed_level if ind.no in assessed.live else 0
        verified_points = (
            ind.weight * (inp.verified_level or 0) if ind.no in assessed.accepted else 0
        )
        claimed_total += claimed_points
        verified_total += verified_points
        rows.append(
            IndicatorScore(
                no=ind.no,
                name=ind.name,
                weight=ind.weight,
                claimed_level=inp.claimed_level,
                claimed_points=claimed_points,
                verified_level=inp.verified_level,
                verified_points=verified_points,
                max_points=ind.weight * top,
            )
        )
    return Scorecard(
        rubric_year=rubric.year,
        indicators=tuple(rows),
        claimed_total=claimed_total,
        verified_total=verified_total,
        max_total=_shape(rubric).max_score,
    )


# --------------------------------------------------------------------------- completeness


def completeness(
    rubric: Rubric,
    *,
    fields: Mapping[str, bool],
    field_labels: Mapping[str, str],
    present_document_kinds: Collection[str],
    required_document_kinds: Collection[str],
    inputs: Inputs,
    check_indicators: bool = True,
) -> Completeness:
    """What is still missing before a submission is complete, so operators see it at all times.

    Checks are: each required field, each required document kind, each mandatory indicator
    (claimed level ≥ 1 backed by evidence not rejected). ``percent`` is satisfied checks ÷ all
    checks × 100, rounded down (100 when there is nothing to check). Krenova entries are judged
    on their own criteria, so they pass ``check_indicators=False``.
    """
    assessed = assess(rubric, inputs)
    missing: list[MissingItem] = []
    total = 0

    for key, satisfied in fields.items():
        total += 1
        if not satisfied:
            missing.append(MissingItem(kind="field", key=key, label=field_labels.get(key, key)))

    present = set(present_document_kinds)
    for doc_kind in dict.fromkeys(required_document_kinds):  # de-duplicated, order kept
        total += 1
        if doc_kind not in present:
            label = DOCUMENT_KIND_LABELS.get(doc_kind, doc_kind)
            missing.append(MissingItem(kind="document", key=doc_kind, label=label))

    for ind in _shape(rubric).mandatory if check_indicators else ():
        total += 1
        no = ind.no
        if assessed.effective_claimed(no) >= 1:
            continue
        reason = "belum ada bukti dukung" if no not in assessed.live else "belum memilih level"
        missing.append(
            MissingItem(
                kind="indicator",
                key=f"indicator_{no}",
                label=f"{_indicator_label(ind)}: {reason}",
                indicator=no,
                points=ind.max_points,
            )
        )

    satisfied_count = total - len(missing)
    percent = 100 if total == 0 else satisfied_count * 100 // total
    return Completeness(percent=percent, missing=tuple(missing), complete=not missing)


# --------------------------------------------------------------------------- recommendations


def recommendations(rubric: Rubric, inputs: Inputs) -> list[Recommendation]:
    """Indicators below the top level, ranked by the points still available.

    The current level is the effective claimed level (0 without evidence that is not
    rejected). Ranking: points available desc, then weight desc, then indicator number.
    """
    assessed = assess(rubric, inputs)
    shape = _shape(rubric)
    # The ranking depends on the rubric and the effective levels alone: worked out once for
    # each combination met (most innovations share a few), as frozen values.
    levels = assessed.effective_levels(shape.numbers)
    ranked = shape.ranked.get(levels)
    if ranked is None:
        if len(shape.ranked) >= _RANKED_LIMIT:
            shape.ranked.clear()
        ranked = shape.ranked[levels] = _ranked(rubric, shape, levels)
    return list(ranked)


_RANKED_LIMIT = 4096


def _ranked(rubric: Rubric, shape: _Shape, levels: tuple[int, ...]) -> tuple[Recommendation, ...]:
    top = max(LEVELS)
    advice = shape.advice  # the same advice for the same level: built once per rubric
    recs: list[Recommendation] = []
    for ind, current in zip(rubric.indicators, levels, strict=True):
        if current >= top:
            continue
        rec = advice.get((ind.no, current))
        if rec is None:
            rec = advice[(ind.no, current)] = _advice(ind, current, top)
        recs.append(rec)
    recs.sort(key=lambda r: (-r.points_available, -r.gain_next, r.indicator))  # gain_next = weight
    return tuple(recs)


def _advice(ind: Indicator, current: int, top: int) -> Recommendation:
    nxt = current + 1
    return Recommendation(
        indicator=ind.no,
        name=ind.name,
        current_level=current,
        next_level=nxt,
        gain_next=ind.weight,
        points_available=ind.weight * (top - current),
        message=(
            f"Lampirkan bukti '{ind.level(nxt).description}' untuk menambah "
            f"{ind.weight} poin pada indikator {ind.no} ({ind.name})"
        ),
    )
