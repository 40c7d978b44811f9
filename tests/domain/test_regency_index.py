"""The regency index against a hand-worked example (shared/domain/iga-index.md, section a).

The example regency, worked on paper:

SPD, verified levels (weight × level): 1:3 (3), 2a:3 (3), 2b:2 (2), 3:2 (2), 4:2 (2),
5a:2 (1.5), 5b:2 (1.5), 6:2 (3), 7:2 (3), 8:3 (4.5), 9:2 (2), 10a:2 (1.5), 10b:2 (1.5),
11a:2 (1.5), 11b:2 (1.5), 12:1 (2), 13a:1 (1), 13b:0, 14:1 (1), 15:0  → 37.5.
Claimed levels are the same except 13b:2 (+2) and 15:1 (+1)          → 40.5.

Twelve innovations, verified 95 88 82 76 70 64 60 55 50 45 40 30 (Σ 755), each claimed 5 more
(Σ 815); the one at 64 (urusan 1.06 Sosial) is rejected by the ministry.

Klaim, every year: n 12, SID 815 / 12 = 67.9167, count 0.38 × 12 = 4.56,
  total 40.5 + 67.9167 + 4.56 = 112.9767 → IID 45.19.
Terverifikasi, 2026 (k 12, gate 5 of 6 yandas): n 11, SID 691 / 12 = 57.5833,
  gate met (1.01–1.05) → count 0.38 × 11 = 4.18, total 99.2633 → IID 39.71 (Kurang Inovatif,
  2026 bands); gate not met (1.04 replaced by 2.15, only 4 left) → count 0,
  total 95.0833 → IID 38.03.
Terverifikasi, 2023–2025 (k 10, no gate): n 11, SID 691 / 11 = 62.8182, count 4.18,
  total 104.4982 → IID 41.80 (Inovatif).
"""

from __future__ import annotations

import pytest

from services.domain.index_rules import (
    available_years,
    band_for,
    rules_for,
    spd_row_level,
)
from services.domain.regency_index import (
    InnovationInput,
    SpdEntry,
    compute_index,
    plan_report,
)

VERIFIED_SPD = {
    "1": 3,
    "2a": 3,
    "2b": 2,
    "3": 2,
    "4": 2,
    "5a": 2,
    "5b": 2,
    "6": 2,
    "7": 2,
    "8": 3,
    "9": 2,
    "10a": 2,
    "10b": 2,
    "11a": 2,
    "11b": 2,
    "12": 1,
    "13a": 1,
    "13b": 0,
    "14": 1,
    "15": 0,
}
CLAIMED_SPD = {**VERIFIED_SPD, "13b": 2, "15": 1}
SPD = {
    no: SpdEntry(claimed_level=CLAIMED_SPD[no], verified_level=lv)
    for no, lv in VERIFIED_SPD.items()
}

SCORES = [95, 88, 82, 76, 70, 64, 60, 55, 50, 45, 40, 30]
URUSAN = [
    "1.01",
    "1.02",
    "1.03",
    "1.04",
    "1.05",
    "1.06",
    "2.12",
    "2.12",
    "3.27",
    "2.11",
    "1.02",
    "2.16",
]
REJECTED_INDEX = 5  # the innovation at 64, urusan 1.06


def innovations(gate_met: bool = True) -> list[InnovationInput]:
    urusan = list(URUSAN)
    if not gate_met:
        urusan[3] = "2.15"
    return [
        InnovationInput(
            id=f"i{n:02d}",
            title=f"Inovasi {n}",
            claimed_score=score + 5,
            verified_score=score,
            urusan=urusan[n],
            ministry_verdict="rejected" if n == REJECTED_INDEX else "accepted",
        )
        for n, score in enumerate(SCORES)
    ]


# year → (verified IID with gate met, band, verified IID with gate not met)
EXPECTED = {
    2023: (41.80, "Inovatif", 41.80),
    2024: (41.80, "Inovatif", 41.80),
    2025: (41.80, "Inovatif", 41.80),
    2026: (39.71, "Kurang Inovatif", 38.03),
}


def test_every_year_file_has_a_hand_worked_expectation() -> None:
    assert set(available_years()) == set(EXPECTED)


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_hand_worked_regency(year: int) -> None:
    rules = rules_for(year)
    result = compute_index(rules, SPD, innovations())
    claimed, verified = result.claimed, result.verified
    assert (claimed.spd_score, verified.spd_score) == (40.5, 37.5)
    assert claimed.n == 12 and claimed.divisor == 12 and claimed.sid_score == 67.92
    assert claimed.count_score == 4.56 and claimed.total == 112.98 and claimed.value == 45.19
    assert verified.n == 11 and verified.excluded == ("i05",)
    assert "i05" not in verified.counted and len(verified.counted) == 11
    assert verified.count_score == 4.18
    value, band, without_gate = EXPECTED[year]
    assert verified.value == value and verified.band == band
    assert (verified.spd_max, verified.sid_max, verified.count_max, verified.max_total) == (
        63,
        111,
        76,
        250,
    )
    not_met = compute_index(rules, SPD, innovations(gate_met=False)).verified
    assert not_met.value == without_gate
    if year == 2026:
        assert verified.divisor == 12 and verified.empty_seats == 1
        assert verified.gate.met and verified.gate.covered == (
            "1.01",
            "1.02",
            "1.03",
            "1.04",
            "1.05",
        )
        assert not not_met.gate.met and not_met.count_score == 0
        assert [u.code for u in not_met.gate.missing] == ["1.04", "1.06"]
    else:
        assert verified.divisor == 11 and verified.sid_score == 62.82
        assert not verified.gate.applies and not_met.gate.met


def test_the_notes_worked_examples_2026() -> None:
    rules = rules_for(2026)
    spd40 = 40.0
    twenty = [
        InnovationInput(id=f"x{n}", title="x", claimed_score=70, verified_score=70, urusan=code)
        for n, code in enumerate(["1.01", "1.02", "1.03", "1.04", "1.05"] * 4)
    ]
    assert compute_index(rules, {}, twenty, spd_total=spd40).verified.value == 47.04
    four = [
        InnovationInput(id=i.id, title="x", claimed_score=70, verified_score=70, urusan=u)
        for i, u in zip(twenty, ["1.01", "1.02", "1.03", "1.04"] * 5, strict=True)
    ]
    assert compute_index(rules, {}, four, spd_total=spd40).verified.value == 44.00
    eight = [
        InnovationInput(id=f"e{n}", title="x", claimed_score=80, verified_score=80, urusan=u)
        for n, u in enumerate(["1.01", "1.02", "1.03", "1.04", "1.05", "2.12", "2.12", "2.12"])
    ]
    result = compute_index(rules, {}, eight, spd_total=spd40).verified
    assert result.value == 38.55 and result.band == "Kurang Inovatif"
    assert compute_index(rules_for(2023), {}, eight, spd_total=spd40).verified.band == "Inovatif"


def test_rejected_innovations_follow_the_year_rule() -> None:
    import msgspec

    counting = msgspec.structs.replace(rules_for(2026), rejected_counts=True)
    verified = compute_index(counting, SPD, innovations()).verified
    assert verified.n == 12 and verified.excluded == ()


def test_no_spd_recorded_and_unknown_rows() -> None:
    result = compute_index(rules_for(2026), {}, innovations())
    assert not result.spd_recorded and result.verified.spd_score == 0
    with pytest.raises(ValueError):
        compute_index(rules_for(2026), {"99": SpdEntry(3, 3)}, [])
    with pytest.raises(ValueError):
        compute_index(rules_for(2026), {}, [], spd_total=64)


def test_nothing_reported_is_tidak_dapat_dinilai() -> None:
    assert compute_index(rules_for(2026), {}, []).verified.band == "Tidak Dapat Dinilai"


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (65.01, "Sangat Inovatif"),
        (65.0, "Inovatif"),
        (40.01, "Inovatif"),
        (40.0, "Kurang Inovatif"),
        (0.01, "Kurang Inovatif"),
        (0, "Tidak Dapat Dinilai"),
    ],
)
def test_bands_2026(value: float, band: str) -> None:
    assert band_for(rules_for(2026), value) == band


@pytest.mark.parametrize(
    ("row", "raw", "level", "score"),
    [
        ("4", {"t1": 105.3, "t2": 100}, 3, 3.0),  # growth 5.30 % ≥ 5.23
        ("4", {"t1": 103, "t2": 100}, 2, 2.0),
        ("4", {"t1": 101, "t2": 100}, 1, 1.0),
        ("5b", {"value": 2.0}, 3, 2.25),  # unemployment, lower is better
        ("5b", {"value": 6.5}, 1, 0.75),
        ("10a", {"t1": 9.5, "t2": 10.8}, 3, 2.25),  # poverty fell 1.3 points
        ("8", {"level": 2}, 2, 3.0),  # WDP
        ("13a", {"value": 0}, 0, 0.0),  # no recommendations: level 0
    ],
)
def test_spd_row_level(row: str, raw: dict[str, float], level: int, score: float) -> None:
    got = spd_row_level(rules_for(2026), row, raw)
    assert (got.level, got.score) == (level, score)


def test_spd_row_level_refuses_missing_values() -> None:
    with pytest.raises(ValueError):
        spd_row_level(rules_for(2026), "4", {"t1": 1})
    with pytest.raises(ValueError):
        spd_row_level(rules_for(2026), "8", {"level": 4})


def test_unconfirmed_values_are_marked_perkiraan() -> None:
    assert rules_for(2025).is_estimate("bands") and not rules_for(2026).is_estimate("bands")
    assert all(row.perkiraan for row in rules_for(2023).spd_rows)
    assert rules_for(2026).row("1").perkiraan == ""
    assert rules_for(2026).row("4").perkiraan  # overlapping thresholds in the sources


def test_planner_drops_innovations_that_lower_the_index() -> None:
    rules = rules_for(2026)
    items = innovations()
    plan = plan_report(rules, SPD, items)
    # Σ of the 11 eligible = 691 over 12 seats: every one adds more than it dilutes…
    assert "i05" not in plan.chosen  # rejected by the ministry
    assert len(plan.chosen) == 11 and plan.best.value == 39.71
    # …but a very weak 25th innovation would lower the average by more than 0.38.
    many = [
        *items,
        *[
            InnovationInput(
                id=f"z{n:02d}", title="z", claimed_score=90, verified_score=90, urusan="2.12"
            )
            for n in range(12)
        ],
        InnovationInput(id="weak", title="lemah", claimed_score=2, verified_score=2, urusan="2.12"),
    ]
    plan = plan_report(rules, SPD, many)
    assert "weak" not in plan.chosen
    weak = next(i for i in plan.items if i.id == "weak")
    assert weak.value_with < weak.value_without == plan.best.value
    assert plan.best.value > plan.report_all.value


def test_planner_keeps_the_gate() -> None:
    rules = rules_for(2026)
    # 30 strong innovations in non-basic urusan plus five weak ones, one per basic urusan: the
    # gate's count score (0.38 × n) is worth more than the five weak scores dilute.
    strong = [
        InnovationInput(
            id=f"s{n:02d}", title="s", claimed_score=100, verified_score=100, urusan="2.12"
        )
        for n in range(30)
    ]
    weak = [
        InnovationInput(id=f"w{code}", title="w", claimed_score=20, verified_score=20, urusan=code)
        for code in ("1.01", "1.02", "1.03", "1.04", "1.05")
    ]
    plan = plan_report(rules, {}, [*strong, *weak])
    assert plan.best.gate.met and len(plan.chosen) == 35
    without = next(i for i in plan.items if i.id == "w1.01")
    assert without.value_without < plan.best.value  # dropping it loses the gate


def test_design_word_minimum_is_read_from_the_year_file() -> None:
    from services.domain.index_rules import design_min_words

    for year in available_years():
        assert design_min_words(year) == rules_for(year).design_min_words == 300
    assert design_min_words(2030) == rules_for(2026).design_min_words  # nearest earlier file
    assert rules_for(2026).is_estimate("design_min_words") is False
    assert rules_for(2023).is_estimate("design_min_words")
