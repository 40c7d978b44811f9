"""Monev visits moved and called off, and photos, on the innovation page over HTTP (no browser):
the forms reach the same commands as the API; bad input is a readable message that changes
nothing; the organisation sees the thumbnails (with alt text) but not the forms."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from services.domain.call import jakarta_today
from tests.images import png
from tests.submission.conftest import pdf_bytes
from tests.web.test_pages import HTML, last_event, login
from tests.web.world import WebWorld


def _visit(client: Any, token: str, iid: str) -> str:
    due = (jakarta_today() + timedelta(days=5)).isoformat()
    done = client.post(
        f"/inovasi/{iid}/monev/kunjungan",
        data={"_csrf_token": token, "due_on": due, "kind": "kunjungan"},
        headers=HTML,
    )
    assert done.status_code == 200, done.text
    found = re.findall(r"/monev/kunjungan/([0-9a-f-]{36})/jadwal-ulang", done.text)
    assert found, "the reschedule form is offered"
    return found[-1]


def test_reviewer_moves_and_cancels_visits(client: Any, web_world: WebWorld) -> None:
    iid = web_world.published("Adminduk Jadwal di Halaman")
    token = login(client, "verifikator")
    visit = _visit(client, token, iid)
    url = f"/inovasi/{iid}/monev/kunjungan/{visit}"
    before = last_event(web_world)
    for path, bad, status, message in (
        ("jadwal-ulang", {"due_on": "2020-01-01", "reason": "x"}, 422, "masa lalu"),
        ("jadwal-ulang", {"due_on": "2099-01-01", "reason": ""}, 400, "Alasan"),
        ("batal", {"reason": "x" * 3000}, 400, "Alasan"),
    ):
        refused = client.post(f"{url}/{path}", data={"_csrf_token": token, **bad}, headers=HTML)
        assert refused.status_code == status, refused.text
        assert message in refused.text
    assert last_event(web_world) == before
    later = (jakarta_today() + timedelta(days=20)).isoformat()
    moved = client.post(
        f"{url}/jadwal-ulang",
        data={"_csrf_token": token, "due_on": later, "reason": "Kepala dinas dinas luar"},
        headers=HTML,
    )
    assert moved.status_code == 200 and "Dijadwalkan ulang" in moved.text
    assert "Alasan: Kepala dinas dinas luar" in moved.text and "semula" in moved.text
    cancelled = client.post(
        f"{url}/batal", data={"_csrf_token": token, "reason": "Digabung rapat"}, headers=HTML
    )
    assert cancelled.status_code == 200 and "Dibatalkan" in cancelled.text
    assert f"/monev/kunjungan/{visit}/jadwal-ulang" not in cancelled.text
    op_token = login(client, "op.dukcapil")
    refused = client.post(f"{url}/batal", data={"_csrf_token": op_token, "reason": "x"})
    assert refused.status_code == 403


def test_photo_upload_shows_a_thumbnail_and_refuses_bad_files(
    client: Any, web_world: WebWorld
) -> None:
    iid = web_world.published("Adminduk Foto di Halaman")
    token = login(client, "verifikator")
    visit = _visit(client, token, iid)
    url = f"/inovasi/{iid}/monev/kunjungan/{visit}/foto"
    before = last_event(web_world)
    wrong = client.post(
        url,
        data={"_csrf_token": token, "caption": "Dokumen"},
        files={"file": ("a.pdf", pdf_bytes(), "application/pdf")},
        headers=HTML,
    )
    assert wrong.status_code == 415 and "JPEG, PNG, WebP" in wrong.text
    no_caption = client.post(
        url,
        data={"_csrf_token": token, "caption": ""},
        files={"file": ("a.png", png(), "image/png")},
        headers=HTML,
    )
    assert no_caption.status_code == 422 and "teks alternatif" in no_caption.text
    assert last_event(web_world) == before
    added = client.post(
        url,
        data={"_csrf_token": token, "caption": "Antrean loket pagi"},
        files={"file": ("loket.png", png(), "image/png")},
        headers=HTML,
    )
    assert added.status_code == 200, added.text
    thumb = re.search(
        r'<img src="(/api/innovations/[^"]+/monev/photos/[^"]+)" alt="([^"]+)"', added.text
    )
    assert thumb is not None and thumb.group(2) == "Antrean loket pagi"
    login(client, "op.dukcapil")
    seen = client.get(f"/inovasi/{iid}", headers=HTML)
    assert 'alt="Antrean loket pagi"' in seen.text and url not in seen.text
    assert client.get(thumb.group(1)).headers["content-type"] == "image/png"
    # Monev reports and bimtek sessions are offered beside their indicators.
    picker = client.get(f"/inovasi/{iid}/penilaian", headers=HTML)
    assert 'data-care-evidence="monev"' in picker.text
    assert 'data-care-evidence="mentoring"' in picker.text
    login(client, "verifikator")
    review = client.get(f"/verifikasi/{iid}", headers=HTML)
    assert review.status_code == 200 and "Dari catatan monev" in review.text
