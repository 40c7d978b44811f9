"""Monev photos and a moved visit in a real browser (Debian's Chromium via Playwright): the
reviewer uploads a photo of a planned visit and sees its thumbnail (loaded, with alt text), then
moves the visit to a later date with a reason; the operator sees the thumbnail but no forms.
Every page passes axe-core with no violation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from services.domain.call import jakarta_today
from tests.images import png
from tests.web.test_endorsement_browser import _no_violations
from tests.web.world import WebWorld


def decoded_width(img: Any) -> int:
    """The image's width once the browser has loaded and decoded it (0 when it cannot): read
    at once, a picture still on its way reads as not complete."""
    return int(img.evaluate("img => img.decode().then(() => img.naturalWidth, () => 0)"))


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("monev-care-browser")
    runtime = start_runtime(load_settings(env={}, data_dir=str(data)))
    try:
        yield WebWorld(runtime)
    finally:
        runtime.close()


def test_reviewer_uploads_a_photo_and_moves_the_visit(
    open_session: Any, web_world: WebWorld, tmp_path: Path
) -> None:
    from uuid import uuid4

    from services.domain.aggregate import Context
    from services.monev.service import MonevCommands

    iid = web_world.published("Adminduk Difoto")
    runtime = web_world.runtime
    MonevCommands(runtime.store, runtime.commands).schedule_visit(
        Context(actor=web_world.reviewer),
        runtime.commands.innovation(iid),
        visit_id=uuid4(),
        due_on=jakarta_today() + timedelta(days=4),
        kind="kunjungan",
        note="Cek loket",
    )
    runtime.read_models.wait_for(runtime.store.max_notification_id(), 10)
    picture = tmp_path / "loket.png"
    picture.write_bytes(png("browser"))

    reviewer = open_session("verifikator")
    reviewer.login("verifikator")
    reviewer.goto(f"/inovasi/{iid}")
    visits = reviewer.page.locator("[data-visit-actions]")
    visits.locator("summary", has_text="Unggah foto").click()
    upload = visits.locator("form[action$='/foto']")
    upload.get_by_label("Keterangan foto (teks alternatif)").fill("Antrean di loket pagi hari")
    upload.locator("input[type=file]").set_input_files(str(picture))
    upload.get_by_role("button", name="Unggah foto").click()
    reviewer.page.wait_for_load_state("domcontentloaded")
    thumb = reviewer.page.locator("img[data-monev-photo]")
    expect(thumb).to_have_attribute("alt", "Antrean di loket pagi hari")
    expect(thumb).to_be_visible()
    assert decoded_width(thumb) == 2  # decoded, not broken
    _no_violations(reviewer, "monev-photo-uploaded")

    later = (jakarta_today() + timedelta(days=18)).isoformat()
    visits = reviewer.page.locator("[data-visit-actions]")
    visits.locator("summary", has_text="Jadwalkan ulang").click()
    move = visits.locator("form[action$='/jadwal-ulang']")
    move.get_by_label("Tanggal baru").fill(later)
    move.get_by_label("Alasan").fill("Kepala dinas mengikuti rapat di provinsi")
    move.get_by_role("button", name="Simpan jadwal baru").click()
    reviewer.page.wait_for_load_state("domcontentloaded")
    row = reviewer.page.locator("[data-monev-visits] tr[data-visit]")
    expect(row).to_contain_text("Dijadwalkan ulang")
    expect(row).to_contain_text("Kepala dinas mengikuti rapat di provinsi")
    _no_violations(reviewer, "monev-visit-moved")

    operator = open_session("operator")
    operator.login("op.dukcapil")
    operator.goto(f"/inovasi/{iid}")
    expect(operator.page.locator("img[data-monev-photo]")).to_have_attribute(
        "alt", "Antrean di loket pagi hari"
    )
    expect(operator.page.locator("form[action$='/jadwal-ulang']")).to_have_count(0)
    _no_violations(operator, "monev-photo-operator")
    # On a phone the visit and report tables turn into cards: nothing scrolls sideways, even
    # with a report of six columns and long findings (554 px wide before).
    from services.domain.events import IndicatorMeasure

    MonevCommands(runtime.store, runtime.commands).record_report(
        Context(actor=web_world.reviewer),
        runtime.commands.innovation(iid),
        report_id=uuid4(),
        kind="internal",
        reported_on=jakarta_today(),
        findings="Waktu tunggu turun, tetapi antrean pagi masih panjang di loket kecamatan. " * 3,
        recommendation="perbaiki",
        period="Triwulan III",
        indicators=[
            IndicatorMeasure(name="Waktu layanan rata-rata", value="12 menit", target="10")
        ],
    )
    runtime.read_models.wait_for(runtime.store.max_notification_id(), 10)
    operator.page.set_viewport_size({"width": 390, "height": 844})
    operator.goto(f"/inovasi/{iid}")
    width = operator.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"/inovasi/{iid} is {width} px wide at 390 px"
    _no_violations(operator, "monev-phone")


def test_session_attachments_show_on_the_mentoring_page(
    open_session: Any, web_world: WebWorld, tmp_path: Path
) -> None:
    """The admin records a bimtek session; the operator attaches a photo through the page and
    sees it as a thumbnail (decoded, alt text); the page passes axe."""
    from uuid import uuid4

    from services.domain.aggregate import Context
    from services.mentoring.service import MentoringCommands

    iid = web_world.complete_draft("Adminduk Bimtek Berfoto")
    runtime = web_world.runtime
    MentoringCommands(runtime.store, runtime.commands).record_session(
        Context(actor=web_world.admin),
        runtime.commands.innovation(iid),
        session_id=uuid4(),
        held_on=jakarta_today(),
        mode="bimtek",
        attendees=["Operator Dukcapil"],
        topics=["Bukti dukung bimtek"],
    )
    runtime.read_models.wait_for(runtime.store.max_notification_id(), 10)
    picture = tmp_path / "peserta.png"
    picture.write_bytes(png("bimtek"))

    operator = open_session("operator-bimtek")
    operator.login("op.dukcapil")
    operator.goto(f"/inovasi/{iid}/pendampingan")
    operator.page.locator("summary", has_text="Lampirkan berkas").click()
    form = operator.page.locator("form[action$='/lampiran']")
    form.get_by_label("Keterangan").fill("Peserta bimtek di aula")
    form.locator("input[type=file]").set_input_files(str(picture))
    form.get_by_role("button", name="Unggah lampiran").click()
    operator.page.wait_for_load_state("domcontentloaded")
    thumb = operator.page.locator("[data-attachments] img")
    expect(thumb).to_have_attribute("alt", "Peserta bimtek di aula")
    assert decoded_width(thumb) == 2
    _no_violations(operator, "mentoring-attachment")
