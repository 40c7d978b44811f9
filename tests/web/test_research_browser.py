"""Riset daerah in a real browser (Debian's Chromium via Playwright), at phone size: an operator
proposes and submits a study, the admin assigns a reviewer, the reviewer scores (a readable
message first for a missing score), the admin approves. Every research page has no axe-core
violation at all (any impact) and no JavaScript or CSP error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from services.domain.aggregate import Context
from services.domain.call import jakarta_date
from services.domain.research.values import Output, OutputKind
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


def _drive_to_executing(world: WebWorld, pid: Any) -> None:
    from services.domain.research import criteria
    from services.domain.research.values import CriterionScore

    r = ResearchCommands(world.runtime.store)
    admin, op = Context(actor=world.admin), Context(actor=world.operator)
    r.submit(op, pid)
    assert world.reviewer.account_id is not None
    r.assign_reviewer(admin, pid, world.reviewer.account_id)
    year = world.now.year
    scores = tuple(CriterionScore(key=c.key, score=80) for c in criteria.criteria(year))
    r.score(Context(actor=world.reviewer), pid, scores)
    r.approve(admin, pid)
    r.start(op, pid, "swakelola", jakarta_date(world.now))


def test_agenda_setup_draft_edit_output_file_and_follow_up(
    open_session: Any, web_world: WebWorld, tmp_path: Any
) -> None:
    from tests.research.factories import complete_body
    from tests.web.world import MINIMAL_PDF

    year = web_world.now.year
    admin = open_session("admin")
    admin.login("admin")
    admin.goto(f"/riset/agenda?tahun={year}")
    page = admin.page
    page.get_by_label("Kode tema (mis. R3)").fill("R9")
    page.get_by_label("Judul tema").fill("Inovasi layanan kependudukan")
    page.get_by_label("Prioritas", exact=True).select_option("tinggi")
    page.get_by_label("Sasaran / misi RPJMD yang didukung").fill("Misi 1: tata kelola digital")
    page.get_by_label("Kode urusan (mis. 1.02)").fill("2.12")
    page.get_by_role("button", name="Simpan tema").click()
    expect(page.locator("#tema-R9")).to_contain_text("Inovasi layanan kependudukan")
    page.get_by_label("Status", exact=True).select_option("ditetapkan")
    page.get_by_role("button", name="Simpan status").click()  # no Perkada number: refused
    expect(page.get_by_role("alert")).to_contain_text("Nomor Perkada wajib diisi")
    no_violations(admin, "riset-10-agenda-refused")
    page.get_by_label("Nomor Perkada (bila ditetapkan)").fill("Perbup 7/2026")
    page.get_by_role("button", name="Simpan status").click()
    expect(page.locator("#agenda-status")).to_have_text("Ditetapkan Perkada")
    no_violations(admin, "riset-11-agenda")

    research = ResearchCommands(web_world.runtime.store)
    op_ctx = Context(actor=web_world.operator)
    pid = research.propose(op_ctx, year=year, body=complete_body("Kajian Antrean Dukcapil")).id
    operator = open_session("operator")
    operator.login("op.dukcapil")
    operator.goto(f"/riset/usulan/{pid}")
    page = operator.page
    page.get_by_role("link", name="Ubah usulan (semua isian)").click()
    page.get_by_label("Tema agenda riset").select_option("R9")
    page.get_by_label("Latar belakang").fill("Antrean perekaman KTP-el rata-rata 3 jam.")
    page.get_by_label("Nama 3").fill("Citra Lestari")
    page.get_by_label("Volume 1").fill("sepuluh")
    page.get_by_role("button", name="Simpan usulan").click()
    expect(page.get_by_role("alert")).to_contain_text("perbaiki isian yang ditandai")
    expect(page.get_by_label("Latar belakang")).to_have_value(
        "Antrean perekaman KTP-el rata-rata 3 jam."
    )
    expect(page.get_by_text("Peran (ketua, anggota, narasumber…) wajib diisi")).to_be_visible()
    no_violations(operator, "riset-12-edit-refused")
    page.get_by_label("Peran 3").fill("anggota")
    page.get_by_label("Volume 1").fill("10")
    page.get_by_role("button", name="Simpan usulan").click()
    expect(page.get_by_text("Perubahan tersimpan")).to_be_visible()
    expect(page.get_by_text("Citra Lestari (anggota)")).to_be_visible()
    assert research.proposal(pid).body.theme_code == "R9"

    _drive_to_executing(web_world, pid)
    operator.goto(f"/riset/usulan/{pid}")
    page.get_by_label("Jenis luaran").select_option("policy_brief")
    page.get_by_label("Judul luaran").fill("Rekomendasi antrean adminduk")
    page.get_by_label("Rekomendasi (policy brief; satu per baris)").fill(
        "Buka layanan sore hari.\nJemput bola di desa."
    )
    page.get_by_role("button", name="Tambah luaran").click()
    expect(page.locator("#luaran-h")).to_be_visible()
    pdf = tmp_path / "policy-brief.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    page.get_by_label(re.compile("Unggah berkas «Rekomendasi antrean adminduk»")).set_input_files(
        str(pdf)
    )
    page.get_by_role("button", name="Unggah berkas luaran").click()
    expect(page.get_by_role("link", name="Unduh policy-brief.pdf")).to_be_visible()
    no_violations(operator, "riset-13-output-file")

    admin_ctx = Context(actor=web_world.admin)
    report = Output(output_id=uuid4(), kind=OutputKind.LAPORAN_AKHIR, title="Laporan akhir")
    research.add_output(op_ctx, pid, report)
    research.complete(admin_ctx, pid)
    research.disseminate(admin_ctx, pid, "Seminar hasil", jakarta_date(web_world.now))
    innovation = web_world.published("Antrean Sore Adminduk")
    operator.goto(f"/riset/usulan/{pid}")
    page.get_by_label("Rekomendasi").select_option(index=2)
    page.get_by_label("Organisasi yang mengadopsi").select_option(str(web_world.other_opd_id))
    page.get_by_label("Status tindak lanjut").select_option("dilaksanakan")
    page.get_by_role("button", name="Catat tindak lanjut").click()
    expect(page.locator("#follow-ups")).to_contain_text("Jemput bola di desa.")
    page.get_by_label("Inovasi", exact=True).select_option(str(innovation))
    page.get_by_role("button", name="Tautkan inovasi").click()
    expect(page.locator("#linked-innovations")).to_contain_text("Antrean Sore Adminduk")
    no_violations(operator, "riset-14-follow-up")
