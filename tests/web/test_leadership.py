"""The leadership view over HTTP (no browser), on SQLite and PostgreSQL: the summary API and its
refusals, the /pimpinan page and the pages its figures link to, the one-page PDF read back
with pypdf, and that leadership reads record nothing while every write it tries is 403."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from projections.queries.index import index_dashboard
from projections.regency import rescorer
from services.web.pages.rendering import angka
from tests.web.leaders import SPD_ROW, Leaders
from tests.web.test_pages import HTML, last_event, login
from tests.web.world import PASSWORD, WebWorld

API = "/api/leadership/summary"


@pytest.fixture(scope="module")
def leaders(web_world: WebWorld) -> Leaders:
    return Leaders(web_world)


def bearer(client: Any, username: str) -> dict[str, str]:
    client.cookies.clear()
    answer = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()  # bearer only: no cookie session, so no CSRF
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()  # type: ignore[no-any-return]


def test_the_summary_reads_every_section_from_its_own_query(client: Any, leaders: Leaders) -> None:
    runtime, year = leaders.world.runtime, leaders.year
    before = last_event(leaders.world)
    answer = client.get(API, params={"year": year}, headers=bearer(client, "bupati"))
    assert answer.status_code == 200, answer.text
    assert "X-Read-Position" in answer.headers
    s = answer.json()
    board = index_dashboard(runtime.db, year, rescore=rescorer(runtime.commands))
    assert s["index"]["verified"] == board.index.verified.value > 0  # the verified SPD row
    assert s["index"]["claimed"] == board.index.claimed.value
    assert s["previous_index"]["year"] == year - 1
    assert s["index_change"] == round(s["index"]["verified"] - s["previous_index"]["verified"], 2)
    spd = {c["code"]: c["count"] for c in s["spd"]["by_status"]}
    assert s["spd"]["recorded"] and spd["diterima"] == 1 and sum(spd.values()) == s["spd"]["rows"]
    assert s["innovations"]["total"] == sum(board.by_status.values())
    assert {c["code"]: c["count"] for c in s["innovations"]["by_status"]} == board.by_status
    without = {o["name"] for o in s["compliance"]["without_proposal"]}
    assert "Dinas Kesehatan" in without and "Dinas Dukcapil" not in without
    research = s["research"]
    assert research["proposals"] == 1 and research["by_status"][0]["code"] == "submitted"
    assert research["agenda_status_label"] == "Rancangan"  # a theme set: the agenda is a draft
    monev = s["monev"]
    assert monev["visits_overdue"] == 1 and monev["overdue"][0]["days_late"] == 6
    assert monev["overdue"][0]["title"] == "Posyandu Digital Dipantau"
    assert monev["recommendations"] == [{"code": "perbaiki", "label": "Perbaiki", "count": 1}]
    mentoring = s["mentoring"]
    assert mentoring["follow_ups_overdue"] == 1 and mentoring["follow_ups_open"] == 1
    assert mentoring["overdue"][0]["text"] == leaders.follow_up
    assert last_event(leaders.world) == before  # reading records nothing


def test_who_may_read_the_summary(client: Any, leaders: Leaders) -> None:
    for username in ("bupati", "kepala.bappeda", "admin", "verifikator"):
        assert client.get(API, headers=bearer(client, username)).status_code == 200, username
    for username in ("op.dukcapil", "auditor", "peserta"):
        refused = problem(client.get(API, headers=bearer(client, username)), 403)
        assert "Pimpinan Daerah" in refused["detail"], refused  # names who may
    client.cookies.clear()
    problem(client.get(API), 401)


@pytest.mark.parametrize("year", ["1999", "2101", "dua ribu", "2026.5"])
def test_a_bad_year_is_a_problem_in_indonesian(client: Any, leaders: Leaders, year: str) -> None:
    refused = problem(client.get(API, params={"year": year}, headers=bearer(client, "bupati")), 400)
    assert "year" in str(refused)


def test_every_write_leadership_tries_is_403_and_records_nothing(
    client: Any, leaders: Leaders
) -> None:
    w, year, iid, pid = leaders.world, leaders.year, leaders.innovation, leaders.proposal
    auth = bearer(client, "bupati")
    before = last_event(w)
    session = {"held_on": "2025-01-15", "mode": "klinik", "attendees": ["A"], "topics": ["B"]}
    account = {
        "username": "bupati.dua",
        "full_name": "Bupati Dua",
        "email": "bupati.dua@sragenkab.go.id",
        "role": "admin",
        "password": "kata-sandi-uji-123",
    }
    call = {
        "kind": "annual",
        "title": "Panggilan Bupati",
        "budget_year": year,
        "opens_at": f"{year}-01-02T08:00:00+07:00",
        "deadline": f"{year}-12-31T23:59:00+07:00",
        "eligible_kinds": ["opd"],
        "rubric_year": 2025,
    }
    writes = [  # valid bodies: only the role stands in the way
        ("POST", "/api/innovations", {"profile": {"title": "Usulan Bupati"}}),
        ("POST", f"/api/innovations/{iid}/publish", None),
        ("POST", f"/api/innovations/{iid}/monev/visits", {"due_on": "2099-01-15", "kind": "rapat"}),
        ("POST", f"/api/innovations/{iid}/mentoring/sessions", session),
        ("PUT", f"/api/spd/{year}/indicators/{SPD_ROW}", {"values": {"choice": "disepakati"}}),
        ("POST", f"/api/spd/{year}/indicators/{SPD_ROW}/verify", {"accepted": True}),
        ("PUT", f"/api/research/agenda/{year}", {"title": "Agenda Riset Bupati"}),
        ("POST", f"/api/research/proposals/{pid}/approve", {}),
        ("POST", "/api/accounts", account),
        ("POST", "/api/calls", call),
    ]
    for method, url, body in writes:
        refused = client.request(method, url, json=body, headers=auth)
        assert refused.status_code == 403, (url, refused.status_code, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["detail"], url
    for url in (
        f"/api/innovations/{iid}",
        f"/api/innovations/{iid}/monev",
        f"/api/innovations/{iid}/mentoring",
        f"/api/innovations/{iid}/review",
        f"/api/dashboard/index?year={year}",
        f"/api/dashboard/compliance?year={year}",
        f"/api/spd/{year}",
        f"/api/research/proposals/{pid}",
        f"/api/research/proposals?year={year}",
    ):
        assert client.get(url, headers=auth).status_code == 200, url
    assert last_event(w) == before


def test_signing_in_lands_on_the_summary_and_every_link_opens(
    client: Any, leaders: Leaders
) -> None:
    client.cookies.clear()
    page = client.get("/masuk", headers=HTML)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    signed_in = client.post(
        "/masuk",
        data={"username": "bupati", "password": PASSWORD, "_csrf_token": token.group(1)},
        headers=HTML,
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"].startswith("/pimpinan")
    year, iid = leaders.year, leaders.innovation
    summary = client.get(f"/pimpinan?tahun={year}", headers=HTML)
    assert summary.status_code == 200
    html = summary.text
    assert "<h1>Ringkasan Pimpinan" in html and html.count("<caption>") >= 4
    links = set(re.findall(r'href="(/[^"]*)"', html))
    for expected in (
        f"/dasbor-daerah?tahun={year}",
        f"/spd/{year}",
        f"/kepatuhan?tahun={year}&amp;keadaan=none",
        f"/riset?tahun={year}",
        f"/inovasi/{iid}#monev",
        f"/inovasi/{iid}/pendampingan",
        f"/pimpinan/ringkasan.pdf?tahun={year}",
    ):
        assert expected in links, expected
    for link in sorted(links):
        if link.startswith(("/static", "/pimpinan/ringkasan.pdf")):
            continue
        opened = client.get(link.replace("&amp;", "&"), headers=HTML)
        assert opened.status_code == 200, (link, opened.status_code)
    detail = client.get(f"/inovasi/{iid}", headers=HTML).text
    assert "Catat laporan evaluasi" not in detail and "Jadwalkan kunjungan" not in detail
    assert re.findall(r"<button[^>]*>([^<]*)<", detail) == ["Keluar"]  # nothing to send
    review = client.get(f"/verifikasi/{iid}", headers=HTML)  # Bappeda's view, read-only
    assert review.status_code == 200 and "Posyandu Digital Dipantau" in review.text
    buttons = re.findall(r'<button[^>]*type="submit"[^>]*>([^<]*)<', review.text)
    assert buttons == ["Keluar"], buttons  # no command can be sent from it
    sheet = client.get(f"/verifikasi/{iid}/lembar-penilaian.pdf")  # linked from it
    assert sheet.status_code == 200 and sheet.headers["content-type"] == "application/pdf"
    mentoring = client.get(f"/inovasi/{iid}/pendampingan", headers=HTML).text
    assert leaders.follow_up in mentoring and "Tandai selesai" not in mentoring


def test_a_bad_year_on_the_page_is_a_readable_message(client: Any, leaders: Leaders) -> None:
    login(client, "kepala.bappeda")
    page = client.get("/pimpinan?tahun=20x6", headers=HTML)
    assert page.status_code == 400
    assert "Tahun harus bilangan bulat 2000–2100" in page.text
    login(client, "op.dukcapil")
    refused = client.get("/pimpinan", headers=HTML)
    assert refused.status_code == 403 and "Pimpinan Daerah" in refused.text


def test_the_printout_is_one_page_with_the_index(client: Any, leaders: Leaders) -> None:
    login(client, "bupati")
    answer = client.get(f"/pimpinan/ringkasan.pdf?tahun={leaders.year}")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.content))
    assert len(reader.pages) == 1
    text = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    runtime = leaders.world.runtime
    verified = index_dashboard(
        runtime.db, leaders.year, rescore=rescorer(runtime.commands)
    ).index.verified.value
    assert f"Indeks {leaders.year} (terverifikasi) {angka(verified, 2)}" in text
    assert "Posyandu Digital Dipantau" in text and "Dinas Kesehatan" in text
    assert client.get("/pimpinan/ringkasan.pdf?tahun=1999").status_code == 400


def test_the_admin_may_grant_the_role(client: Any, leaders: Leaders) -> None:
    login(client, "admin")
    assert 'value="pimpinan"' in client.get("/admin/akun", headers=HTML).text
    before = last_event(leaders.world)
    created = client.post(
        "/api/accounts",
        json={
            "username": "wakil.bupati",
            "full_name": "Wakil Bupati",
            "email": "wakil@sragenkab.go.id",
            "role": "pimpinan",
            "password": "sandi-wakil-bupati-1",
        },
        headers=bearer(client, "admin"),
    )
    assert created.status_code == 201, created.text
    store = leaders.world.runtime.store
    topics = [n.topic.rsplit(".", 1)[-1] for n in store.iter_notifications(after=before)]
    assert topics == ["AccountCreated"], topics
