"""Riset daerah in a real browser (Debian's Chromium via Playwright), at phone size: an operator
proposes and submits a study, the admin assigns a reviewer, the reviewer scores (a readable
message first for a missing score), the admin approves. Every research page has no axe-core
violation at all (any impact) and no JavaScript or CSP error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from services.domain.aggregate import Context
from services.research.demo import THEMES
from services.research.service import ResearchCommands
from tests.web.world import WebWorld


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """The embedded default (SQLite), with the year's research agenda set by the admin."""
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("research-browser")
    runtime = start_runtime(load_settings(env={}, data_dir=str(data)))
    try:
        world = WebWorld(runtime)
        research = ResearchCommands(runtime.store)
        admin = Context(actor=world.admin)
        for theme in THEMES:
            research.set_theme(admin, world.now.year, theme)
        yield world
    finally:
        runtime.close()


def no_violations(session: Any, step: str) -> None:
    """The suite's check (screenshot, no critical violation, no browser error), then none of
    any impact on these pages."""
    session.check(step)
    found = session.page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"""
    )
    assert found == [], f"{step}: {found}"


def test_propose_submit_assign_score_and_approve(open_session: Any, web_world: WebWorld) -> None:
    operator = open_session("operator")
    operator.login("op.dukcapil")
    page = operator.page
    page.get_by_role("link", name="Riset Daerah").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Riset Daerah")
    no_violations(operator, "riset-01-home")
    page.get_by_role("link", name="Usulkan riset baru").click()
    no_violations(operator, "riset-02-form")
    page.get_by_label("Judul riset").fill("Kajian Antrean Layanan Adminduk")
    page.get_by_label("Tema agenda riset").select_option("R2")
    page.get_by_label("Mitra (perguruan tinggi, BRIN, LSM)").fill("Universitas Sebelas Maret")
    page.get_by_label("Latar belakang").fill("Antrean rata-rata 3 jam di kantor kecamatan.")
    page.get_by_label("Dasar hukum").fill("Permendagri 17/2016")
    page.get_by_label("Pertanyaan penelitian (satu per baris)").fill("Apa penyebab antrean?")
    page.get_by_label("Metode").fill("Survei pengunjung dan observasi.")
    page.get_by_label("Lokasi", exact=True).fill("Kecamatan Sragen")
    page.get_by_label("Ketua tim").fill("Dr. Ani Susanti")
    page.get_by_label("Uraian 1").fill("Honor enumerator")
    page.get_by_label("Volume 1").fill("10")
    page.get_by_label("Satuan 1").fill("OB")
    page.get_by_label("Harga satuan (Rp) 1").fill("750000")
    page.get_by_label("Tahap 1", exact=True).fill("Pengumpulan data")
    page.get_by_label("Mulai tahap 1").fill("2026-03-01")
    page.get_by_label("Selesai tahap 1").fill("2026-05-31")
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("#riset-status")).to_have_text("Draf")
    proposal_url = re.sub(r"\?.*$", "", page.url)
    path = proposal_url.split(operator.base_url, 1)[1]
    no_violations(operator, "riset-03-draft")
    page.get_by_role("button", name="Ajukan usulan").click()
    expect(page.locator("#riset-status")).to_have_text("Diajukan")

    admin = open_session("admin")
    admin.login("admin")
    admin.goto(path)
    admin.page.get_by_label("Penelaah").select_option(label="Verifikator Uji")
    admin.page.get_by_role("button", name="Tugaskan penelaah").click()
    expect(admin.page.locator("#riset-status")).to_have_text("Dalam penelaahan")
    no_violations(admin, "riset-04-assigned")

    reviewer = open_session("reviewer")
    reviewer.login("verifikator")
    reviewer.goto(path)
    reviewer.page.get_by_role("button", name="Simpan nilai").click()  # nothing filled in
    expect(reviewer.page.get_by_role("alert")).to_contain_text("harus angka 0–100")
    no_violations(reviewer, "riset-05-score-refused")
    for field in reviewer.page.get_by_role("spinbutton").all():
        field.fill("85")
    reviewer.page.get_by_role("button", name="Simpan nilai").click()
    expect(reviewer.page.get_by_text("Rata-rata nilai: 85.00")).to_be_visible()

    admin.goto(path)
    admin.page.get_by_label("Pagu disetujui (Rp)").fill("7500000")
    admin.page.get_by_role("button", name="Setujui usulan").click()
    expect(admin.page.locator("#riset-status")).to_have_text("Disetujui")
    no_violations(admin, "riset-06-approved")
