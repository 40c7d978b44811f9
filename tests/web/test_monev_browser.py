"""Monev in a real browser (Debian's Chromium via Playwright): the reviewer opens an established
innovation, schedules a visit and records the evaluation report that closes it; the operator
then reads the report. Every page passes axe-core with no violation, and logs no error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from services.domain.call import jakarta_today
from tests.web.test_endorsement_browser import _no_violations
from tests.web.world import WebWorld


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("monev-browser")
    runtime = start_runtime(load_settings(env={}, data_dir=str(data)))
    try:
        yield WebWorld(runtime)
    finally:
        runtime.close()


def test_reviewer_schedules_and_reports_then_the_operator_reads(
    open_session: Any, web_world: WebWorld
) -> None:
    iid = web_world.published("Adminduk Dipantau")
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)

    reviewer = open_session("verifikator")
    reviewer.login("verifikator")
    reviewer.goto(f"/inovasi/{iid}")
    section = reviewer.page.locator("#monev")
    expect(section).to_contain_text("Belum ada kunjungan terjadwal.")
    section.get_by_text("Jadwalkan kunjungan monev").click()
    due = (jakarta_today() + timedelta(days=3)).isoformat()
    reviewer.page.get_by_label("Tanggal kunjungan").fill(due)
    reviewer.page.get_by_label("Catatan (tidak wajib)").fill("Bawa data pengguna")
    reviewer.page.get_by_role("button", name="Jadwalkan").click()
    reviewer.page.wait_for_load_state("domcontentloaded")
    expect(reviewer.page.locator("[data-monev-visits]")).to_contain_text("Bawa data pengguna")
    _no_violations(reviewer, "monev-visit-scheduled")

    reviewer.page.locator("#monev").get_by_text("Catat laporan evaluasi").click()
    reviewer.page.get_by_label("Jenis laporan").select_option("skm")
    reviewer.page.get_by_label("Tanggal laporan").fill(jakarta_today().isoformat())
    reviewer.page.get_by_label("Kunjungan yang dilaporkan (tidak wajib)").select_option(index=1)
    reviewer.page.get_by_label("Temuan").fill("Indeks kepuasan naik menjadi 86.")
    reviewer.page.locator("input[name=ind_name_0]").fill("IKM")
    reviewer.page.locator("input[name=ind_value_0]").fill("86")
    reviewer.page.get_by_label("Rekomendasi").select_option("replikasi")
    reviewer.page.get_by_role("button", name="Simpan laporan").click()
    reviewer.page.wait_for_load_state("domcontentloaded")
    reports = reviewer.page.locator("[data-monev-reports]")
    expect(reports).to_contain_text("Replikasi")
    expect(reviewer.page.locator("[data-monev-visits]")).to_contain_text("Sudah dilaporkan")
    _no_violations(reviewer, "monev-report-recorded")

    operator = open_session("operator")
    operator.login("op.dukcapil")
    operator.goto(f"/inovasi/{iid}")
    expect(operator.page.locator("[data-monev-reports]")).to_contain_text("IKM: 86")
    expect(operator.page.get_by_text("Catat laporan evaluasi")).to_have_count(0)
    _no_violations(operator, "monev-operator-reads")
