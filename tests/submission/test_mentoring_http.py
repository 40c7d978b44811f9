"""Pendampingan over HTTP on real PostgreSQL: the admin assigns a mentor, the mentor records a
session with follow-ups, operator and mentor both see it, the operator closes a follow-up;
refusals are problem JSON in Bahasa Indonesia and record nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from services.commands import account_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import jakarta_today
from services.identity.passwords import hash_password
from tests.submission.conftest import PASSWORD, Api
from tests.submission.test_bad_input import assert_problem


@pytest.fixture(scope="module")
def mentors(api: Api) -> dict[str, str]:
    system = Context(actor=Actor.system())
    api.world._account(system, "pendamping.unis", Role.MENTOR, None)
    api.world._account(system, "pendamping.lain", Role.MENTOR, None)
    hashed = hash_password(PASSWORD)
    for username in ("pendamping.unis", "pendamping.lain"):
        api.runtime.commands.reset_password(system, account_id_for(username), hashed)
    return {u: str(account_id_for(u)) for u in ("pendamping.unis", "pendamping.lain")}


def _session(**overrides: Any) -> dict[str, Any]:
    return {
        "held_on": (jakarta_today() - timedelta(days=2)).isoformat(),
        "mode": "klinik",
        "attendees": ["Operator Dukcapil", "Pendamping Unis"],
        "topics": ["Rancang bangun", "Bukti indikator Bimtek"],
        "notes": "Rancang bangun perlu data sebelum dan sesudah.",
        "indicators": [5],
        "follow_ups": [
            {"text": "Lengkapi data sebelum-sesudah", "due": jakarta_today().isoformat()}
        ],
        **overrides,
    }


def test_mentor_records_and_the_organisation_follows_up(api: Api, mentors: dict[str, str]) -> None:
    iid = api.propose("Adminduk Didampingi")["id"]
    url = f"/api/innovations/{iid}/mentoring"
    empty = api.call("GET", url)
    assert empty.status_code == 200 and empty.json()["sessions"] == []
    assigned = api.call(
        "POST", f"{url}/mentors", as_="admin", json={"mentor_id": mentors["pendamping.unis"]}
    )
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["mentors"][0]["name"] == "Pendamping Unis"
    recorded = api.call("POST", f"{url}/sessions", as_="pendamping.unis", json=_session())
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert body["open_follow_ups"] == 1 and body["sessions"][0]["mode_label"] == "Klinik inovasi"
    # Operator and mentor see the same record; the other organisation and mentor do not.
    assert api.call("GET", url).json() == api.call("GET", url, as_="pendamping.unis").json()
    assert_problem(api.call("GET", url, as_="op.dinkes"), 404)
    assert_problem(api.call("GET", url, as_="pendamping.lain"), 404)
    follow_up = body["sessions"][0]["follow_ups"][0]["id"]
    done = api.call(
        "POST", f"{url}/follow-ups/{follow_up}/done", json={"note": "Data sudah ditambahkan"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["open_follow_ups"] == 0
    again = api.call("POST", f"{url}/follow-ups/{follow_up}/done", json={})
    assert "sudah selesai" in assert_problem(again, 422, "invalid-value")["detail"]


@pytest.mark.parametrize(
    ("who", "body", "status", "words"),
    [
        ("pendamping.unis", _session(held_on="2999-01-01"), 422, "masa depan"),
        ("pendamping.unis", _session(indicators=[77]), 422, "Indikator tidak ada"),
        ("pendamping.unis", _session(mode="rapat"), 400, None),
        ("pendamping.unis", _session(attendees=[]), 400, None),
        ("pendamping.unis", _session(topics=["x" * 300]), 400, None),
        ("pendamping.unis", {**_session(), "extra": 1}, 400, None),
        ("op.dukcapil", _session(), 403, "record_session"),
    ],
)
def test_bad_sessions_are_problems_that_record_nothing(
    api: Api, mentors: dict[str, str], who: str, body: dict, status: int, words: str | None
) -> None:
    iid = api.propose("Adminduk Sesi Buruk")["id"]
    url = f"/api/innovations/{iid}/mentoring"
    api.call("POST", f"{url}/mentors", as_="admin", json={"mentor_id": mentors["pendamping.unis"]})
    before = api.max_notification_id()
    problem = assert_problem(api.call("POST", f"{url}/sessions", as_=who, json=body), status)
    if words:
        assert words in problem["detail"]
    assert api.max_notification_id() == before


def test_only_the_admin_assigns_a_mentor_account(api: Api, mentors: dict[str, str]) -> None:
    iid = api.propose("Adminduk Penugasan")["id"]
    url = f"/api/innovations/{iid}/mentoring/mentors"
    refused = api.call("POST", url, json={"mentor_id": mentors["pendamping.unis"]})
    assert_problem(refused, 403)
    operator = str(account_id_for("op.dinkes"))
    wrong = api.call("POST", url, as_="admin", json={"mentor_id": operator})
    assert "Pendamping harus" in assert_problem(wrong, 422)["detail"]
