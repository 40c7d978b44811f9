"""The PDFs read back with pypdf: the profile in the form's sections, the receipt with the
files' hashes, the review sheet with the verdicts and scores; the same access rule as the page."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader

from services.domain.rubric import load_rubric
from tests.web.test_pages import HTML, login
from tests.web.world import WebWorld


def _text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_profile_and_receipt_of_a_submitted_innovation(client: Any, web_world: WebWorld) -> None:
    iid = web_world.submitted("Cetak Profil Ümbul Ⅱ")
    innovation = web_world.runtime.commands.innovation(iid)
    login(client, "op.dukcapil")
    overview = client.get(f"/inovasi/{iid}", headers=HTML).text
    assert f'href="/inovasi/{iid}/profil.pdf"' in overview
    assert f'href="/inovasi/{iid}/tanda-terima.pdf"' in overview

    profile = client.get(f"/inovasi/{iid}/profil.pdf")
    assert profile.status_code == 200
    assert profile.headers["content-type"] == "application/pdf"
    text = _text(profile.content)
    assert "Profil Inovasi Daerah: Cetak Profil Ümbul Ⅱ" in text  # any Unicode prints
    for section in (
        "A. Identitas inovasi",
        "Dinas Dukcapil",
        "B. Rancang bangun",
        "Dasar hukum",
        "C. Tujuan, manfaat dan hasil",
        "D. Anggaran",
        "E. Indikator inovasi daerah",
        "Regulasi inovasi daerah",
    ):
        assert section in text, section
    card = innovation.scorecard(
        __import__("services.domain.rubric").domain.rubric.load_rubric(2025)
    )
    assert f"klaim {card.claimed_total}" in text

    receipt = _text(client.get(f"/inovasi/{iid}/tanda-terima.pdf").content)
    assert "Tanda Terima Pengajuan Inovasi" in receipt and str(iid) in receipt
    assert "Op Dukcapil Uji" in receipt  # who submitted
    for state in innovation.documents.values():
        assert state.document.sha256[:40] in receipt.replace(" ", "")

    # Another organisation's operator gets nothing.
    login(client, "op.dinkes")
    assert client.get(f"/inovasi/{iid}/profil.pdf", headers=HTML).status_code == 404


def test_a_draft_has_no_receipt(client: Any, web_world: WebWorld) -> None:
    iid = web_world.complete_draft("Draf Tanpa Tanda Terima")
    login(client, "op.dukcapil")
    refused = client.get(f"/inovasi/{iid}/tanda-terima.pdf", headers=HTML)
    assert refused.status_code == 409
    assert "belum pernah diajukan" in refused.text


def test_review_sheet_lists_verdicts_and_scores(client: Any, web_world: WebWorld) -> None:
    iid = web_world.scored("Lembar Penilaian Uji")
    login(client, "verifikator")
    page = client.get(f"/verifikasi/{iid}", headers=HTML).text
    assert f'href="/verifikasi/{iid}/lembar-penilaian.pdf"' in page
    text = _text(client.get(f"/verifikasi/{iid}/lembar-penilaian.pdf").content)
    assert "Lembar Penilaian Inovasi Daerah" in text
    assert "A. Verifikasi dokumen" in text and "Diterima" in text
    assert "Verifikator Uji: sesuai" in text  # the reviewer's note per indicator
    innovation = web_world.runtime.commands.innovation(iid)
    total = innovation.scorecard(load_rubric(2025)).verified_total
    assert f"{total} dari 111" in text
    login(client, "op.dukcapil")
    assert client.get(f"/verifikasi/{iid}/lembar-penilaian.pdf", headers=HTML).status_code == 403
