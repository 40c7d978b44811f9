"""The regency's Indeks Inovasi Daerah as Kemendagri computes it, and the report planner — pure.

The formula (shared/domain/iga-index.md, section a), with every constant from the year's
:class:`~services.domain.index_rules.IndexRules`::

    SPD    = Σ over the SPD rows of weight × level                       (max 63)
    SID    = Σ maturity of the n counted innovations ÷ MAX(k, n)         (max 111)
    count  = per_innovation × MIN(n, cap), 0 unless the urusan gate is met (max 76 in 2026)
    total  = SPD + SID + count;   IID = total ÷ max_total × 100, 2 decimals;   band of the year

Two projections, as the regional engines show them: "klaim" takes every reported innovation at
its claimed score and the SPD at its claimed levels; "terverifikasi" takes verified scores and
verified SPD levels and drops the innovations the ministry rejected unless the year's file says
rejected ones still count (``rejected_counts``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import msgspec

from services.domain.index_rules import IndexRules, UrusanRef, band_for
from services.domain.rubric import LEVELS

__all__ = [
    "REJECTED",
    "GateStatus",
    "IndexView",
    "InnovationInput",
    "Plan",
    "PlanItem",
    "RegencyIndex",
    "SpdEntry",
    "compute_index",
    "plan_report",
]

#: The ministry verdict code that removes an innovation (h8 records verdicts as events).
REJECTED = "rejected"

Basis = Literal["klaim", "terverifikasi"]


class SpdEntry(msgspec.Struct, frozen=True):
    """One SPD row's levels: as the regency claims it and as verified (None: not yet)."""

    claimed_level: int = 0
    verified_level: int | None = None


class InnovationInput(msgspec.Struct, frozen=True):
    """An innovation reported (or reportable) for the year, with what the index needs."""

    id: str
    title: str
    claimed_score: float
    verified_score: float
    urusan: str | None = None  # code of the urusan utama, e.g. "1.02"
    other_urusan: tuple[str, ...] = ()
    ministry_verdict: str | None = None


class GateStatus(msgspec.Struct, frozen=True):
    """The basic-service urusan gate on the count score (``applies`` False: no gate that year)."""

    applies: bool
    met: bool
    required: int
    covered: tuple[str, ...]
    missing: tuple[UrusanRef, ...]


class IndexView(msgspec.Struct, frozen=True):
    """Every component of one projection with its maximum, the total and the band."""

    basis: Basis
    spd_score: float
    spd_max: float
    n: int
    divisor: int
    empty_seats: int  # MAX(k, n) − n: seats in the divisor no innovation fills
    sid_sum: float
    sid_score: float
    sid_max: float
    count_score: float
    count_max: float
    gate: GateStatus
    total: float
    max_total: float
    value: float
    band: str
    counted: tuple[str, ...]  # ids of the innovations in n
    excluded: tuple[str, ...]  # ids left out by the year's rule on rejected innovations


class RegencyIndex(msgspec.Struct, frozen=True):
    year: int
    sid_rubric_year: int
    spd_recorded: bool
    claimed: IndexView
    verified: IndexView
    perkiraan: dict[str, str]


def _codes(rules: IndexRules, inn: InnovationInput) -> set[str]:
    codes = {inn.urusan} if inn.urusan else set()
    if rules.gate is not None and rules.gate.counts_other_urusan:
        codes |= set(inn.other_urusan)
    return codes


def _gate(rules: IndexRules, counted: Iterable[InnovationInput]) -> GateStatus:
    if rules.gate is None:
        return GateStatus(applies=False, met=True, required=0, covered=(), missing=())
    present: set[str] = set()
    for inn in counted:
        present |= _codes(rules, inn)
    covered = tuple(u.code for u in rules.gate.urusan if u.code in present)
    missing = tuple(u for u in rules.gate.urusan if u.code not in present)
    return GateStatus(
        applies=True,
        met=len(covered) >= rules.gate.min_covered,
        required=rules.gate.min_covered,
        covered=covered,
        missing=missing,
    )


def _spd_score(rules: IndexRules, spd: Mapping[str, SpdEntry], basis: Basis) -> float:
    total = 0.0
    for row in rules.spd_rows:
        entry = spd.get(row.no)
        if entry is None:
            continue
        level = entry.claimed_level if basis == "klaim" else (entry.verified_level or 0)
        if level not in LEVELS:
            raise ValueError(f"SPD {row.no}: level {level} outside 0..{max(LEVELS)}")
        total += row.weight * level
    return round(total, 2)


def _spd(
    rules: IndexRules, spd: Mapping[str, SpdEntry], basis: Basis, total: float | None
) -> float:
    return _spd_score(rules, spd, basis) if total is None else float(total)


def _view(
    rules: IndexRules,
    basis: Basis,
    spd_score: float,
    counted: Sequence[InnovationInput],
    excluded: Sequence[InnovationInput],
) -> IndexView:
    sid_max = rules.sid_max
    scores = [i.claimed_score if basis == "klaim" else i.verified_score for i in counted]
    for inn, score in zip(counted, scores, strict=True):
        if not 0 <= score <= sid_max:
            raise ValueError(f"innovation {inn.id}: score {score} outside 0..{sid_max:g}")
    n = len(counted)
    divisor = max(rules.divisor_floor, n)
    gate = _gate(rules, counted)
    sid = sum(scores) / divisor
    count = rules.count_score.score(n) if gate.met else 0.0
    total = spd_score + sid + count
    value = round(total / rules.max_total * 100, 2)
    return IndexView(
        basis=basis,
        spd_score=spd_score,
        spd_max=rules.spd_max,
        n=n,
        divisor=divisor,
        empty_seats=divisor - n,
        sid_sum=round(sum(scores), 2),
        sid_score=round(sid, 2),
        sid_max=sid_max,
        count_score=round(count, 2),
        count_max=rules.count_score.max,
        gate=gate,
        total=round(total, 2),
        max_total=rules.max_total,
        value=value,
        band=band_for(rules, value),
        counted=tuple(i.id for i in counted),
        excluded=tuple(i.id for i in excluded),
    )


def _counts_verified(rules: IndexRules, inn: InnovationInput) -> bool:
    return rules.rejected_counts or inn.ministry_verdict != REJECTED


def compute_index(
    rules: IndexRules,
    spd: Mapping[str, SpdEntry],
    innovations: Sequence[InnovationInput],
    *,
    spd_total: float | None = None,
) -> RegencyIndex:
    """The index of the reported ``innovations`` with the year's SPD rows, both projections.

    ``spd_total`` replaces the SPD score in both projections (an explicit what-if).
    """
    if spd_total is not None and not 0 <= spd_total <= rules.spd_max:
        raise ValueError(f"SPD {spd_total} outside 0..{rules.spd_max:g}")
    unknown = set(spd) - {r.no for r in rules.spd_rows}
    if unknown:
        raise ValueError(f"index {rules.year} has no SPD rows {sorted(unknown)}")
    verified = [i for i in innovations if _counts_verified(rules, i)]
    dropped = [i for i in innovations if not _counts_verified(rules, i)]
    return RegencyIndex(
        year=rules.year,
        sid_rubric_year=rules.sid_rubric_year,
        spd_recorded=bool(spd),
        claimed=_view(rules, "klaim", _spd(rules, spd, "klaim", spd_total), innovations, ()),
        verified=_view(
            rules, "terverifikasi", _spd(rules, spd, "terverifikasi", spd_total), verified, dropped
        ),
        perkiraan=dict(rules.perkiraan),
    )


# --------------------------------------------------------------------------- report planner


class PlanItem(msgspec.Struct, frozen=True):
    """One candidate: in the plan or not, and the index with and without it."""

    id: str
    title: str
    verified_score: float
    urusan: str | None
    include: bool
    eligible: bool
    value_with: float
    value_without: float
    reason: str


class Plan(msgspec.Struct, frozen=True):
    """Which innovations to report to maximise the verified index, and what it comes to."""

    year: int
    chosen: tuple[str, ...]
    best: IndexView
    report_all: IndexView
    items: tuple[PlanItem, ...]


def _total(rules: IndexRules, spd_score: float, chosen: Sequence[InnovationInput]) -> float:
    n = len(chosen)
    sid = sum(i.verified_score for i in chosen) / max(rules.divisor_floor, n)
    count = rules.count_score.score(n) if _gate(rules, chosen).met else 0.0
    return spd_score + sid + count


def _best_subset(
    rules: IndexRules, spd_score: float, pool: Sequence[InnovationInput]
) -> list[InnovationInput]:
    """The subset with the highest total.

    For a fixed size m the best subset is the m highest scores, except that the gate may need
    one innovation of each of a set U of basic-service urusan: then the best of each urusan in U
    plus the highest of the rest. Every U of at least ``min_covered`` urusan and every m is
    tried (exact when only the urusan utama counts for the gate). Ties go to more innovations.
    """
    ranked = sorted(pool, key=lambda i: (-i.verified_score, i.id))
    starts: list[list[InnovationInput]] = [[]]
    if rules.gate is not None:
        best_of: dict[str, InnovationInput] = {}
        for inn in ranked:
            for code in _codes(rules, inn):
                best_of.setdefault(code, inn)
        codes = [u.code for u in rules.gate.urusan if u.code in best_of]
        for size in range(rules.gate.min_covered, len(codes) + 1):
            for combo in itertools.combinations(codes, size):
                starts.append(list(dict.fromkeys(best_of[c] for c in combo)))
    gate_codes = {u.code for u in rules.gate.urusan} if rules.gate is not None else set()
    need = rules.gate.min_covered if rules.gate is not None else 0
    best: list[InnovationInput] = []
    best_key = (round(spd_score, 9), 0)
    for start in starts:
        start_ids = {i.id for i in start}
        rest = [i for i in ranked if i.id not in start_ids]
        subset = list(start)
        total = sum(i.verified_score for i in subset)
        present: set[str] = set()
        for inn in subset:
            present |= _codes(rules, inn) & gate_codes
        for extra in range(len(rest) + 1):
            if extra:
                inn = rest[extra - 1]
                subset.append(inn)
                total += inn.verified_score
                present |= _codes(rules, inn) & gate_codes
            n = len(subset)
            met = rules.gate is None or len(present) >= need
            value = spd_score + total / max(rules.divisor_floor, n)
            value += rules.count_score.score(n) if met else 0.0
            key = (round(value, 9), n)
            if key > best_key:
                best, best_key = list(subset), key
    return best


def plan_report(
    rules: IndexRules,
    spd: Mapping[str, SpdEntry],
    innovations: Sequence[InnovationInput],
    *,
    spd_total: float | None = None,
) -> Plan:
    """Which of the year's innovations to report to maximise the expected (verified) index.

    Innovations the ministry rejected cannot count (unless the year's rule says they do). For
    every candidate the plan shows the index with it and without it, the other choices fixed.
    """
    spd_score = _spd(rules, spd, "terverifikasi", spd_total)
    pool = [i for i in innovations if _counts_verified(rules, i)]
    chosen = _best_subset(rules, spd_score, pool)
    chosen_ids = {i.id for i in chosen}

    def value(subset: Sequence[InnovationInput]) -> float:
        return round(_total(rules, spd_score, subset) / rules.max_total * 100, 2)

    items: list[PlanItem] = []
    for inn in sorted(innovations, key=lambda i: (-i.verified_score, i.title, i.id)):
        eligible = _counts_verified(rules, inn)
        include = inn.id in chosen_ids
        without = [i for i in chosen if i.id != inn.id]
        with_it = chosen if include else [*chosen, inn]
        if not eligible:
            reason = "Ditolak Kemendagri: tidak dihitung pada tahun ini."
        elif include:
            reason = "Dilaporkan: menaikkan indeks."
        else:
            reason = "Tidak dilaporkan: menurunkan rata-rata SID lebih dari tambahan skor jumlah."
        items.append(
            PlanItem(
                id=inn.id,
                title=inn.title,
                verified_score=inn.verified_score,
                urusan=inn.urusan,
                include=include,
                eligible=eligible,
                value_with=value(with_it) if eligible else value(chosen),
                value_without=value(without),
                reason=reason,
            )
        )
    return Plan(
        year=rules.year,
        chosen=tuple(i.id for i in chosen),
        best=_view(rules, "terverifikasi", spd_score, chosen, ()),
        report_all=_view(rules, "terverifikasi", spd_score, pool, ()),
        items=tuple(items),
    )
