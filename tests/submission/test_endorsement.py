"""The head's endorsement over HTTP: a call opened through the API requires it for OPD
innovations; submitting without it is a problem naming the head; the head endorses with their own
account, or the operator records the signed letter; heads of other organisations are refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.commands import account_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.identity.passwords import hash_password
from tests.submission.conftest import PASSWORD, Api, profile_json
from tests.submission.test_bad_input import assert_problem


@pytest.fixture(scope="module")
def endorsing_call(api: Api) -> str:
    """An annual call opened by the admin through the API (the rule is on by default), and a
    head for each of the two organisations."""
    world = api.world
    system = Context(actor=Actor.system())
    for username, org in (("kepala.dukcapil", world.opd_id), ("kepala.dinkes", world.other_opd_id)):
        world._account(system, username, Role.KEPALA_OPD, org)
        api.runtime.commands.reset_password(
            system, account_id_for(username), hash_password(PASSWORD)
        )
    body = {
        "kind": "annual",
        "title": "Inovasi Daerah 2025 Tahap II",
        "budget_year": 2025,
        "opens_at": (world.now - timedelta(days=1)).isoformat(),
        "deadline": (world.now + timedelta(days=20)).isoformat(),
        "eligible_kinds": ["opd"],
        "rubric_year": 2025,
        "required_documents": ["sk"],
    }
    opened = api.call("POST", "/api/calls", as_="admin", json=body)
    assert opened.status_code == 201, opened.text
    assert opened.json()["requires_endorsement"] is True
    return str(opened.json()["id"])


def _draft(api: Api, call_id: str, title: str) -> str:
    created = api.call(
        "POST", "/api/innovations", json={"profile": profile_json(title), "call_id": call_id}
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _ready(api: Api, call_id: str, title: str) -> str:
    iid = _draft(api, call_id, title)
    api.complete(iid)
    return iid


def test_submitting_unendorsed_is_refused_naming_the_head(api: Api, endorsing_call: str) -> None:
    iid = _ready(api, endorsing_call, "Adminduk Tanpa Pengesahan")
    before = api.max_notification_id()
    refused = api.call("POST", f"/api/innovations/{iid}/submit")
    body = assert_problem(refused, 422, "endorsement-required")
    assert "Kepala Dinas Dukcapil harus mengesahkan" in body["detail"]
    assert api.max_notification_id() == before
    assert api.call("GET", f"/api/innovations/{iid}").json()["status"] == "draft"


def test_the_head_endorses_and_the_operator_submits(api: Api, endorsing_call: str) -> None:
    iid = _ready(api, endorsing_call, "Adminduk Disahkan Kepala")
    seen = api.call("GET", f"/api/innovations/{iid}", as_="kepala.dukcapil")
    assert seen.status_code == 200, seen.text
    assert seen.json()["allowed_commands"] == ["endorse"]
    assert seen.json()["call"]["requires_endorsement"] is True
    # The head of another organisation does not even see it.
    other = api.call("POST", f"/api/innovations/{iid}/endorse", as_="kepala.dinkes", json={})
    assert_problem(other, 404)
    done = api.call(
        "POST",
        f"/api/innovations/{iid}/endorse",
        as_="kepala.dukcapil",
        json={"note": "Layak diajukan"},
    )
    assert done.status_code == 200, done.text
    endorsement = done.json()["endorsement"]
    assert endorsement["endorser_name"] == "Kepala Dukcapil" and not endorsement["by_letter"]
    again = api.call("POST", f"/api/innovations/{iid}/endorse", as_="kepala.dukcapil", json={})
    assert "sudah disahkan" in assert_problem(again, 422, "invalid-value")["detail"]
    submitted = api.call("POST", f"/api/innovations/{iid}/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted"


def test_operator_records_the_signed_letter(api: Api, endorsing_call: str) -> None:
    iid = _ready(api, endorsing_call, "Adminduk dengan Surat Pengesahan")
    no_letter = api.call("POST", f"/api/innovations/{iid}/endorse", json={"endorser_name": "X"})
    assert "surat pengesahan" in assert_problem(no_letter, 422, "invalid-value")["detail"]
    up = api.upload(iid, kind="endorsement", filename="surat-pengesahan.pdf")
    assert up.status_code == 201, up.text
    letter = up.json()["document"]["doc_id"]
    recorded = api.call(
        "POST",
        f"/api/innovations/{iid}/endorse",
        json={"endorser_name": "Drs. Bambang Sutrisno, M.Si.", "letter_doc_id": letter},
    )
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["endorsement"]["by_letter"] is True
    assert recorded.json()["endorsement"]["letter_doc_id"] == letter
    assert api.call("POST", f"/api/innovations/{iid}/submit").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"endorser_name": "x" * 1000},
        {"letter_doc_id": "bukan-uuid"},
        {"note": 5},
        {"unknown": 1},
    ],
)
def test_bad_bodies_are_400_problems(api: Api, endorsing_call: str, body: Any) -> None:
    iid = _draft(api, endorsing_call, "Draf Uji Masukan Pengesahan")
    before = api.max_notification_id()
    assert_problem(api.call("POST", f"/api/innovations/{iid}/endorse", json=body), 400)
    assert api.max_notification_id() == before


def test_auditor_and_reviewer_may_not_endorse(api: Api, endorsing_call: str) -> None:
    iid = _draft(api, endorsing_call, "Draf Uji Peran Pengesahan")
    for who in ("auditor", "rev.satu", "admin"):
        assert_problem(api.call("POST", f"/api/innovations/{iid}/endorse", as_=who, json={}), 403)
