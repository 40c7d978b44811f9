"""Attachments of a mentoring session on the pendampingan page over HTTP (no browser): the admin
and the operator attach files, the page lists them (photos as thumbnails with alt text); a bad
file is a readable message that records nothing; another organisation gets 404."""

from __future__ import annotations

import re
from typing import Any

from services.domain.call import jakarta_today
from tests.images import png
from tests.web.test_pages import HTML, last_event, login
from tests.web.world import WebWorld


def test_session_attachments_on_the_page(client: Any, web_world: WebWorld) -> None:
    iid = web_world.complete_draft("Adminduk Lampiran Web")
    base = f"/inovasi/{iid}/pendampingan"
    token = login(client, "admin")
    recorded = client.post(
        f"{base}/sesi",
        data={
            "_csrf_token": token,
            "held_on": jakarta_today().isoformat(),
            "mode": "bimtek",
            "attendees": "Operator Dukcapil",
            "topics": "Bukti dukung bimtek",
        },
        headers=HTML,
    )
    assert recorded.status_code == 200, recorded.text
    action = re.search(r'action="(/inovasi/[^"]+/sesi/[0-9a-f-]{36}/lampiran)"', recorded.text)
    assert action is not None
    before = last_event(web_world)
    refused = client.post(
        action.group(1),
        data={"_csrf_token": token, "caption": "x"},
        files={"file": ("catatan.txt", b"hanya teks " * 10, "text/plain")},
        headers=HTML,
    )
    assert refused.status_code == 415 and "PDF, DOCX, XLSX" in refused.text
    assert last_event(web_world) == before
    op_token = login(client, "op.dukcapil")
    added = client.post(
        action.group(1),
        data={"_csrf_token": op_token, "caption": "Peserta bimtek"},
        files={"file": ("peserta.png", png(), "image/png")},
        headers=HTML,
    )
    assert added.status_code == 200, added.text
    assert "Lampiran sesi pendampingan terunggah" in added.text
    assert 'alt="Peserta bimtek"' in added.text
    login(client, "op.dinkes")
    assert client.get(base, headers=HTML).status_code == 404
