"""The admin's own pages in Chromium at phone and laptop size: the inbox bell, the
administration pages, the long lists with paging, downloads and the bulk reminder, and the PDFs.

Every page state is screenshotted under ``test-artifacts/web/`` and must have no axe-core
violation at all (not only critical ones).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.notification.helpers import inbox_item
from tests.web.conftest import Session
from tests.web.world import PASSWORD, WebWorld

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """The embedded default (SQLite), as ``sirisma serve`` runs."""
    from services.config import load_settings
    from services.startup import start_runtime

    data = str(tmp_path_factory.mktemp("admin-web"))
    runtime = start_runtime(load_settings(env={}, data_dir=data))
    try:
        world = WebWorld(runtime)
        for n in range(3):
            world.submitted(f"Antrean Peramban {n}")
        runtime.read_models.wait_for(runtime.store.max_notification_id(), 10)
        yield world
    finally:
        runtime.close()


@pytest.fixture
def sized_session(browser: Any, live_server: str) -> Iterator[Callable[[str, str], Session]]:
    contexts: list[Any] = []

    def make(name: str, size: str) -> Session:
        phone = size == "phone"
        context = browser.new_context(
            viewport=SIZES[size],
            device_scale_factor=1,
            is_mobile=phone,
            has_touch=phone,
            locale="id-ID",
            timezone_id="Asia/Jakarta",
            accept_downloads=True,
        )
        contexts.append(context)
        return Session(context, live_server, f"{name}-{size}")

    yield make
    for context in contexts:
        context.close()


def check(session: Session, step: str) -> None:
    """Screenshot, then no axe violation of any impact and no browser error."""
    session.shot(f"{step}-{session.name}")
    session.axe()  # injects axe-core; its own filter keeps critical ones only
    violations = session.page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target)}`)"""
    )
    assert violations == [], f"{step}: {violations}"
    assert not session.errors, f"{step}: browser errors: {session.errors}"


@pytest.mark.slow
@pytest.mark.parametrize("size", list(SIZES))
def test_admin_main_path(size: str, sized_session: Any, web_world: WebWorld) -> None:
    for _ in range(2):
        inbox_item(web_world.runtime, str(web_world.admin.account_id))
    admin = sized_session("admin", size)
    admin.login("admin")
    page = admin.page

    # --- the bell and the inbox ----------------------------------------------------------------
    bell = page.locator("a[data-bell]")
    expect(bell).to_have_attribute("aria-label", re.compile(r"Notifikasi: [1-9]\d* belum dibaca"))
    bell.click()
    expect(page.get_by_role("heading", name="Notifikasi", level=1)).to_be_visible()
    check(admin, "50-inbox-unread")
    page.get_by_role("button", name="Tandai semua sudah dibaca").click()
    expect(page.locator(".notice")).to_contain_text("Semua notifikasi ditandai sudah dibaca")
    expect(bell).to_have_attribute("aria-label", "Notifikasi: 0 belum dibaca")
    check(admin, "51-inbox-read")

    # --- organisations and accounts --------------------------------------------------------------
    code = f"UPTD-{size.upper()}"
    admin.goto("/admin/organisasi")
    page.get_by_label("Jenis organisasi").select_option("uptd")
    page.get_by_label("Kode").fill(code)
    page.get_by_label("Nama organisasi").fill(f"UPTD Pasar {size}")
    page.get_by_role("button", name="Daftarkan").click()
    expect(page.locator(".notice")).to_contain_text("Organisasi terdaftar")
    check(admin, "52-organisation-created")

    admin.goto("/admin/akun")
    new = page.locator("section[aria-labelledby=account-new]")
    new.get_by_label("Nama pengguna").fill(f"op.pasar.{size}")
    new.get_by_label("Nama lengkap").fill("Operator Pasar")
    new.get_by_label("Peran").select_option("operator")
    new.get_by_label("Organisasi").select_option(label=f"UPTD Pasar {size}")
    new.get_by_label("Kata sandi awal").fill("pendek")
    new.get_by_role("button", name="Buat akun").click()
    expect(page.locator("#account-error")).to_contain_text("Kata sandi minimal")
    new = page.locator("section[aria-labelledby=account-new]")
    expect(new.get_by_label("Nama pengguna")).to_have_value(f"op.pasar.{size}")
    check(admin, "53-account-refused")
    new.get_by_label("Kata sandi awal").fill(PASSWORD)
    new.get_by_role("button", name="Buat akun").click()
    expect(page.locator(".notice")).to_contain_text("Akun dibuat")
    row = page.locator(f'tr[data-account="op.pasar.{size}"]')
    row.locator("summary").click()
    row.get_by_role("button", name="Nonaktifkan").click()
    expect(page.locator(".notice")).to_contain_text("Akun dinonaktifkan")
    expect(page.locator(f'tr[data-account="op.pasar.{size}"]')).to_contain_text("Nonaktif")
    check(admin, "54-account-disabled")

    # --- calls ---------------------------------------------------------------------------------
    admin.goto("/admin/panggilan")
    form = page.locator("section", has=page.get_by_role("heading", name="Buka panggilan baru"))
    form.get_by_label("Jenis panggilan").select_option("krenova")
    form.get_by_label("Judul").fill(f"Krenova Peramban {size}")
    form.get_by_label("Batas waktu (WIB)").fill("2000-01-01T10:00")  # before it opens
    form.get_by_label("Masyarakat (Krenova)").check()
    form.get_by_role("button", name="Buka panggilan").click()
    expect(page.locator("#call-error")).to_contain_text("Batas waktu harus setelah")
    check(admin, "55-call-refused")
    form = page.locator("section", has=page.get_by_role("heading", name="Buka panggilan baru"))
    form.get_by_label("Batas waktu (WIB)").fill("2099-12-31T23:59")
    form.get_by_role("button", name="Buka panggilan").click()
    expect(page.locator(".notice")).to_contain_text("Panggilan dibuka")
    call_row = page.locator("tr", has_text=f"Krenova Peramban {size}")
    call_row.get_by_text("Tutup sekarang").click()
    call_row.get_by_label("Alasan penutupan").fill("Diuji dari peramban")
    call_row.get_by_role("button", name="Tutup panggilan").click()
    expect(page.locator(".notice")).to_contain_text("Panggilan ditutup")
    expect(page.locator("tr", has_text=f"Krenova Peramban {size}")).to_contain_text("Ditutup")
    check(admin, "56-call-closed")

    # --- compliance: paging, download, bulk reminder ---------------------------------------------
    admin.goto("/kepatuhan")
    expect(page.get_by_role("link", name="CSV")).to_be_visible()
    check(admin, "57-compliance")
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.startswith("kepatuhan-")
    page.get_by_role("button", name="Kirim pengingat").click()
    expect(page.locator("[data-reminded]")).to_contain_text("organisasi")
    check(admin, "58-reminder-sent")

    # --- the queue: bulk tools reachable on a phone without scrolling ----------------------------
    admin.goto("/verifikasi")
    select_all = page.get_by_label("Pilih semua di halaman ini")
    first_row = page.locator("#queue tbody tr").first
    tools_y = page.get_by_role("button", name="Tugaskan").bounding_box()["y"]  # type: ignore[index]
    assert select_all.bounding_box()["y"] < first_row.bounding_box()["y"]  # type: ignore[index]
    assert tools_y < first_row.bounding_box()["y"]  # type: ignore[index]
    select_all.check()
    expect(page.get_by_label("Pilih Antrean Peramban 0")).to_be_checked()
    check(admin, "59-queue-select-all")

    # --- the review sheet PDF from the review page ---------------------------------------------
    page.get_by_role("link", name="Antrean Peramban 0").click()
    with page.expect_download() as sheet:
        page.get_by_role("link", name="Lembar penilaian (PDF)").click()
    assert sheet.value.suggested_filename.startswith("lembar-penilaian-")

    # --- printing the page: the record without the application around it ---------------------
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Menu utama")).to_be_hidden()
    expect(page.locator("footer.site")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    admin.shot(f"60-review-print-{admin.name}")
    page.emulate_media(media="screen")


# Page states added by issue 20 for the other roles (and the public), each at both sizes.
OTHER_STATES: dict[str, list[str]] = {
    "anonymous": ["/krenova/pemenang", "/masuk?next=/notifikasi", "/katalog?halaman=1"],
    "op.dukcapil": ["/notifikasi", "/inovasi/{submitted}", "/kepatuhan"],
    "verifikator": ["/notifikasi", "/verifikasi?halaman=1", "/dasbor-daerah"],
    "auditor": ["/audit?halaman=1", "/kepatuhan?halaman=1"],
}
EXPECTED = {("op.dukcapil", "/kepatuhan"): 403}


@pytest.mark.slow
@pytest.mark.parametrize("size", list(SIZES))
def test_other_roles_new_states_are_accessible(
    size: str, sized_session: Any, web_world: WebWorld
) -> None:
    submitted = str(web_world.submitted(f"Profil Cetak {size}"))
    inbox_item(web_world.runtime, str(web_world.operator.account_id))
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)
    for role, paths in OTHER_STATES.items():
        session = sized_session(role, size)
        if role != "anonymous":
            session.login(role)
            expect(session.page.locator("a[data-bell]")).to_be_visible()
        for template in paths:
            path = template.format(submitted=submitted)
            response = session.goto(path)
            assert response.status == EXPECTED.get((role, template), 200), path
            step = re.sub(r"[^a-z0-9]+", "-", f"60-{role}-{template}")
            check(session, step)
            if template == "/masuk?next=/notifikasi":
                expect(session.page.locator("[data-login-first]")).to_contain_text(
                    "Silakan masuk dulu"
                )
            if template == "/inovasi/{submitted}":
                with session.page.expect_download() as receipt:
                    session.page.get_by_role("link", name="Tanda terima pengajuan").click()
                assert receipt.value.suggested_filename.startswith("tanda-terima-")
            if (role, template) == ("op.dukcapil", "/kepatuhan"):
                expect(session.page.locator("main")).to_contain_text("Admin Bappeda Litbang")
        session.context.close()
