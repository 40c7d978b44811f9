"""The ministry's verdicts on a reported innovation and "bawa ke tahun berikutnya" (issue 18)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import msgspec
import pytest

from services.domain.actor import Actor
from services.domain.call import Call
from services.domain.errors import IllegalTransition, InvalidValue, NotAllowed
from services.domain.events import CarriedForward, DocumentAttached, Proposed
from services.domain.innovation import Innovation
from services.domain.innovation_views import to_state
from services.domain.lifecycle import Status
from services.domain.ministry import (
    MinistryVerdict,
    eligibility_window,
    max_entries,
    parse_verdict,
)
from services.domain.values import CallKind
from tests.domain.test_innovation import (
    ADMIN,
    NOW,
    OPERATOR,
    OTHER_OPERATOR,
    RUBRIC,
    ctx,
    scored,
)

A = MinistryVerdict


def reported(implementation: date = date(2024, 9, 1)) -> Innovation:
    innovation = scored()
    innovation.profile = msgspec.structs.replace(
        innovation.profile, implementation_date=implementation, trial_date=date(2024, 3, 1)
    )
    innovation.approve(ctx(ADMIN), RUBRIC)
    innovation.select_for_iga(ctx(ADMIN), 2025)
    innovation.report_to_iga(ctx(ADMIN), year=2025, report_id=uuid4())
    assert innovation.status == Status.REPORTED_TO_IGA
    return innovation


def test_verdict_words_of_the_download_are_understood() -> None:
    assert parse_verdict("Diterima") == A.ACCEPTED
    assert parse_verdict("TIDAK LOLOS") == A.REJECTED
    assert parse_verdict("field visit") == A.FIELD_VISIT
    assert parse_verdict("Juara") == A.AWARD
    assert parse_verdict("mungkin") is None


def test_verdicts_are_recorded_in_order_and_the_latest_is_what_the_index_reads() -> None:
    innovation = reported()
    innovation.record_ministry_verdict(ctx(ADMIN), year=2025, verdict=A.ACCEPTED)
    innovation.record_ministry_verdict(ctx(ADMIN), year=2025, verdict=A.NOMINATED)
    innovation.record_ministry_verdict(
        ctx(ADMIN), year=2025, verdict=A.AWARD, note="Kabupaten Sangat Inovatif"
    )
    assert innovation.ministry_verdict == A.AWARD
    assert [v.verdict for v in innovation.ministry_verdicts] == [A.ACCEPTED, A.NOMINATED, A.AWARD]
    assert innovation.status == Status.REPORTED_TO_IGA  # the workflow status does not move
    replayed = Innovation.replay(innovation.pending_events)
    assert replayed is not None and replayed.ministry_verdict == A.AWARD
    state = to_state(innovation, RUBRIC, None)
    assert state.ministry_verdict == A.AWARD and len(state.ministry_verdicts) == 3


def test_verdict_rules() -> None:
    innovation = reported()
    with pytest.raises(InvalidValue, match="Alasan penolakan"):
        innovation.record_ministry_verdict(ctx(ADMIN), year=2025, verdict=A.REJECTED)
    with pytest.raises(InvalidValue, match="bukan 2026"):
        innovation.record_ministry_verdict(ctx(ADMIN), year=2026, verdict=A.ACCEPTED)
    with pytest.raises(InvalidValue, match="sudah diterima"):
        innovation.record_ministry_verdict(ctx(ADMIN), year=2025, verdict=A.NOMINATED)
    innovation.record_ministry_verdict(
        ctx(ADMIN), year=2025, verdict=A.REJECTED, reason="Di luar periode"
    )
    with pytest.raises(InvalidValue, match="sudah tercatat"):
        innovation.record_ministry_verdict(
            ctx(ADMIN), year=2025, verdict=A.REJECTED, reason="Di luar periode"
        )
    with pytest.raises(IllegalTransition):
        innovation.record_ministry_verdict(ctx(OPERATOR), year=2025, verdict=A.ACCEPTED)
    with pytest.raises(IllegalTransition):  # only once reported
        scored().record_ministry_verdict(ctx(ADMIN), year=2025, verdict=A.ACCEPTED)


def next_call(year: int = 2026, opens: bool = True) -> Call:
    return Call.open(
        ctx(ADMIN, NOW - timedelta(days=40)),
        uuid4(),
        kind=CallKind.ANNUAL,
        title=f"Inovasi Daerah {year}",
        budget_year=year,
        opens_at=NOW - timedelta(days=30) if opens else NOW + timedelta(days=30),
        deadline=NOW + timedelta(days=60),
        eligible_kinds=("opd",),
        rubric_year=2025,
    )


def carry(source: Innovation, call: Call, actor: Actor = OPERATOR) -> Innovation:
    return source.carry_forward(
        ctx(actor),
        to_id=uuid4(),
        call=call,
        submitter_kind="opd",
        rubric=RUBRIC,
        window=eligibility_window(call.budget_year),
        max_entries=max_entries(),
    )


def test_carry_forward_makes_a_linked_draft_with_the_profile_and_the_same_files() -> None:
    source = reported()
    call = next_call()
    draft = carry(source, call)
    assert draft.status == Status.DRAFT and draft.budget_year == 2026
    assert draft.carried_from == source.id and draft.entry_no == 2
    assert draft.organisation_id == source.organisation_id
    assert draft.profile == source.profile
    first = draft.pending_events[0]
    assert isinstance(first, Proposed) and first.carried_from == source.id
    copied = [e.document for e in draft.pending_events if isinstance(e, DocumentAttached)]
    live = [d.document for d in source.documents.values() if not d.removed]
    assert sorted(d.sha256 for d in copied) == sorted(d.sha256 for d in live)
    assert not {d.doc_id for d in copied} & {d.doc_id for d in live}
    last = source.pending_events[-1]
    assert isinstance(last, CarriedForward) and last.to_id == draft.id and last.to_year == 2026
    assert source.status == Status.REPORTED_TO_IGA
    with pytest.raises(InvalidValue, match="sudah dibawa ke tahun 2026"):
        carry(source, call)


def test_carry_forward_is_refused_outside_the_window_the_limit_and_other_organisations() -> None:
    # 2026 window (data file): first implementation 1 Jan 2024 – 31 Dec 2025.
    with pytest.raises(InvalidValue, match="di luar jendela IGA 2026"):
        carry(reported(implementation=date(2023, 12, 31)), next_call())
    with pytest.raises(InvalidValue, match="harus setelah tahun"):
        carry(reported(), next_call(2025))
    with pytest.raises(NotAllowed):
        carry(reported(), next_call(), actor=OTHER_OPERATOR)
    draft = carry(reported(), next_call(), actor=ADMIN)
    assert draft.entry_no == 2 and max_entries() == 2
    draft.entry_no = 2  # a third entry of the same innovation is refused (max two)
    draft.status = Status.APPROVED
    with pytest.raises(InvalidValue, match="paling banyak diikutkan 2 kali"):
        carry(draft, next_call(2027))


def test_a_window_not_in_the_data_file_is_the_conservative_default() -> None:
    window = eligibility_window(2030)
    assert (window.start, window.end) == (date(2028, 1, 1), date(2029, 12, 31))
    assert "konservatif" in window.name
