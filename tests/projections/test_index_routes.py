"""GET /api/dashboard/index and /plan agree with the hand-worked regency for every year file.

Twelve innovations are taken through the real commands (evidence, review, approval, selection
for IGA 2025) at verified scores 95 88 82 76 70 64 60 55 50 45 40 30 (Σ 755), each claimed 5
more (Σ 815), urusan utama 1.01 1.02 1.03 1.04 1.05 1.06 2.12 2.12 3.27 2.11 1.02 2.16. SPD is
given as the what-if 37.5 (the SPD sheet is not recorded here). By hand, for every year file:
klaim 37.5 + 815/12 + 0.38 × 12 = 109.9767 → 43.99; terverifikasi 37.5 + 755/12 + 4.56 =
104.9767 → 41.99, "Inovatif" under both the 2023 and 2026 bands. Three more, all outside the
basic-service urusan, go to IGA 2031: under 2026 rules the gate fails, 37.5 + 265/12 + 0 =
59.5833 → 23.83; under 2023–2025 rules (k 10, no gate) 37.5 + 265/10 + 1.14 = 65.14 → 26.06.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import msgspec
import pytest

from services.config import load_settings
from services.domain.index_rules import available_years
from services.domain.rubric import load_rubric
from services.domain.values import DocumentKind, IndicatorVerdict
from tests.factories import MANDATORY, complete_profile, document
from tests.projections.conftest import Api, build_api

SCORES = [95, 88, 82, 76, 70, 64, 60, 55, 50, 45, 40, 30]
URUSAN = ["1.01", "1.02", "1.03", "1.04", "1.05", "1.06", "2.12", "2.12", "3.27", "2.11", "1.02", "2.16"]  # fmt: skip  # noqa: E501


def levels_for(target: int) -> dict[int, int]:
    """Indicator levels (mandatory ones at least 1) whose weighted sum is exactly ``target``."""
    rubric = load_rubric(2025)
    levels = dict.fromkeys(MANDATORY, 1)
    remaining = target - sum(rubric.indicator(no).weight for no in MANDATORY)
    for ind in sorted(rubric.indicators, key=lambda i: (-i.weight, i.no)):
        add = min(3 - levels.get(ind.no, 0), remaining // ind.weight)
        if add > 0:
            levels[ind.no] = levels.get(ind.no, 0) + add
            remaining -= add * ind.weight
    assert remaining == 0, target
    return levels


def reported(api: Api, title: str, urusan: str, verified: int, claimed: int, year: int) -> UUID:
    c, w = api.commands, api.world
    op, admin, rev = api.ctx(w.operator), api.ctx(w.admin), api.ctx(w.reviewer)
    profile = msgspec.structs.replace(complete_profile(title), urusan=urusan)
    iid = c.propose(op, call_id=w.call_id, profile=profile).id
    claim, verify = levels_for(claimed), levels_for(verified)
    for no in sorted(set(claim) | set(verify)):
        doc = document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, indicator=no)
        c.attach_document(op, iid, doc)
        c.claim_indicator(op, iid, no=no, level=claim.get(no, 0), evidence=[doc.doc_id])
    c.submit(op, iid)
    assert w.reviewer.account_id is not None
    c.assign_reviewer(admin, iid, w.reviewer.account_id)
    for state in list(c.innovation(iid).documents.values()):
        c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="sah")
    verdicts = [IndicatorVerdict(no=no, level=verify.get(no, 0)) for no in sorted(set(claim) | set(verify))]  # fmt: skip  # noqa: E501
    c.score(rev, iid, verdicts)
    c.approve(admin, iid, note="layak")
    c.select_for_iga(admin, iid, year)
    return iid


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = load_settings(env={}, data_dir=str(tmp_path_factory.mktemp("index") / "data"))
    yield from build_api(settings)


@pytest.fixture(scope="module")
def ids(api: Api) -> dict[str, UUID]:
    found = {
        f"i{n:02d}": reported(api, f"Inovasi {n:02d}", URUSAN[n], score, score + 5, 2025)
        for n, score in enumerate(SCORES)
    }
    for n, score in enumerate(SCORES[:3]):
        found[f"g{n}"] = reported(api, f"Gerbang {n}", "2.12", score, score, 2031)
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), timeout=30)
    return found


@pytest.mark.parametrize("year", available_years())
def test_index_agrees_with_the_hand_worked_regency(
    api: Api, ids: dict[str, UUID], year: int
) -> None:
    response = api.get(f"/api/dashboard/index?year=2025&rubric={year}&spd=37.5", "auditor")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["index_year"] == year and body["what_if"] and body["spd_source"] == "request"
    claimed, verified = body["index"]["claimed"], body["index"]["verified"]
    assert (claimed["n"], claimed["divisor"], claimed["value"]) == (12, 12, 43.99)
    assert (verified["sid_sum"], verified["count_score"], verified["value"]) == (755, 4.56, 41.99)
    assert verified["band"] == "Inovatif"
    assert (verified["spd_max"], verified["sid_max"], verified["count_max"]) == (63, 111, 76)
    assert verified["max_total"] == 250
    assert sorted(verified["counted"]) == sorted(str(i) for k, i in ids.items() if k[0] == "i")
    assert verified["gate"]["met"]

    gate = api.get(f"/api/dashboard/index?year=2031&rubric={year}&spd=37.5", "admin").json()
    expected = 23.83 if year == 2026 else 26.06
    assert gate["index"]["verified"]["value"] == expected
    assert gate["index"]["verified"]["gate"]["met"] == (year != 2026)


def test_index_defaults_to_the_years_rules_and_no_spd(api: Api, ids: dict[str, UUID]) -> None:
    body = api.get("/api/dashboard/index?year=2025", "admin").json()
    assert body["index_year"] == 2025 and not body["what_if"]
    assert body["spd_source"] == "none" and not body["index"]["spd_recorded"]
    assert body["index"]["verified"]["spd_score"] == 0
    assert "bands" in body["rules"]["perkiraan"]  # 2025 bands are unconfirmed


def test_index_refuses_bad_input(api: Api, ids: dict[str, UUID]) -> None:
    response = api.get("/api/dashboard/index?year=2025&rubric=2019", "admin")
    assert response.status_code == 400
    assert "tersedia" in response.json()["detail"]
    assert api.get("/api/dashboard/index?year=2025&spd=64", "admin").status_code == 400
    assert api.get("/api/dashboard/index", "op.dukcapil").status_code == 403


def test_plan_reports_every_innovation_that_raises_the_index(
    api: Api, ids: dict[str, UUID]
) -> None:
    response = api.get("/api/dashboard/index/plan?year=2025&rubric=2026&spd=37.5", "admin")
    assert response.status_code == 200, response.text
    plan: dict[str, Any] = response.json()["plan"]
    assert len(plan["chosen"]) == 12 and plan["best"]["value"] == 41.99
    weakest = next(i for i in plan["items"] if i["id"] == str(ids["i11"]))
    assert weakest["include"] and weakest["value_without"] < weakest["value_with"] == 41.99
    assert api.get("/api/dashboard/index/plan", "op.dukcapil").status_code == 403


def test_state_and_scorecard_under_another_years_rubric(api: Api, ids: dict[str, UUID]) -> None:
    iid = ids["i00"]
    own = api.get(f"/api/innovations/{iid}", "admin").json()
    assert own["scorecard"]["rubric_year"] == 2025
    what_if = api.get(f"/api/innovations/{iid}?rubric=2026", "admin")
    assert what_if.status_code == 200, what_if.text
    card = what_if.json()["scorecard"]
    assert card["rubric_year"] == 2026 and card["verified_total"] == 95  # same weights in 2026
    assert what_if.headers["etag"] != api.get(f"/api/innovations/{iid}", "admin").headers["etag"]
    state = api.get(f"/api/innovations/{iid}/state?rubric=2026", "auditor")
    assert state.status_code == 200, state.text
    assert state.json()["rubric_year"] == 2026
    assert state.json()["state"]["scorecard"]["rubric_year"] == 2026
    for url in (f"/api/innovations/{iid}?rubric=2019", f"/api/innovations/{iid}/state?rubric=2019"):
        bad = api.get(url, "auditor" if "state" in url else "admin")
        assert bad.status_code == 400 and "tersedia" in bad.json()["detail"]


def test_scores_are_recomputed_when_the_target_rubric_weighs_differently(
    api: Api, ids: dict[str, UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections import regency
    from services.domain.index_rules import rules_for

    assert regency.rescorer(api.commands)(str(ids["i00"]), 2026) == (100.0, 95.0)
    monkeypatch.setattr(regency, "_same_weights", lambda a, b: False)  # as a future rubric would
    inputs = regency.index_inputs(
        api.runtime.db, 2025, rules_for(2026), lambda iid, year: (11.0, 10.0)
    )
    assert {i.verified_score for i in inputs.reported} == {10.0}
    with pytest.raises(ValueError):
        regency.index_inputs(api.runtime.db, 2025, rules_for(2026), None)
