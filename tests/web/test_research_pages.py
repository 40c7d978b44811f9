"""Riset pages over HTTP (no browser): the agenda setup, the draft edit of a whole TOR, output
files and follow-ups. A refused save is a readable message on the page with everything typed
still in the form, and records nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.domain.aggregate import Context
from services.domain.call import jakarta_date
from services.domain.research.values import Output, OutputKind
from services.research.service import ResearchCommands
from tests.research.factories import THEME, complete_body
from tests.web.test_pages import HTML, MINIMAL_PDF, last_event, login
from tests.web.world import WebWorld


def _research(world: WebWorld) -> ResearchCommands:
    return ResearchCommands(world.runtime.store)


def _draft(world: WebWorld, title: str) -> UUID:
    r, year = _research(world), world.now.year
    if r.agenda(year) is None or THEME.code not in r.themes(year):
        r.set_theme(Context(actor=world.admin), year, THEME)
    body = complete_body(title)
    return r.propose(Context(actor=world.operator), year=year, body=body).id


def _executing(world: WebWorld, title: str) -> UUID:
    from services.domain.research import criteria
    from services.domain.research.values import CriterionScore

    r, admin, op = _research(world), Context(actor=world.admin), Context(actor=world.operator)
    pid = _draft(world, title)
    r.submit(op, pid)
    assert world.reviewer.account_id is not None
    r.assign_reviewer(admin, pid, world.reviewer.account_id)
    scores = tuple(CriterionScore(key=c.key, score=80) for c in criteria.criteria(2026))
    r.score(Context(actor=world.reviewer), pid, scores)
    r.approve(admin, pid)
    r.start(op, pid, "swakelola", jakarta_date(world.now))
    return pid


def test_agenda_setup_on_the_page(client: Any, web_world: WebWorld) -> None:
    year = web_world.now.year + 1
    token = login(client, "admin")
    page = client.get(f"/riset/agenda?tahun={year}", headers=HTML)
    assert page.status_code == 200 and "Susun agenda" in page.text
    before = last_event(web_world)
    refused = client.post(
        f"/riset/agenda/buka?tahun={year}",
        data={"_csrf_token": token, "title": "", "rpjmd_period": "2025–2029"},
        headers=HTML,
    )
    assert refused.status_code == 422 and "Judul agenda wajib diisi" in refused.text
    assert 'value="2025–2029"' in refused.text  # what was typed is still there
    assert last_event(web_world) == before
    opened = client.post(
        f"/riset/agenda/buka?tahun={year}",
        data={"_csrf_token": token, "title": f"Agenda Riset {year}", "rpjmd_period": "2025–2029"},
        headers=HTML,
    )
    assert opened.status_code == 200 and f"Agenda Riset {year}" in opened.text
    theme = {
        "_csrf_token": token,
        "theme_code": "R7",
        "theme_title": "Ketahanan pangan",
        "theme_priority": "tinggi",
        "theme_rpjmd_goal": "Misi 3: ekonomi kerakyatan",
        "theme_rkpd_goal": "Prioritas 2",
        "theme_urusan": "2.09x",
    }
    before = last_event(web_world)
    bad = client.post(f"/riset/agenda/tema?tahun={year}", data=theme, headers=HTML)
    assert bad.status_code == 422 and "Kode urusan berupa angka dan titik" in bad.text
    assert "Misi 3: ekonomi kerakyatan" in bad.text and last_event(web_world) == before
    saved = client.post(
        f"/riset/agenda/tema?tahun={year}", data={**theme, "theme_urusan": "2.09"}, headers=HTML
    )
    assert saved.status_code == 200 and "Ketahanan pangan" in saved.text
    assert _research(web_world).agenda(year).themes["R7"].rkpd_goal == "Prioritas 2"  # type: ignore[union-attr]
    no_perkada = client.post(
        f"/riset/agenda/status?tahun={year}",
        data={"_csrf_token": token, "status": "ditetapkan", "perkada": ""},
        headers=HTML,
    )
    assert no_perkada.status_code == 422 and "Nomor Perkada wajib diisi" in no_perkada.text
    enacted = client.post(
        f"/riset/agenda/status?tahun={year}",
        data={"_csrf_token": token, "status": "ditetapkan", "perkada": "Perbup 12/2026"},
        headers=HTML,
    )
    assert enacted.status_code == 200 and "Ditetapkan Perkada" in enacted.text
    assert "level 3 pada baris SPD 14" in enacted.text

    op_token = login(client, "op.dukcapil")  # an operator reads the agenda, without the forms
    read = client.get(f"/riset/agenda?tahun={year}", headers=HTML)
    assert read.status_code == 200 and "Ketahanan pangan" in read.text
    assert "Simpan tema" not in read.text
    forbidden = client.post(
        f"/riset/agenda/tema?tahun={year}", data={**theme, "_csrf_token": op_token}, headers=HTML
    )
    assert forbidden.status_code == 403


def test_draft_edit_of_every_field_keeps_what_was_typed(client: Any, web_world: WebWorld) -> None:
    pid = _draft(web_world, "Kajian Draf Halaman")
    token = login(client, "op.dukcapil")
    form = client.get(f"/riset/usulan/{pid}/ubah", headers=HTML)
    assert form.status_code == 200 and "Dr. Ani Susanti" in form.text and "750000" in form.text
    version = _research(web_world).proposal(pid).version
    data = {
        "_csrf_token": token,
        "version": str(version),
        "title": "Kajian Draf Halaman (revisi)",
        "kind": "pengkajian",
        "theme_code": THEME.code,
        "background": "Latar belakang baru.",
        "legal_basis": "Permendagri 17/2016",
        "questions": "Pertanyaan satu?\nPertanyaan dua?",
        "method": "Survei",
        "location": "Kecamatan Tangen",
        "team_name_1": "Dr. Budi",
        "team_role_1": "ketua",
        "team_name_2": "Citra",
        "team_role_2": "",  # half a row: refused, named
        "rab_item_1": "Honor",
        "rab_qty_1": "lima",  # not a number
        "rab_unit_1": "OB",
        "rab_cost_1": "750000",
        "step_name_1": "Survei",
        "step_start_1": "2026-03-01",
        "step_end_1": "2026-04-30",
    }
    before = last_event(web_world)
    refused = client.post(f"/riset/usulan/{pid}/ubah", data=data, headers=HTML)
    assert refused.status_code == 422
    assert "Peran (ketua, anggota, narasumber…) wajib diisi pada baris ini" in refused.text
    assert "Volume harus berupa angka" in refused.text
    assert 'value="lima"' in refused.text and "Pertanyaan dua?" in refused.text
    assert last_event(web_world) == before
    early = {**data, "team_role_2": "anggota", "rab_qty_1": "2", "step_end_1": "2026-02-01"}
    domain = client.post(f"/riset/usulan/{pid}/ubah", data=early, headers=HTML)
    assert domain.status_code == 422 and "berakhir sebelum dimulai" in domain.text
    assert "Latar belakang baru." in domain.text and last_event(web_world) == before
    stale = client.post(
        f"/riset/usulan/{pid}/ubah",
        data={**early, "step_end_1": "2026-04-30", "version": str(version - 1)},
        headers=HTML,
    )
    assert stale.status_code == 409 and "telah diubah orang lain" in stale.text
    assert "Latar belakang baru." in stale.text and last_event(web_world) == before
    saved = client.post(
        f"/riset/usulan/{pid}/ubah", data={**early, "step_end_1": "2026-04-30"}, headers=HTML
    )
    assert saved.status_code == 200 and "Perubahan tersimpan" in saved.text
    body = _research(web_world).proposal(pid).body
    assert body.title == "Kajian Draf Halaman (revisi)" and body.questions[1] == "Pertanyaan dua?"
    assert [m.name for m in body.team] == ["Dr. Budi", "Citra"]
    assert body.budget[0].quantity == 2 and body.schedule[0].name == "Survei"

    login(client, "op.dinkes")  # another organisation: not found
    assert client.get(f"/riset/usulan/{pid}/ubah", headers=HTML).status_code == 404


def test_output_file_and_follow_up_on_the_page(client: Any, web_world: WebWorld) -> None:
    pid = _executing(web_world, "Kajian Luaran Halaman")
    r, op = _research(web_world), Context(actor=web_world.operator)
    brief = Output(
        output_id=UUID(int=7),
        kind=OutputKind.POLICY_BRIEF,
        title="Policy brief pangan",
        recommendations=("Bentuk lumbung desa.", "Subsidi benih."),
    )
    r.add_output(op, pid, brief)
    r.add_output(
        op, pid, Output(output_id=UUID(int=8), kind=OutputKind.LAPORAN_AKHIR, title="Laporan")
    )
    token = login(client, "op.dukcapil")
    url = f"/riset/usulan/{pid}/berkas-luaran/{brief.output_id}"
    before = last_event(web_world)
    fake = client.post(
        url,
        data={"_csrf_token": token},
        files={"file": ("brief.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        headers=HTML,
    )
    assert fake.status_code == 415 and "Jenis berkas tidak didukung" in fake.text
    assert last_event(web_world) == before
    uploaded = client.post(
        url,
        data={"_csrf_token": token},
        files={"file": ("Policy brief.pdf", MINIMAL_PDF, "application/octet-stream")},
        headers=HTML,
    )
    assert uploaded.status_code == 200 and "Unduh Policy brief.pdf" in uploaded.text
    assert r.proposal(pid).outputs[brief.output_id].file.content_type == "application/pdf"  # type: ignore[union-attr]

    admin = Context(actor=web_world.admin)
    r.complete(admin, pid)
    r.disseminate(admin, pid, "Seminar hasil", jakarta_date(web_world.now))
    token = login(client, "op.dukcapil")
    page = client.get(f"/riset/usulan/{pid}", headers=HTML)
    assert "Catat tindak lanjut" in page.text and "Tautkan inovasi" in page.text
    before = last_event(web_world)
    missing = client.post(
        f"/riset/usulan/{pid}/tindak-lanjut",
        data={"_csrf_token": token, "recommendation": "", "status": "dilaksanakan", "note": "SK 9"},
        headers=HTML,
    )
    assert missing.status_code == 422 and "Pilih rekomendasi" in missing.text
    assert 'value="SK 9"' in missing.text and last_event(web_world) == before
    adopted = client.post(
        f"/riset/usulan/{pid}/tindak-lanjut",
        data={
            "_csrf_token": token,
            "recommendation": f"{brief.output_id}:1",
            "organisation_id": str(web_world.other_opd_id),
            "status": "dilaksanakan",
            "note": "SK 9",
        },
        headers=HTML,
    )
    assert adopted.status_code == 200 and "Subsidi benih." in adopted.text
    innovation = web_world.published("Lumbung Desa Digital")
    linked = client.post(
        f"/riset/usulan/{pid}/tautan-inovasi",
        data={"_csrf_token": token, "innovation_id": str(innovation), "link": "asal_inovasi"},
        headers=HTML,
    )
    assert linked.status_code == 200 and "Lumbung Desa Digital" in linked.text
    assert "Melahirkan inovasi" in linked.text

    client.cookies.clear()  # disseminated: the file is public
    public = client.get(f"/api/research/proposals/{pid}/outputs/{brief.output_id}/file")
    assert public.status_code == 200 and public.content == MINIMAL_PDF
