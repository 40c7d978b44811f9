"""The innovations model's score from its folded documents equals the domain's scorecard over
every piece of evidence (the model reduces each indicator's evidence to verdict flags)."""

from __future__ import annotations

import itertools

from projections.innovation_fold import Claim, Doc, Fold
from projections.innovations import InnovationsProjection
from services.domain import scoring
from services.domain.rubric import load_rubric

VERDICTS = ("pending", "accepted", "rejected")


def _expected(fold: Fold) -> tuple[int, int]:
    """The scorecard the aggregate would compute: an indicator's evidence is its live documents
    and the live documents its claim names, each once."""
    inputs = []
    for no in sorted(set(fold.claims) | set(fold.verified)):
        claim = fold.claims.get(no)
        ids = [i for i, d in fold.documents.items() if d.indicator == no and not d.removed]
        for doc_id in claim.evidence if claim else ():
            doc = fold.documents.get(doc_id)
            if doc is not None and not doc.removed and doc_id not in ids:
                ids.append(doc_id)
        evidence = tuple(
            scoring.Evidence(doc_id=i, name="", kind="", verdict=fold.documents[i].verdict)  # type: ignore[arg-type]
            for i in ids
        )
        inputs.append(
            scoring.IndicatorInput(
                no=no,
                claimed_level=claim.level if claim else 0,
                verified_level=fold.verified.get(no),
                evidence=evidence,
            )
        )
    card = scoring.scorecard(load_rubric(fold.rubric_year), inputs)
    return card.claimed_total, card.verified_total


def test_scores_match_the_scorecard_for_every_mix_of_evidence() -> None:
    rubric = load_rubric(2025)
    numbers = [i.no for i in rubric.indicators][:3]
    projection = InnovationsProjection()
    checked = 0
    for own, named, removed, level, verified in itertools.product(
        VERDICTS, VERDICTS, (False, True), (1, 2), (None, 1)
    ):
        a, b, c = numbers
        documents = {
            "own": Doc(kind="x", indicator=a, verdict=own),
            "other": Doc(kind="y", indicator=b, verdict=named),  # another indicator's document
            "gone": Doc(kind="z", indicator=a, verdict="accepted", removed=removed),
            "loose": Doc(kind="w", indicator=None, verdict=named),
        }
        fold = Fold(
            id="i",
            rubric_year=2025,
            documents=documents,
            claims={
                a: Claim(level=level, evidence=("other", "other", "missing")),
                b: Claim(level=level),
                c: Claim(level=level, evidence=("loose", "gone")),
            },
            verified={} if verified is None else {a: verified, c: verified},
        )
        projection._derive(fold)
        assert (fold.claimed_score, fold.verified_score) == _expected(fold)
        checked += 1
    assert checked == 72
