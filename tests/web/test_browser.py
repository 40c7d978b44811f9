"""The pages in a real browser (Debian's Chromium via Playwright), at phone size.

1. The whole path a person walks: an operator logs in, fills an innovation section by section
   (an inline validation message first), uploads a PDF with the progress bar, claims indicators,
   and submits; the admin assigns a reviewer; the reviewer asks for a revision; the operator fixes
   and resubmits; the reviewer accepts the evidence and scores; the admin approves; the auditor
   opens the timeline and moves the slider to an earlier version.
2. The countdown: a Krenova call whose deadline is seconds away switches to "Ditutup" by itself,
   and the server refuses the submit button pressed after it.
3. Every page of every role passes axe-core (vendored, injected from /static) with no critical
   violation, and no page logs a JavaScript or CSP error.

Each step is screenshotted under ``test-artifacts/web/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from services.domain.innovation import Innovation
from services.domain.lifecycle import Status
from services.domain.values import ProfilePatch
from tests.factories import complete_profile, words
from tests.web.world import MINIMAL_PDF, WebWorld

DESIGN_FIELDS = (
    "Dasar hukum",
    "Permasalahan",
    "Isu strategis",
    "Metode pembaharuan",
    "Keunggulan dan kebaruan",
    "Cara kerja",
)


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """The browser tests run the embedded default (SQLite), as ``sirisma serve`` does."""
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("browser-data")
    runtime = start_runtime(load_settings(env={}, data_dir=str(data)))
    try:
        yield WebWorld(runtime)
    finally:
        runtime.close()


def _innovation_id(url: str) -> str:
    match = re.search(r"/inovasi/([0-9a-f-]{36})", url)
    assert match, url
    return match.group(1)


def _section(page: Any, title: str) -> Any:
    return page.locator("section", has=page.get_by_role("heading", name=re.compile(title)))


def test_operator_to_approval_and_audit(
    open_session: Any, web_world: WebWorld, tmp_path: Path
) -> None:
    # --- operator: log in, new draft -----------------------------------------------------
    operator = open_session("operator")
    operator.goto("/masuk")
    operator.check("01-login")
    operator.login("op.dukcapil")
    expect(operator.page.get_by_role("heading", level=1)).to_contain_text("Dinas Dukcapil")
    operator.check("02-operator-dashboard")

    page = operator.page
    page.get_by_role("link", name="Usulkan inovasi baru", exact=True).click()
    page.get_by_label(re.compile("Inovasi Daerah")).check()
    page.get_by_label("Nama inovasi").fill("Layanan Adminduk Keliling Desa")
    page.get_by_role("button", name="Buat draf").click()
    expect(page.locator(".notice")).to_contain_text("draf")
    innovation_id = _innovation_id(page.url)
    operator.check("03-form-empty")

    # --- the profile section, with an inline validation message first ----------------------
    profile = _section(page, "Profil inovasi")
    profile.get_by_label("Tahapan inovasi").select_option("penerapan")
    profile.get_by_label("Inisiator inovasi").select_option("opd")
    profile.get_by_label("Nama inisiator").fill("Kepala Dinas Dukcapil")
    profile.get_by_label("Jenis inovasi").select_option("digital")
    profile.get_by_label("Bentuk inovasi").select_option("pelayanan_publik")
    profile.get_by_label("Tematik").select_option("digitalisasi_layanan")
    profile.get_by_label("Urusan pemerintahan (utama)").select_option("2.12")
    profile.get_by_label("Waktu uji coba").fill("2024-03-01")
    profile.get_by_label("Waktu penerapan").fill("2023-01-01")  # before the trial: refused
    profile.get_by_label("Waktu penerapan").blur()
    expect(page.locator("#f-implementation-date-msg")).to_contain_text(
        "tidak boleh sebelum waktu uji coba"
    )
    operator.check("04-inline-validation")
    profile.get_by_role("button", name="Simpan isian").click()
    expect(page.locator("#f-implementation-date")).to_have_attribute("aria-invalid", "true")
    profile = _section(page, "Profil inovasi")
    profile.get_by_label("Waktu penerapan").fill("2024-09-01")
    profile.get_by_role("button", name="Simpan isian").click()
    expect(page.locator(".notice")).to_contain_text("tersimpan")

    design = _section(page, "Rancang bangun")
    for label in DESIGN_FIELDS:
        design.get_by_label(label).fill(words(55))
    design.get_by_role("button", name="Simpan isian").click()
    expect(page.locator("#design-count")).to_contain_text("330 kata")

    results = _section(page, "Tujuan, manfaat dan hasil")
    results.get_by_label("Tujuan inovasi").fill("Dokumen kependudukan selesai di desa.")
    results.get_by_label("Manfaat inovasi").fill("Warga tidak perlu ke kota kabupaten.")
    results.get_by_label("Hasil inovasi").fill("1.200 dokumen terbit di 20 desa.")
    results.get_by_role("button", name="Simpan isian").click()
    expect(page.locator(".notice")).to_contain_text("tersimpan")
    operator.check("05-form-filled")

    # --- upload a PDF with the progress bar --------------------------------------------------
    pdf = tmp_path / "SK Kepala Dinas.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    page.get_by_role("link", name="Dokumen", exact=True).click()
    page.get_by_label("Jenis dokumen").select_option("sk")
    page.get_by_label(re.compile("Bukti dukung untuk indikator")).select_option("1")
    page.get_by_label("Berkas").set_input_files(str(pdf))
    page.get_by_role("button", name="Unggah").click()
    expect(page.locator("#documents-panel .notice")).to_contain_text("Dokumen terunggah")
    expect(page.locator(".doc-list")).to_contain_text("SK Kepala Dinas.pdf")
    operator.check("06-document-uploaded")

    # --- self-assessment: claim the mandatory indicators with the uploaded evidence ----------
    page.get_by_role("link", name="Penilaian mandiri").first.click()
    for no in (1, 2, 17, 18, 20):
        block = page.locator(f"#indikator-{no}")
        block.locator(f"#level-{no}").select_option("2")
        if no != 1:  # indicator 1 already has the document tied to it at upload
            block.get_by_label(re.compile("SK Kepala Dinas.pdf")).check()
    page.get_by_role("button", name="Simpan penilaian mandiri").click()
    expect(page.locator(".notice")).to_contain_text("Penilaian mandiri tersimpan")
    expect(page.locator("#indikator-1")).to_contain_text("+6 poin")
    operator.check("07-self-assessment")

    # --- submit with a confirmation ------------------------------------------------------------
    page.get_by_role("link", name="Ajukan", exact=True).click()
    expect(page.get_by_role("heading", name="Konfirmasi pengajuan")).to_be_visible()
    operator.check("08-submit-confirmation")
    page.get_by_role("button", name="Ya, ajukan sekarang").click()
    expect(page.locator(".notice")).to_contain_text("telah diajukan")
    expect(page.locator(".badge").first).to_have_text("Diajukan")
    operator.check("09-submitted")

    # --- admin assigns the reviewer from the queue ---------------------------------------------
    admin = open_session("admin")
    admin.login("admin")
    admin.page.get_by_label("Pilih Layanan Adminduk Keliling Desa").check()
    admin.page.get_by_label("Verifikator", exact=True).select_option(label="Verifikator Uji")
    admin.check("10-queue-bulk-assignment")
    admin.page.get_by_role("button", name="Tugaskan").click()
    expect(admin.page.locator("table")).to_contain_text("Ditugaskan")
    admin.check("10b-assignment-result")

    # --- reviewer requests a revision --------------------------------------------------------
    reviewer = open_session("reviewer")
    reviewer.login("verifikator")
    reviewer.page.get_by_role("link", name="Layanan Adminduk Keliling Desa").click()
    reviewer.check("11-review-page")
    revision = _section(reviewer.page, "Minta perbaikan")
    revision.get_by_label("Catatan untuk pengusul").fill(
        "Sebutkan jumlah warga terlayani per desa."
    )
    revision.get_by_label("Hasil inovasi").check()
    revision.get_by_role("button", name="Kirim permintaan perbaikan").click()
    expect(reviewer.page.locator(".notice")).to_contain_text("perbaikan")
    expect(reviewer.page.locator(".badge").first).to_have_text("Perlu Perbaikan")

    # --- operator sees the request, fixes and resubmits ----------------------------------------
    operator.goto("/dasbor")
    expect(page.locator("table")).to_contain_text("Sebutkan jumlah warga terlayani per desa.")
    operator.check("12-dashboard-revision-requested")
    page.get_by_role("link", name="Layanan Adminduk Keliling Desa").click()
    page.get_by_role("link", name="Isian", exact=True).click()
    results = _section(page, "Tujuan, manfaat dan hasil")
    outcome = "1.200 dokumen terbit di 20 desa (rata-rata 60 warga)."
    results.get_by_label("Hasil inovasi").fill(outcome)
    results.get_by_role("button", name="Simpan isian").click()
    expect(page.locator(".notice")).to_contain_text("tersimpan")
    page.get_by_role("link", name="Ajukan ulang").first.click()
    page.get_by_label("Tanggapan atas permintaan perbaikan").fill(
        "Jumlah per desa sudah ditambahkan."
    )
    page.get_by_role("button", name="Ya, ajukan ulang sekarang").click()
    expect(page.locator(".badge").first).to_have_text("Diajukan Ulang")
    operator.check("13-resubmitted")

    # --- reviewer accepts the evidence and scores ----------------------------------------------
    reviewer.goto(f"/verifikasi/{innovation_id}")
    reviewer.page.get_by_role("button", name="Terima").first.click()
    expect(reviewer.page.locator(".notice")).to_contain_text("verifikasi dokumen")
    for no in (1, 2, 17, 18, 20):
        reviewer.page.locator(f"#v-level-{no}").select_option("2")
    reviewer.page.get_by_role("button", name="Simpan nilai").click()
    expect(reviewer.page.locator(".badge").first).to_have_text("Dinilai")
    reviewer.check("14-scored")

    # --- admin approves (the lifecycle table gives approval to the admin) ----------------------
    admin.goto(f"/verifikasi/{innovation_id}")
    # Below the call's threshold (60): the page warns and the approval needs a reason.
    expect(admin.page.locator("#approve-warning")).to_contain_text("di bawah ambang")
    admin.page.get_by_label(re.compile("Alasan persetujuan")).fill("Layak ditetapkan.")
    admin.page.get_by_role("button", name="Setujui").click()
    expect(admin.page.locator(".badge").first).to_have_text("Disetujui")
    admin.check("15-approved")

    approved = web_world.runtime.store.load(Innovation, _uuid(innovation_id))
    assert approved.status == Status.APPROVED
    assert approved.scorecard(_rubric()).verified_total > 0

    # --- admin: IGA report builder, check first, then report and download -------------------
    admin.goto("/iga")
    admin.page.get_by_label("Pilih Layanan Adminduk Keliling Desa").check()
    admin.page.get_by_role("button", name="Periksa pilihan").click()
    expect(admin.page.get_by_role("heading", name="Hasil pemeriksaan pilihan")).to_be_visible()
    admin.check("15b-iga-check")
    admin.page.get_by_role("button", name="Laporkan ke Kemendagri").click()
    expect(admin.page.get_by_role("heading", level=1)).to_contain_text("dibuat")
    admin.check("15c-iga-reported")
    href = admin.page.get_by_role("link", name="Unduh XLSX").get_attribute("href")
    download = admin.page.request.get(admin.base_url + str(href))
    assert download.status == 200
    assert download.body()[:2] == b"PK"  # an XLSX is a zip

    stored = web_world.runtime.store.load(Innovation, _uuid(innovation_id))
    assert stored.status == Status.REPORTED_TO_IGA

    # --- auditor: timeline and the time slider ---------------------------------------------
    auditor = open_session("auditor")
    auditor.login("auditor")
    auditor.page.get_by_role("link", name="Layanan Adminduk Keliling Desa").click()
    expect(auditor.page.locator("#as-of-title")).to_contain_text(f"Versi {stored.version}")
    auditor.check("16-audit-timeline-latest")
    slider = auditor.page.get_by_label(re.compile("Geser untuk melihat catatan"))
    slider.focus()
    slider.press("Home")
    for _ in range(2):
        slider.press("ArrowRight")
    expect(auditor.page.locator("#as-of-title")).to_contain_text("Versi 3 dari")
    expect(auditor.page.locator("#as-of")).to_contain_text("Draf")
    auditor.check("17-audit-timeline-version-3")


def _uuid(text: str) -> Any:
    from uuid import UUID

    return UUID(text)


def _rubric() -> Any:
    from services.domain.rubric import load_rubric

    return load_rubric(2025)


def test_countdown_closes_and_late_submit_is_refused(
    open_session: Any, web_world: WebWorld
) -> None:
    participant = open_session("participant")
    participant.login("peserta")
    # The call opens now and closes a few seconds from now: created after login so the
    # slow part (password hashing) does not eat the window.
    call_id = web_world.krenova_call(datetime.now(UTC) + timedelta(seconds=12))
    entry = web_world.krenova_draft(call_id)

    participant.goto(f"/inovasi/{entry}/ajukan")
    countdown = participant.page.locator(f'[data-countdown][data-call="{call_id}"]')
    expect(countdown).to_contain_text("Batas Waktu Krenova:")
    expect(countdown.locator("[data-running]")).to_have_text(
        re.compile(r"^\s*\d{2} HARI\s+\d{2} JAM\s+\d{2} MENIT\s+\d{2} DETIK\s*$")
    )
    participant.shot("20-countdown-running")

    # No reload: the page's own script switches to "Ditutup" when the deadline passes.
    expect(countdown.locator("[data-closed]")).to_be_visible(timeout=30_000)
    expect(countdown.locator("[data-running]")).to_be_hidden()
    participant.shot("21-countdown-closed")

    participant.page.get_by_role("button", name="Ya, ajukan sekarang").click()
    expect(participant.page.locator("main [data-error-detail]")).to_contain_text(
        "Batas waktu pengajuan telah lewat"
    )
    # Rendered after the deadline, the button is disabled and says why.
    expect(participant.page.get_by_role("button", name="Ya, ajukan sekarang")).to_be_disabled()
    expect(participant.page.locator("#submit-blocked")).to_contain_text("batas waktu")
    participant.check("22-late-submit-refused")
    assert web_world.runtime.commands.innovation(entry).status == Status.DRAFT

    # The home page, rendered after the deadline, shows the call as closed too.
    participant.goto("/")
    closed = participant.page.locator(f'[data-countdown][data-call="{call_id}"]')
    expect(closed.locator("[data-closed]")).to_have_text("Ditutup")


ROLE_PAGES: dict[str, list[str]] = {
    "anonymous": [
        "/",
        "/katalog",
        "/katalog/{published}",
        "/krenova/daftar",
        "/masuk",
        "/tidak-ada",
    ],
    "op.dukcapil": [
        "/dasbor",
        "/inovasi/baru",
        "/inovasi/{draft}",
        "/inovasi/{draft}/isian",
        "/inovasi/{draft}/dokumen",
        "/inovasi/{draft}/penilaian",
        "/inovasi/{draft}/ajukan",
        "/inovasi/{revision}",
        "/inovasi/{other}",
        "/verifikasi",
    ],
    "verifikator": [
        "/verifikasi",
        "/verifikasi/{review}",
        "/verifikasi/{krenova}",
        "/krenova/penjurian",
        "/dasbor-daerah",
    ],
    "admin": [
        "/verifikasi",
        "/verifikasi/{scored}",
        "/iga",
        "/krenova/penjurian",
        "/kepatuhan",
        "/dasbor-daerah",
    ],
    "auditor": [
        "/audit",
        "/verifikasi",
        "/audit/integritas",
        "/audit/inovasi/{published}",
        "/audit/inovasi/{published}/selisih",
    ],
    "peserta": ["/dasbor", "/inovasi/baru", "/inovasi/{krenova}", "/inovasi/{krenova}/isian"],
}


# Pages a role is refused or that do not exist: the error page itself must be accessible too.
EXPECTED_STATUS = {
    ("anonymous", "/tidak-ada"): 404,
    ("op.dukcapil", "/inovasi/{other}"): 404,
    ("op.dukcapil", "/verifikasi"): 403,
}


@pytest.fixture(scope="module")
def sweep_records(web_world: WebWorld) -> dict[str, str]:
    other = web_world.runtime.commands.propose(
        web_world.ctx(web_world.other_operator),
        call_id=web_world.call_id,
        profile=complete_profile("Inovasi Dinkes"),
    ).id
    c = web_world.runtime.commands
    krenova = web_world.krenova_draft(web_world.krenova_call(datetime.now(UTC) + timedelta(days=3)))
    c.submit(web_world.ctx(web_world.participant), krenova)
    assert web_world.reviewer.account_id is not None
    c.assign_reviewer(web_world.ctx(web_world.admin), krenova, web_world.reviewer.account_id)
    c.pass_administration(web_world.ctx(web_world.admin), krenova, "lengkap")
    records = {
        "krenova": str(krenova),
        "draft": str(web_world.complete_draft("Draf Sapu Bersih")),
        "revision": str(web_world.revision_requested("Perlu Perbaikan Uji")),
        "review": str(web_world.under_review("Dalam Verifikasi Uji")),
        "scored": str(web_world.scored("Sudah Dinilai Uji")),
        "published": str(web_world.published("Terpublikasi Uji")),
        "other": str(other),
    }
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)
    return records


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_page_is_accessible(
    role: str, open_session: Any, sweep_records: dict[str, str]
) -> None:
    session = open_session(role)
    if role != "anonymous":
        session.login(role)
    for template in ROLE_PAGES[role]:
        path = template.format(**sweep_records)
        response = session.goto(path)
        assert response.status == EXPECTED_STATUS.get((role, template), 200), path
        step = f"axe-{role}-{template.replace('{', '').replace('}', '')}"
        session.check(step)


def test_stale_form_shows_what_changed(open_session: Any, web_world: WebWorld) -> None:
    iid = web_world.complete_draft("Formulir Basi")
    operator = open_session("operator-stale")
    operator.login("op.dukcapil")
    operator.goto(f"/inovasi/{iid}/isian")
    # A colleague saves the same innovation while this form is open.
    web_world.runtime.commands.update_profile(
        web_world.ctx(web_world.operator), iid, ProfilePatch(goals="Tujuan versi rekan kerja")
    )
    section = _section(operator.page, "Tujuan, manfaat dan hasil")
    section.get_by_label("Manfaat inovasi").fill("Manfaat versi saya")
    section.get_by_role("button", name="Simpan isian").click()
    expect(operator.page.get_by_role("heading", level=1)).to_have_text(
        "Data telah diubah oleh pengguna lain"
    )
    expect(operator.page.locator("main")).to_contain_text("Tujuan versi rekan kerja")
    expect(operator.page.locator("main")).to_contain_text("Manfaat versi saya")  # not lost
    operator.check("30-stale-form-conflict")
    assert web_world.runtime.commands.innovation(iid).profile.benefits != "Manfaat versi saya"


def test_save_pressed_while_the_inline_check_answers(
    open_session: Any, web_world: WebWorld
) -> None:
    """Pressing "Simpan isian" leaves the field, so its inline check goes out; its answer adds a
    line above the button. A person's press lasts long enough for that answer to arrive before
    the release: the button must not move under the pointer, or the release lands beside it and
    nothing is saved (seen in CI)."""
    iid = web_world.complete_draft("Simpan Saat Diperiksa")
    operator = open_session("operator-save-race")
    operator.login("op.dukcapil")
    page = operator.page
    operator.goto(f"/inovasi/{iid}/isian")
    section = _section(page, "Tujuan, manfaat dan hasil")
    button = section.get_by_role("button", name="Simpan isian")

    def press_save(field: str, text: str) -> None:
        section.get_by_label(field).fill(text)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        with page.expect_response(lambda r: r.url.endswith("/periksa")):
            page.mouse.down()  # the field loses focus: its check is sent
        page.wait_for_timeout(300)  # the check's answer is in the page before the release

    # A press that slides off the button saves nothing, and the held answer is then shown.
    press_save("Manfaat inovasi", "Warga tidak perlu ke kota.")
    page.mouse.move(5, 5)
    page.mouse.up()
    expect(page.locator("#f-benefits-msg")).to_contain_text("sudah benar")
    press_save("Hasil inovasi", "Tersimpan walau pemeriksaan menjawab dulu.")
    page.mouse.up()
    expect(page.locator(".notice")).to_contain_text("tersimpan")
    outcome = web_world.runtime.commands.innovation(iid).profile.results
    assert outcome == "Tersimpan walau pemeriksaan menjawab dulu."


def test_search_and_queue_filters_update_in_place(
    open_session: Any, sweep_records: dict[str, str]
) -> None:
    visitor = open_session("visitor")
    visitor.goto("/katalog")
    visitor.page.get_by_role("searchbox", name="Cari").fill("terpublikasi")
    expect(visitor.page).to_have_url(re.compile(r"q=terpublikasi"))  # pushed by HTMX, no reload
    expect(visitor.page.locator("#results")).to_contain_text("Terpublikasi Uji")
    visitor.page.get_by_role("searchbox", name="Cari").fill("tidakadahasilnya")
    expect(visitor.page.locator("#results")).to_contain_text("Tidak ada inovasi yang cocok")
    visitor.check("40-catalogue-search")

    admin = open_session("admin-filters")
    admin.login("admin")
    admin.page.get_by_label("Petugas").select_option("belum")
    expect(admin.page).to_have_url(re.compile(r"petugas=belum"))
    expect(admin.page.locator("#queue")).not_to_contain_text("Dalam Verifikasi Uji")
    admin.page.get_by_label("Petugas").select_option("semua")
    expect(admin.page.locator("#queue")).to_contain_text("Dalam Verifikasi Uji")
    admin.check("41-queue-filter")
