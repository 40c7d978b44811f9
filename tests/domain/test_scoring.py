"""Scoring rules: claimed vs verified points, completeness, recommendations."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.domain.rubric import load_rubric
from services.domain.scoring import (
    Evidence,
    IndicatorInput,
    assess,
    completeness,
    recommendations,
    scorecard,
)

RUBRIC = load_rubric(2023)


def ev(verdict="pending", kind="sk"):
    return Evidence(doc_id="d1", name="bukti.pdf", kind=kind, verdict=verdict)


def all_at(level, verdict):
    return [
        IndicatorInput(no=n, claimed_level=level, verified_level=level, evidence=(ev(verdict),))
        for n in range(1, 21)
    ]


# --------------------------------------------------------------------------- scorecard


def test_all_level_3_with_accepted_evidence_scores_111():
    card = scorecard(RUBRIC, all_at(3, "accepted"))
    assert card.claimed_total == 111
    assert card.verified_total == 111
    assert card.max_total == 111
    assert card.rubric_year == 2023
    assert len(card.indicators) == 20


def test_no_evidence_scores_zero():
    inputs = [IndicatorInput(no=n, claimed_level=3, verified_level=3) for n in range(1, 21)]
    card = scorecard(RUBRIC, inputs)
    assert card.claimed_total == 0
    assert card.verified_total == 0


def test_rejected_evidence_scores_zero():
    card = scorecard(RUBRIC, all_at(3, "rejected"))
    assert card.claimed_total == 0
    assert card.verified_total == 0


def test_pending_evidence_backs_claim_but_not_verification():
    card = scorecard(RUBRIC, all_at(2, "pending"))
    assert card.claimed_total == 74
    assert card.verified_total == 0


def test_one_accepted_among_rejected_counts():
    inp = IndicatorInput(
        no=20, claimed_level=2, verified_level=1, evidence=(ev("rejected"), ev("accepted"))
    )
    row = scorecard(RUBRIC, [inp]).indicators[19]
    assert (row.no, row.weight, row.claimed_points, row.verified_points) == (20, 4, 8, 4)
    assert row.max_points == 12


def test_missing_indicators_count_as_level_0():
    card = scorecard(RUBRIC, [IndicatorInput(no=1, claimed_level=3, evidence=(ev(),))])
    assert card.claimed_total == 9
    assert [r.claimed_points for r in card.indicators[1:]] == [0] * 19
    assert card.indicators[1].verified_level is None


@pytest.mark.parametrize(
    "inp",
    [
        IndicatorInput(no=1, claimed_level=4),
        IndicatorInput(no=1, claimed_level=-1),
        IndicatorInput(no=1, verified_level=4),
    ],
)
def test_level_outside_range_is_refused(inp):
    with pytest.raises(ValueError):
        scorecard(RUBRIC, [inp])


def test_unknown_or_duplicate_indicator_is_refused():
    with pytest.raises(ValueError):
        scorecard(RUBRIC, [IndicatorInput(no=21)])
    with pytest.raises(ValueError):
        scorecard(RUBRIC, [IndicatorInput(no=1), IndicatorInput(no=1)])


verdicts = st.sampled_from(["pending", "accepted", "rejected"])
indicator_inputs = st.builds(
    lambda no, claimed, verified, vs: IndicatorInput(
        no=no,
        claimed_level=claimed,
        verified_level=verified,
        evidence=tuple(ev(v) for v in vs),
    ),
    no=st.integers(1, 20),
    claimed=st.integers(0, 3),
    verified=st.none() | st.integers(0, 3),
    vs=st.lists(verdicts, max_size=3),
)


@given(st.lists(indicator_inputs, max_size=20, unique_by=lambda i: i.no))
def test_scores_stay_in_range_and_verified_never_exceeds_claimed(inputs):
    card = scorecard(RUBRIC, inputs)
    assert 0 <= card.claimed_total <= 111
    assert 0 <= card.verified_total <= 111
    if all((i.verified_level or 0) <= i.claimed_level for i in inputs):
        assert card.verified_total <= card.claimed_total
        for row in card.indicators:
            assert row.verified_points <= row.claimed_points


# --------------------------------------------------------------------------- completeness


def test_complete_submission():
    result = completeness(
        RUBRIC,
        fields={"title": True, "design": True},
        field_labels={"title": "Nama inovasi", "design": "Rancang bangun"},
        present_document_kinds={"sk", "video"},
        required_document_kinds=["sk", "video"],
        inputs=all_at(1, "pending"),
    )
    assert result.complete
    assert result.percent == 100
    assert result.missing == ()


def test_missing_field_document_and_mandatory_indicator_are_listed():
    inputs = [IndicatorInput(no=n, claimed_level=1, evidence=(ev(),)) for n in (1, 2, 17, 18)] + [
        IndicatorInput(no=20, claimed_level=2, evidence=(ev("rejected"),))
    ]
    result = completeness(
        RUBRIC,
        fields={"title": True, "design": False},
        field_labels={"title": "Nama inovasi", "design": "Rancang bangun (min. 300 kata)"},
        present_document_kinds=["sk"],
        required_document_kinds=["sk", "budget"],
        inputs=inputs,
    )
    assert not result.complete
    # 9 checks (2 fields, 2 documents, 5 mandatory indicators), 6 satisfied → 66 %
    assert result.percent == 66
    kinds = [(m.kind, m.key) for m in result.missing]
    assert kinds == [("field", "design"), ("document", "budget"), ("indicator", "indicator_20")]
    field, doc, indicator = result.missing
    assert field.label == "Rancang bangun (min. 300 kata)"
    assert doc.label == "Dokumen anggaran (DPA/RKA)"
    assert indicator.indicator == 20
    assert indicator.points == 12
    assert indicator.label == "Indikator 20 Kualitas inovasi daerah (video): belum ada bukti dukung"


def test_every_mandatory_indicator_missing_when_nothing_claimed():
    result = completeness(
        RUBRIC,
        fields={},
        field_labels={},
        present_document_kinds=(),
        required_document_kinds=(),
        inputs=[],
    )
    assert [m.indicator for m in result.missing] == [1, 2, 17, 18, 20]
    assert result.missing[0].label == "Indikator 1 Regulasi inovasi daerah: belum ada bukti dukung"
    assert result.missing[0].points == 9
    assert result.percent == 0


# --------------------------------------------------------------------------- recommendations


def test_recommendations_ranked_by_points_available():
    inputs = [
        IndicatorInput(no=20, claimed_level=2, evidence=(ev(),)),  # 4 available
        IndicatorInput(no=1, claimed_level=1, evidence=(ev(),)),  # 6 available, weight 3
        IndicatorInput(no=16, claimed_level=3, evidence=(ev(),)),  # done
        IndicatorInput(no=18, claimed_level=3, evidence=(ev("rejected"),)),  # counts as 0 → 9
    ]
    recs = recommendations(RUBRIC, inputs)
    assert 16 not in [r.indicator for r in recs]
    assert len(recs) == 19
    # 18 (w3, 9 available) first, then the weight-2 indicators at 0 (6 each) after indicator 1
    # (6 available, weight 3), then 20 (4 available) and weight-1 indicators (3 each).
    order = [r.indicator for r in recs]
    assert order[:2] == [18, 1]
    assert order[2:10] == [2, 3, 4, 6, 13, 15, 17, 19]
    assert order[10:12] == [20, 5]
    first = recs[0]
    assert (first.current_level, first.next_level, first.gain_next, first.points_available) == (
        0,
        1,
        3,
        9,
    )
    one = next(r for r in recs if r.indicator == 1)
    assert one.message == (
        "Lampirkan bukti 'SK Kepala Daerah' untuk menambah 3 poin pada indikator 1 "
        "(Regulasi inovasi daerah)"
    )


def test_full_ordering_is_points_then_weight_then_number():
    recs = recommendations(RUBRIC, [])
    keys = [(-r.points_available, -r.gain_next, r.indicator) for r in recs]
    assert keys == sorted(keys)
    assert [r.indicator for r in recs][:4] == [20, 1, 16, 18]


def test_no_recommendations_when_everything_at_level_3():
    assert recommendations(RUBRIC, all_at(3, "pending")) == []


# --------------------------------------------------------------------------- regency index


@given(st.lists(indicator_inputs, max_size=20, unique_by=lambda i: i.no))
def test_one_assessment_gives_what_the_inputs_give(inputs):
    """``assess`` (the answer's inputs validated and read once) changes no result."""
    assessed = assess(RUBRIC, inputs)
    assert scorecard(RUBRIC, assessed) == scorecard(RUBRIC, inputs)
    assert recommendations(RUBRIC, assessed) == recommendations(RUBRIC, inputs)
    kwargs = {
        "fields": {"title": True},
        "field_labels": {},
        "present_document_kinds": (),
        "required_document_kinds": (),
    }
    assert completeness(RUBRIC, inputs=assessed, **kwargs) == completeness(
        RUBRIC, inputs=inputs, **kwargs
    )


@given(st.lists(indicator_inputs, max_size=20, unique_by=lambda i: i.no))
def test_a_ranking_kept_for_its_levels_is_the_ranking_worked_out_afresh(inputs):
    """Recommendations are ranked once per combination of effective levels and reused: each
    answer is the rule applied afresh, in a list of its own."""
    assessed = assess(RUBRIC, inputs)
    expected = []
    for ind in RUBRIC.indicators:
        current = assessed.effective_claimed(ind.no)
        if current < 3:
            expected.append((ind.weight * (3 - current), ind.weight, ind.no, current))
    expected.sort(key=lambda e: (-e[0], -e[1], e[2]))
    for _ in range(2):
        got = recommendations(RUBRIC, inputs)
        assert [
            (r.points_available, r.gain_next, r.indicator, r.current_level) for r in got
        ] == expected
        got.clear()  # the caller's list: the kept ranking is not touched


def test_an_assessment_under_another_rubric_is_refused():
    with pytest.raises(ValueError, match="rubric"):
        scorecard(load_rubric(2025), assess(RUBRIC, all_at(1, "pending")))


def test_advice_is_each_rubrics_own_and_the_same_when_asked_again():
    """Recommendations are built once per (rubric, indicator, level) and reused: another rubric
    object with other level texts gets its own, and a second answer is equal to the first."""
    import msgspec

    first = recommendations(RUBRIC, [])
    assert recommendations(RUBRIC, []) == first
    ind = RUBRIC.indicators[0]
    reworded = msgspec.structs.replace(
        ind, levels=tuple(msgspec.structs.replace(lv, description="teks lain") for lv in ind.levels)
    )
    other = msgspec.structs.replace(RUBRIC, indicators=(reworded, *RUBRIC.indicators[1:]))
    mine = next(r for r in recommendations(other, []) if r.indicator == ind.no)
    theirs = next(r for r in first if r.indicator == ind.no)
    assert "teks lain" in mine.message and "teks lain" not in theirs.message
    assert next(r for r in recommendations(RUBRIC, []) if r.indicator == ind.no) == theirs
