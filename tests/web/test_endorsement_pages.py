"""The endorsement on the pages over HTTP (no browser): the operator records the head's signed
letter; bad input is a readable message on the page that changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from services.domain.values import CallKind, DocumentKind
from tests.factories import MANDATORY, complete_profile
from tests.web.test_pages import HTML, last_event, login
from tests.web.world import WebWorld


@pytest.fixture(scope="module")
def endorsing_call(web_world: WebWorld) -> UUID:
    return web_world.runtime.commands.open_call(
        web_world.ctx(web_world.admin),
        kind=CallKind.ANNUAL,
        title="Inovasi Daerah (wajib pengesahan)",
        budget_year=web_world.now.year,
        opens_at=web_world.now - timedelta(days=3),
        deadline=web_world.now + timedelta(days=30),
        eligible_kinds=("opd",),
        rubric_year=2025,
        required_documents=("sk",),
        requires_endorsement=True,
    ).id


def _draft_with_letter(world: WebWorld, call_id: UUID) -> tuple[UUID, UUID]:
    c = world.runtime.commands
    op = world.ctx(world.operator)
    iid = c.propose(op, call_id=call_id, profile=complete_profile("Adminduk Bersurat")).id
    for no in MANDATORY:
        doc = world.pdf(DocumentKind.SK if no == 1 else DocumentKind.REPORT, no)
        c.attach_document(op, iid, doc)
        c.claim_indicator(op, iid, no=no, level=3, evidence=[doc.doc_id])
    letter = world.pdf(DocumentKind.ENDORSEMENT, None)
    c.attach_document(op, iid, letter)
    return iid, letter.doc_id


def test_operator_records_the_letter_on_the_page(
    client: Any, web_world: WebWorld, endorsing_call: UUID
) -> None:
    iid, letter = _draft_with_letter(web_world, endorsing_call)
    token = login(client, "op.dukcapil")
    page = client.get(f"/inovasi/{iid}", headers=HTML)
    assert "Kepala Dinas Dukcapil harus mengesahkan" in page.text
    assert "Catat surat pengesahan" in page.text
    version = str(web_world.runtime.commands.innovation(iid).version)
    before = last_event(web_world)
    for bad, message in (
        ({"letter_doc_id": "bukan-id", "endorser_name": "Drs. Heru"}, "tidak dikenal"),
        ({"letter_doc_id": str(letter), "endorser_name": "x" * 201}, "paling banyak 200"),
        ({"letter_doc_id": str(letter), "endorser_name": " "}, "Nama kepala perangkat daerah"),
    ):
        refused = client.post(
            f"/inovasi/{iid}/sahkan",
            data={"_csrf_token": token, "version": version, **bad},
            headers=HTML,
        )
        assert refused.status_code == 422, refused.text
        assert message in refused.text
    assert last_event(web_world) == before
    done = client.post(
        f"/inovasi/{iid}/sahkan",
        data={
            "_csrf_token": token,
            "version": version,
            "letter_doc_id": str(letter),
            "endorser_name": "Drs. Heru Santoso",
        },
        headers=HTML,
    )
    assert done.status_code == 200, done.text  # followed the redirect
    assert "Pengesahan kepala perangkat daerah tercatat" in done.text
    assert "melalui surat pengesahan yang diunggah operator" in done.text
    endorsement = web_world.runtime.commands.innovation(iid).endorsement
    assert endorsement is not None and endorsement.by_letter


def test_another_organisations_operator_cannot_endorse(
    client: Any, web_world: WebWorld, endorsing_call: UUID
) -> None:
    iid, letter = _draft_with_letter(web_world, endorsing_call)
    token = login(client, "op.dinkes")
    before = last_event(web_world)
    refused = client.post(
        f"/inovasi/{iid}/sahkan",
        data={"_csrf_token": token, "letter_doc_id": str(letter), "endorser_name": "X"},
        headers=HTML,
    )
    assert refused.status_code == 404
    assert last_event(web_world) == before
