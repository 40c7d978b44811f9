"""Issue 20 in a real browser (Debian's Chromium via Playwright), at phone (390×844) and laptop
(1366×768) size: the operator's form keeps everything typed and warns before leaving unsaved
changes; the reviewer's page fits the screen and returns to the document just judged; the admin
decides with both reviewers' scores in view; every innovation page shows where it stands.

axe-core runs on every page state touched here and must report no violation of any impact.
Screenshots go to ``test-artifacts/web/`` (``daily-<size>-…``), the operator's and the
reviewer's main path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from playwright.sync_api import expect

from services.commands import account_id_for
from services.domain.actor import Actor, Role
from services.domain.values import DocumentKind, IndicatorVerdict, Profile, Stage
from tests.factories import MANDATORY
from tests.web.conftest import PHONE, Session
from tests.web.world import WebWorld

LAPTOP = {"width": 1366, "height": 768}
SIZES = {"ponsel": PHONE, "laptop": LAPTOP}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """The embedded default (SQLite), as ``sirisma serve`` runs."""
    from services.config import load_settings
    from services.startup import start_runtime

    runtime = start_runtime(load_settings(env={}, data_dir=str(tmp_path_factory.mktemp("daily"))))
    try:
        yield WebWorld(runtime)
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def second_reviewer(web_world: WebWorld) -> Actor:
    """A second assessor (commands only: nobody logs in as them)."""
    from services.domain.aggregate import Context

    system = Context(actor=Actor.system(), correlation_id="daily-seed")
    web_world.runtime.commands.create_account(
        system,
        username="penilai.dua",
        full_name="Penilai Kedua",
        email="penilai.dua@sragenkab.go.id",
        role=Role.REVIEWER,
        organisation_id=web_world.bappeda_id,
        password_hash="x",
    )
    return Actor(account_id_for("penilai.dua"), Role.REVIEWER, web_world.bappeda_id)


@pytest.fixture
def open_sized(browser: Any, live_server: str) -> Iterator[Any]:
    contexts: list[Any] = []

    def make(name: str, size: str) -> Session:
        phone = size == "ponsel"
        context = browser.new_context(
            viewport=SIZES[size],
            device_scale_factor=1,
            is_mobile=phone,
            has_touch=phone,
            locale="id-ID",
            timezone_id="Asia/Jakarta",
        )
        contexts.append(context)
        return Session(context, live_server, name)

    yield make
    for context in contexts:
        context.close()


def _clean(session: Session, step: str) -> None:
    """Screenshot, then no accessibility violation of any impact and no browser error."""
    session.shot(step)
    violations = session.axe(every=True)
    assert not violations, f"{step}: accessibility violations: {violations}"
    assert not session.errors, f"{step}: browser errors: {session.errors}"


def _no_sideways_scroll(session: Session) -> None:
    """Neither the page nor any region inside it scrolls sideways, and nothing sticks out of
    the screen (a table clipped inside a scrolling card counts)."""
    widths = session.page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    overflowing = session.page.evaluate(
        """() => {
            const limit = document.documentElement.clientWidth + 1;
            const out = [];
            for (const el of document.querySelectorAll('main *')) {
                const r = el.getBoundingClientRect();
                if (r.width === 0) continue;
                if (r.right > limit) out.push(el.tagName + '.' + el.className + ' ' + r.right);
                if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
                    const x = getComputedStyle(el).overflowX;
                    if (x === 'auto' || x === 'scroll') out.push(el.className + ' scrolls');
                }
            }
            return out.slice(0, 5);
        }"""
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths} {overflowing}"
    assert not overflowing, f"wider than the screen: {overflowing}"


def _section(page: Any, title: str) -> Any:
    return page.locator("section", has=page.get_by_role("heading", name=re.compile(title)))


def _current_step(session: Session) -> Any:
    return session.page.locator('ol.stepper [aria-current="step"]')


@pytest.mark.parametrize("size", list(SIZES))
def test_operator_form_keeps_every_keystroke(
    size: str, open_sized: Any, web_world: WebWorld
) -> None:
    c = web_world.runtime.commands
    iid = c.propose(
        web_world.ctx(web_world.operator),
        call_id=web_world.call_id,
        profile=Profile(title=f"Formulir Utuh {size}"),
    ).id
    operator = open_sized("operator", size)
    operator.login("op.dukcapil")
    page = operator.page
    operator.goto(f"/inovasi/{iid}/isian")
    expect(_current_step(operator)).to_contain_text("Draf")
    expect(page.locator("[data-next-step]")).to_contain_text("ajukan")
    expect(page.locator("main")).not_to_contain_text(re.compile(r"versi \d"))
    expect(page.locator("[data-save-state]")).to_have_text("Semua isian tersimpan.")
    _no_sideways_scroll(operator)
    _clean(operator, f"daily-{size}-01-operator-form")

    # Type in "Rancang bangun", then save from "Profil inovasi": the design text is kept.
    design_text = "Peraturan Bupati Sragen Nomor 87 Tahun 2021 tentang inovasi daerah."
    legal = _section(page, "Rancang bangun").get_by_label("Dasar hukum")
    legal.click()
    legal.fill(design_text)
    expect(page.locator("[data-save-state]")).to_have_text("Ada perubahan yang belum disimpan.")
    profile = _section(page, "Profil inovasi")
    profile.get_by_label("Tahapan inovasi").select_option("inisiatif")
    _section(page, "Anggaran").get_by_label(re.compile("T-0")).fill("1250000")
    profile.get_by_role("button", name="Simpan isian").click()
    expect(page.locator(".notice")).to_contain_text("tersimpan")
    expect(page).to_have_url(re.compile("#bagian-profil$"))
    expect(_section(page, "Rancang bangun").get_by_label("Dasar hukum")).to_have_value(design_text)
    expect(page.locator("[data-save-state]")).to_have_text("Semua isian tersimpan.")
    expect(_section(page, "Anggaran").get_by_label(re.compile("T-0"))).to_have_value("1.250.000")
    stored = c.innovation(iid).profile
    assert stored.design.legal_basis == design_text
    assert str(stored.stage) == "inisiatif"
    assert stored.budget.apbd_t0 == 1250000
    _clean(operator, f"daily-{size}-02-operator-form-saved")

    # A refused save keeps what was typed and drops the "wajib diisi" hint of a filled field.
    expect(page.locator("#f-initiator-name-msg")).to_contain_text("wajib diisi")
    profile = _section(page, "Profil inovasi")
    profile.get_by_label("Nama inisiator").fill("Kepala Dinas Dukcapil")
    profile.get_by_label("Waktu uji coba").fill("2024-03-01")
    profile.get_by_label("Waktu penerapan").fill("2023-01-01")
    profile.get_by_role("button", name="Simpan isian").click()
    expect(page.locator("#f-implementation-date")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-initiator-name")).to_have_value("Kepala Dinas Dukcapil")
    expect(page.locator("#f-initiator-name-msg")).not_to_contain_text("wajib diisi")
    expect(page.locator("[data-save-state]")).to_have_text("Ada perubahan yang belum disimpan.")
    _clean(operator, f"daily-{size}-03-operator-form-refused")

    # Leaving with unsaved changes asks first.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.type))
    page.get_by_role("link", name="Dokumen", exact=True).click()
    expect(page).to_have_url(re.compile("/dokumen$"))
    assert "beforeunload" in dialogs
    assert c.innovation(iid).profile.initiator_name == ""  # the refused save stored nothing

    # The overview shows the amount as people read it.
    operator.goto(f"/inovasi/{iid}")
    expect(page.locator("main")).to_contain_text("Rp 1.250.000")

    # The submit page: the button is disabled and says why.
    operator.goto(f"/inovasi/{iid}/ajukan")
    button = page.get_by_role("button", name="Ya, ajukan sekarang")
    expect(button).to_be_disabled()
    expect(page.locator("#submit-blocked")).to_contain_text("belum lengkap")
    _clean(operator, f"daily-{size}-04-operator-submit-blocked")


LONG_NAME = "SK_Bupati_Sragen_Nomor_188_45_123_Tahun_2024_tentang_Tim_Pelaksana_Inovasi_Layanan.pdf"


def _under_review_with_long_names(web_world: WebWorld, title: str) -> Any:
    """Assigned to the reviewer, with evidence named the way real files are (long, no spaces),
    the kind that pushed the old scoring table out of its card."""
    c = web_world.runtime.commands
    op = web_world.ctx(web_world.operator)
    iid = web_world.complete_draft(title)
    for no in (5, 6):
        doc = msgspec.structs.replace(web_world.pdf(DocumentKind.SK, no), name=LONG_NAME)
        c.attach_document(op, iid, doc)
        c.claim_indicator(op, iid, no=no, level=3, evidence=[doc.doc_id])
    c.submit(op, iid)
    assert web_world.reviewer.account_id is not None
    c.assign_reviewer(web_world.ctx(web_world.admin), iid, web_world.reviewer.account_id)
    return iid


@pytest.mark.parametrize("size", list(SIZES))
def test_reviewer_page_fits_and_stays_where_the_reviewer_was(
    size: str, open_sized: Any, web_world: WebWorld
) -> None:
    title = f"Verifikasi Pas Layar {size}"
    iid = _under_review_with_long_names(web_world, title)
    unassigned = web_world.submitted(f"Belum Ditugaskan {size}")
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)
    reviewer = open_sized("reviewer", size)
    reviewer.login("verifikator")
    page = reviewer.page

    # The queue opens on the reviewer's own items.
    reviewer.goto("/verifikasi")
    expect(page.get_by_label("Petugas")).to_have_value("saya")
    expect(page.locator("#queue")).to_contain_text(title)
    expect(page.locator("#queue")).not_to_contain_text(f"Belum Ditugaskan {size}")
    _clean(reviewer, f"daily-{size}-10-reviewer-queue")
    page.get_by_label("Petugas").select_option("semua")  # the rest is one choice away
    expect(page.locator("#queue")).to_contain_text(f"Belum Ditugaskan {size}")
    expect(page).to_have_url(re.compile("petugas=semua"))
    assert unassigned

    reviewer.goto(f"/verifikasi/{iid}")
    expect(_current_step(reviewer)).to_contain_text("Dalam Verifikasi")
    expect(page.locator("main")).not_to_contain_text(re.compile(r"versi \d"))
    _no_sideways_scroll(reviewer)
    level = page.locator("#v-level-20")
    level.scroll_into_view_if_needed()
    expect(level).to_be_in_viewport()
    box = level.bounding_box()
    assert box is not None and box["x"] + box["width"] <= SIZES[size]["width"]
    if size == "laptop":
        expect(page.get_by_role("columnheader", name="Level terverifikasi")).to_be_visible()
    expect(page.get_by_label("Catatan untuk indikator 5: ", exact=False)).to_have_count(1)
    notes = page.locator("label[for^='v-note-']")
    texts = notes.all_text_contents()
    assert len(texts) == 20 and all(re.search(r"untuk indikator \d+: \S", t) for t in texts)
    _clean(reviewer, f"daily-{size}-11-reviewer-page")

    # Judge the last document: the page comes back at that document, saying it was saved.
    documents = page.locator(".doc-list > li")
    target = documents.last
    doc_id = str(target.get_attribute("id"))
    target.get_by_role("button", name="Terima").click()
    expect(page).to_have_url(re.compile(f"#{doc_id}$"))
    saved = page.locator(f"#{doc_id}")
    expect(saved).to_contain_text("tersimpan")
    expect(saved).to_be_in_viewport()
    _no_sideways_scroll(reviewer)
    _clean(reviewer, f"daily-{size}-12-reviewer-document-judged")

    # Score: the page comes back at the scores.
    for no in MANDATORY:
        page.locator(f"#v-level-{no}").select_option("2")
    page.get_by_role("button", name="Simpan nilai").click()
    expect(page).to_have_url(re.compile("#bagian-nilai$"))
    expect(_current_step(reviewer)).to_contain_text("Dinilai")
    _clean(reviewer, f"daily-{size}-13-reviewer-scored")


@pytest.mark.parametrize("size", list(SIZES))
def test_admin_decides_with_both_scores_and_a_reason_below_the_threshold(
    size: str, open_sized: Any, web_world: WebWorld, second_reviewer: Actor
) -> None:
    c = web_world.runtime.commands
    title = f"Keputusan Berdasar {size}"
    iid = web_world.scored(title)
    assert second_reviewer.account_id is not None
    c.assign_reviewer(web_world.ctx(web_world.admin), iid, second_reviewer.account_id)
    second = web_world.ctx(second_reviewer)
    c.score(second, iid, [IndicatorVerdict(no=no, level=1) for no in MANDATORY])
    c.recommend(second, iid, recommendation="reject", note="Bukti manfaat belum kuat.")
    c.recommend(web_world.ctx(web_world.reviewer), iid, recommendation="approve")
    to_assign = web_world.submitted(f"Untuk Ditugaskan {size}")
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)

    admin = open_sized("admin", size)
    admin.login("admin")
    page = admin.page

    # Assignment results name the innovations.
    page.get_by_label(f"Pilih Untuk Ditugaskan {size}").check()
    page.get_by_label("Verifikator", exact=True).select_option(label="Verifikator Uji")
    page.get_by_role("button", name="Tugaskan").click()
    expect(page.locator("table")).to_contain_text(f"Untuk Ditugaskan {size}")
    expect(page.locator("table")).not_to_contain_text(str(to_assign)[:8])
    _clean(admin, f"daily-{size}-20-admin-assignment-result")

    admin.goto(f"/verifikasi/{iid}")
    basis = page.locator("#dasar-keputusan")
    expect(basis).to_contain_text("Verifikator Uji")
    expect(basis).to_contain_text("Penilai Kedua")
    expect(basis).to_contain_text("Layak disetujui")
    expect(basis).to_contain_text("Tidak layak")
    expect(basis).to_contain_text("Bukti manfaat belum kuat.")
    expect(basis).to_contain_text(re.compile(r"Selisih nilai antar verifikator: \d+ poin"))
    expect(page.locator("#approve-warning")).to_contain_text("di bawah ambang 60")
    expect(page.get_by_label(re.compile("Alasan persetujuan"))).to_have_attribute("required", "")
    _no_sideways_scroll(admin)
    _clean(admin, f"daily-{size}-21-admin-decision")

    page.get_by_label(re.compile("Alasan persetujuan")).fill("Prioritas daerah tahun ini.")
    page.get_by_role("button", name="Setujui").click()
    expect(page.locator(".badge").first).to_have_text("Disetujui")
    expect(_current_step(admin)).to_contain_text("Disetujui")
    expect(page.locator("[data-next-step]")).to_contain_text("tetapkan")
    _clean(admin, f"daily-{size}-22-admin-approved")
    approved = c.innovation(iid)
    assert approved.decision_reason == "Prioritas daerah tahun ini."

    # "Naikkan tahapan" proposes the stage after the current one, and only later ones.
    early = c.propose(
        web_world.ctx(web_world.operator),
        call_id=web_world.call_id,
        profile=Profile(title=f"Masih Inisiatif {size}", stage=Stage.INISIATIF),
    ).id
    admin.goto(f"/verifikasi/{early}")
    stage = page.locator("#adv-stage")
    expect(stage).to_have_value("uji_coba")
    assert stage.locator("option").all_inner_texts() == ["Uji Coba", "Penerapan"]
    expect(_current_step(admin)).to_contain_text("Draf")
    _clean(admin, f"daily-{size}-23-admin-advance-stage")
