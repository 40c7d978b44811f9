"""Monev on the innovation page over HTTP (no browser): the reviewer schedules a visit and
records a report through the forms, the operator reads them without the forms; bad input is a
readable message on the page that changes nothing; before establishment there is no section."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.domain.call import jakarta_today
from tests.web.test_pages import HTML, last_event, login
from tests.web.world import WebWorld


def test_reviewer_records_monev_and_the_operator_reads_it(client: Any, web_world: WebWorld) -> None:
    iid = web_world.published("Adminduk Dimonev di Halaman")
    token = login(client, "verifikator")
    page = client.get(f"/inovasi/{iid}", headers=HTML)
    assert "Monitoring dan evaluasi" in page.text and "Catat laporan evaluasi" in page.text
    before = last_event(web_world)
    for bad, status, message in (
        ({"due_on": "2020-01-01", "kind": "kunjungan"}, 422, "masa lalu"),
        ({"due_on": "bukan tanggal", "kind": "kunjungan"}, 400, "Tanggal kunjungan"),
        ({"due_on": "2099-01-01", "kind": "rapat", "note": "x" * 5000}, 400, "Catatan paling"),
    ):
        refused = client.post(
            f"/inovasi/{iid}/monev/kunjungan", data={"_csrf_token": token, **bad}, headers=HTML
        )
        assert refused.status_code == status, refused.text
        assert message in refused.text
    assert last_event(web_world) == before
    due = (jakarta_today() + timedelta(days=5)).isoformat()
    done = client.post(
        f"/inovasi/{iid}/monev/kunjungan",
        data={"_csrf_token": token, "due_on": due, "kind": "kunjungan", "note": "Cek data"},
        headers=HTML,
    )
    assert done.status_code == 200 and "Monev tercatat" in done.text and "Cek data" in done.text
    reported = client.post(
        f"/inovasi/{iid}/monev/laporan",
        data={
            "_csrf_token": token,
            "kind": "skm",
            "reported_on": jakarta_today().isoformat(),
            "findings": "Indeks kepuasan naik",
            "recommendation": "replikasi",
            "ind_name_0": "IKM",
            "ind_value_0": "86",
            "ind_target_0": "80",
        },
        headers=HTML,
    )
    assert reported.status_code == 200, reported.text
    assert "Indeks kepuasan naik" in reported.text and "IKM: 86 (target 80)" in reported.text
    assert "tingkat 2" in reported.text
    op_token = login(client, "op.dukcapil")
    seen = client.get(f"/inovasi/{iid}", headers=HTML)
    assert "Indeks kepuasan naik" in seen.text and "Catat laporan evaluasi" not in seen.text
    refused = client.post(
        f"/inovasi/{iid}/monev/laporan", data={"_csrf_token": op_token}, headers=HTML
    )
    assert refused.status_code == 403


def test_no_monev_section_before_establishment(client: Any, web_world: WebWorld) -> None:
    iid = web_world.complete_draft("Adminduk Belum Jalan")
    login(client, "op.dukcapil")
    assert "Monitoring dan evaluasi" not in client.get(f"/inovasi/{iid}", headers=HTML).text
