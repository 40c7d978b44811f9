"""Pages and routes of the IGA follow-up: urusan choices on the form (issue 18)."""

from __future__ import annotations

import re
from typing import Any

from tests.web.test_pages import HTML, last_event, login
from tests.web.world import WebWorld


def test_the_urusan_reference_is_public(client: Any) -> None:
    client.cookies.clear()
    response = client.get("/api/reference/urusan")
    assert response.status_code == 200
    items = response.json()
    assert len(items) == 38
    assert items[1] == {
        "code": "1.02",
        "name": "Kesehatan",
        "group": "wajib pelayanan dasar",
        "no": 2,
    }


def test_the_form_offers_a_main_urusan_and_checkboxes_for_the_others(
    client: Any, web_world: WebWorld
) -> None:
    iid = web_world.complete_draft("Urusan Dipilih")
    token = login(client, "op.dukcapil")
    page = client.get(f"/inovasi/{iid}/isian", headers=HTML)
    select = re.search(r'<select id="f-urusan" name="urusan".*?</select>', page.text, re.S)
    assert select is not None
    assert len(re.findall(r"<option value=\"[^\"]+\"", select.group(0))) == 38
    assert re.search(r'<option value="2.12" selected>2.12 Administrasi', select.group(0))
    assert page.text.count('type="checkbox" name="urusan_lain"') == 38

    innovation = web_world.runtime.commands.innovation(iid)
    fields = {
        "_csrf_token": token,
        "version": str(innovation.version),
        "title": "Urusan Dipilih",
        "stage": "penerapan",
        "initiator": "opd",
        "initiator_name": "Kepala Dinas",
        "kind": "digital",
        "form": "pelayanan_publik",
        "theme": "digitalisasi_layanan",
        "urusan": "2.12",
        "trial_date": "2023-03-01",
        "implementation_date": "2023-09-01",
    }
    saved = client.post(
        f"/inovasi/{iid}/isian/profil",
        data={**fields, "urusan_lain": ["1.02", "1.06"]},
        headers=HTML,
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert web_world.runtime.commands.innovation(iid).profile.urusan_lain == ("1.02", "1.06")

    before = last_event(web_world)
    version = web_world.runtime.commands.innovation(iid).version
    refused = client.post(
        f"/inovasi/{iid}/isian/profil",
        data={**fields, "version": str(version), "urusan_lain": ["1.02", "9.99"]},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "Pilihan tidak dikenal." in refused.text
    repeated = client.post(
        f"/inovasi/{iid}/isian/profil",
        data={**fields, "version": str(version), "urusan_lain": ["2.12"]},
        headers=HTML,
    )
    assert repeated.status_code == 422
    assert "Urusan utama tidak perlu dicentang lagi" in repeated.text
    assert last_event(web_world) == before


def test_the_spd_page_shows_completeness_and_open_points_per_row(
    client: Any, web_world: WebWorld
) -> None:
    from decimal import Decimal

    from services.domain.aggregate import Context
    from services.domain.values import SpdValues
    from services.spd.service import SpdCommands

    spd = SpdCommands(web_world.runtime.store)
    admin = Context(actor=web_world.admin)
    spd.fill(admin, 2026, "11b", SpdValues(t1=Decimal("72.5")), assign=True, owner=web_world.opd_id)
    login(client, "op.dukcapil")
    page = client.get("/spd/2026", headers=HTML)
    assert page.status_code == 200
    assert 'id="spd-completeness">0%' in page.text
    assert page.text.count('<tr id="baris-') == 20
    own = re.search(r'<tr id="baris-11b" class="own">(.*?)</tr>', page.text, re.S)
    assert own is not None  # the organisation's own row, listed first
    assert page.text.index('id="baris-11b"') < page.text.index('id="baris-1"')
    assert "Unggah bukti dukung" in own.group(1) and ">0,75<" in own.group(1)  # 0.75 × (3 − 2)
    login(client, "peserta")
    assert client.get("/spd/2026", headers=HTML).status_code == 403


def test_verdict_by_hand_on_the_review_page_then_carry_forward_from_the_overview(
    client: Any, web_world: WebWorld
) -> None:
    """Last in the module: it opens next year's call."""
    from datetime import timedelta
    from uuid import uuid4

    from services.domain.ministry import eligibility_window
    from services.domain.values import CallKind, IndicatorVerdict, ProfilePatch
    from tests.factories import MANDATORY

    w, c = web_world, web_world.runtime.commands
    iid = w.complete_draft("Dibawa Lewat Halaman")
    year = c.innovation(iid).budget_year + 1
    window = eligibility_window(year)
    c.update_profile(
        w.ctx(w.operator),
        iid,
        ProfilePatch(trial_date=window.start, implementation_date=window.start + timedelta(30)),
    )
    c.submit(w.ctx(w.operator), iid)
    assert w.reviewer.account_id is not None
    c.assign_reviewer(w.ctx(w.admin), iid, w.reviewer.account_id)
    for state in list(c.innovation(iid).documents.values()):
        c.verify_document(w.ctx(w.reviewer), iid, state.document.doc_id, accepted=True)
    c.score(w.ctx(w.reviewer), iid, [IndicatorVerdict(no=no, level=3) for no in MANDATORY])
    c.approve(w.ctx(w.admin), iid, "Layak meski di bawah ambang.")
    c.select_for_iga(w.ctx(w.admin), iid, 2025)
    c.report_to_iga(w.ctx(w.admin), iid, year=2025, report_id=uuid4())

    token = login(client, "admin")
    page = client.get(f"/verifikasi/{iid}", headers=HTML)
    assert 'name="action" value="record_ministry_verdict"' in page.text
    version = c.innovation(iid).version
    saved = client.post(
        f"/verifikasi/{iid}/keputusan",
        data={
            "_csrf_token": token,
            "version": str(version),
            "action": "record_ministry_verdict",
            "verdict": "accepted",
            "note": "",
            "reason": "",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert c.innovation(iid).ministry_verdict == "accepted"
    assert "Diterima Kemendagri" in client.get(f"/verifikasi/{iid}", headers=HTML).text
    summary = client.get("/iga?tahun=2025", headers=HTML).text  # the IGA page counts verdicts
    assert "Diterima Kemendagri: <strong>1</strong>" in summary
    assert "Dibawa Lewat Halaman</a>: Diterima Kemendagri" in summary

    token = login(client, "op.dukcapil")
    overview = client.get(f"/inovasi/{iid}", headers=HTML)
    assert "Bawa ke tahun berikutnya" in overview.text
    before = last_event(w)
    version = c.innovation(iid).version
    refused = client.post(
        f"/inovasi/{iid}/bawa",
        data={"_csrf_token": token, "version": str(version)},
        headers=HTML,
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert f"Belum ada panggilan inovasi tahun {year}" in refused.text
    assert last_event(w) == before
    c.open_call(
        w.ctx(w.admin),
        kind=CallKind.ANNUAL,
        title=f"Inovasi Daerah {year}",
        budget_year=year,
        opens_at=w.now - timedelta(days=1),
        deadline=w.now + timedelta(days=60),
        eligible_kinds=("opd",),
        rubric_year=2025,
    )
    carried = client.post(
        f"/inovasi/{iid}/bawa",
        data={"_csrf_token": token, "version": str(version)},
        headers=HTML,
        follow_redirects=False,
    )
    assert carried.status_code == 303, carried.text
    draft = carried.headers["location"].split("/inovasi/")[1].split("?")[0]
    page = client.get(f"/inovasi/{draft}", headers=HTML)
    assert "Keikutsertaan ke-2" in page.text and f'href="/inovasi/{iid}"' in page.text
