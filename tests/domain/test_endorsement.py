"""The head's endorsement (pengesahan) on the pure domain: who may endorse, how the operator
records the signed letter, and that a call requiring it refuses submission without it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import Call
from services.domain.errors import EndorsementRequired, IllegalTransition, InvalidValue, NotAllowed
from services.domain.events import Endorsed, Submitted
from services.domain.innovation import Innovation
from services.domain.lifecycle import Status
from services.domain.rubric import load_rubric
from services.domain.values import CallKind, DocumentKind
from tests.factories import MANDATORY, complete_profile, document

RUBRIC = load_rubric(2025)
NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)
ORG, OTHER_ORG = uuid4(), uuid4()
OPERATOR = Actor(uuid4(), Role.OPERATOR, ORG)
HEAD = Actor(uuid4(), Role.KEPALA_OPD, ORG)
OTHER_HEAD = Actor(uuid4(), Role.KEPALA_OPD, OTHER_ORG)
ADMIN = Actor(uuid4(), Role.ADMIN, uuid4())


def ctx(actor: Actor) -> Context:
    return Context(actor=actor, correlation_id=str(uuid4()), now=NOW)


def call(requires_endorsement: bool) -> Call:
    return Call.open(
        Context(actor=ADMIN, now=NOW - timedelta(days=40)),
        uuid4(),
        kind=CallKind.ANNUAL,
        title="Inovasi Daerah 2025",
        budget_year=2025,
        opens_at=NOW - timedelta(days=30),
        deadline=NOW + timedelta(days=30),
        eligible_kinds=("opd",),
        rubric_year=2025,
        required_documents=("sk",),
        requires_endorsement=requires_endorsement,
    )


def ready(c: Call) -> Innovation:
    inn = Innovation.propose(
        ctx(OPERATOR),
        uuid4(),
        call=c,
        organisation_id=ORG,
        submitter_kind="opd",
        profile=complete_profile(),
    )
    for no in MANDATORY:
        doc = document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, indicator=no)
        inn.attach_document(ctx(OPERATOR), doc, RUBRIC)
        inn.claim_indicator(ctx(OPERATOR), RUBRIC, no=no, level=3, evidence=[doc.doc_id])
    return inn


def test_submitting_without_endorsement_names_who_must_endorse() -> None:
    inn = ready(call(True))
    before = len(inn.pending_events)
    with pytest.raises(EndorsementRequired) as refused:
        inn.submit(ctx(OPERATOR), call(True), RUBRIC, head="Kepala Dinas Dukcapil")
    assert "Kepala Dinas Dukcapil harus mengesahkan" in refused.value.message
    assert refused.value.details["endorser"] == "Kepala Dinas Dukcapil"
    assert len(inn.pending_events) == before and inn.status == Status.DRAFT


def test_the_head_endorses_then_the_operator_submits() -> None:
    c = call(True)
    inn = ready(c)
    inn.endorse(ctx(HEAD), endorser_name="Dr. Siti Rahayu", note="Disetujui untuk diajukan")
    event = inn.pending_events[-1]
    assert isinstance(event, Endorsed) and not event.by_letter and event.letter_doc_id is None
    assert inn.endorsement is not None and inn.endorsement.endorser_name == "Dr. Siti Rahayu"
    inn.submit(ctx(OPERATOR), c, RUBRIC, head="Kepala Dinas Dukcapil")
    assert isinstance(inn.pending_events[-1], Submitted)
    replayed = Innovation.replay(inn.pending_events)
    assert replayed is not None and replayed.endorsement == inn.endorsement


def test_a_call_without_the_rule_submits_unendorsed() -> None:
    c = call(False)
    inn = ready(c)
    inn.submit(ctx(OPERATOR), c, RUBRIC)
    assert inn.status == Status.SUBMITTED


def test_head_of_another_organisation_may_not_endorse() -> None:
    inn = ready(call(True))
    with pytest.raises(NotAllowed, match="organisasinya sendiri"):
        inn.endorse(ctx(OTHER_HEAD), endorser_name="Kepala Lain")
    assert inn.endorsement is None


def test_operator_records_the_signed_letter_and_removing_it_lifts_the_endorsement() -> None:
    c = call(True)
    inn = ready(c)
    with pytest.raises(InvalidValue, match="surat pengesahan"):
        inn.endorse(ctx(OPERATOR), endorser_name="Dr. Siti Rahayu")
    sk = next(iter(inn.documents))
    with pytest.raises(InvalidValue, match="bukan surat pengesahan"):
        inn.endorse(ctx(OPERATOR), endorser_name="Dr. Siti Rahayu", letter_doc_id=sk)
    letter = document(DocumentKind.ENDORSEMENT)
    inn.attach_document(ctx(OPERATOR), letter, RUBRIC)
    with pytest.raises(InvalidValue, match="Nama kepala"):
        inn.endorse(ctx(OPERATOR), endorser_name="  ", letter_doc_id=letter.doc_id)
    inn.endorse(ctx(OPERATOR), endorser_name="Dr. Siti Rahayu", letter_doc_id=letter.doc_id)
    assert inn.endorsement is not None and inn.endorsement.by_letter
    with pytest.raises(InvalidValue, match="sudah disahkan"):
        inn.endorse(ctx(HEAD), endorser_name="Dr. Siti Rahayu")
    inn.remove_document(ctx(OPERATOR), letter.doc_id, "salah unggah")
    assert inn.endorsement is None
    with pytest.raises(EndorsementRequired):
        inn.submit(ctx(OPERATOR), c, RUBRIC)


def test_endorsement_only_on_a_draft_and_never_by_the_admin() -> None:
    c = call(True)
    inn = ready(c)
    with pytest.raises(IllegalTransition):
        inn.endorse(ctx(ADMIN), endorser_name="Admin")
    inn.endorse(ctx(HEAD), endorser_name="Dr. Siti Rahayu")
    inn.submit(ctx(OPERATOR), c, RUBRIC)
    with pytest.raises(IllegalTransition):
        inn.endorse(ctx(HEAD), endorser_name="Dr. Siti Rahayu")
