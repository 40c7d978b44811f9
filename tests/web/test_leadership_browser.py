"""The leadership view in a real browser (Debian's Chromium via Playwright) on a 390 px phone:
the regent signs in and lands on /pimpinan, follows a figure to its detail page (read-only),
comes back and prints: the print stylesheet fits the summary on one A4 page. Every page passes
axe-core with no violation and logs no error; the summary never scrolls sideways."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.web.leaders import Leaders
from tests.web.test_endorsement_browser import _no_violations
from tests.web.world import WebWorld


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("leadership-browser")
    runtime = start_runtime(load_settings(env={}, data_dir=str(data)))
    try:
        yield WebWorld(runtime)
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def leaders(web_world: WebWorld) -> Leaders:
    return Leaders(web_world)


def _fits_the_phone(session: Any, step: str) -> None:
    width = session.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"{step}: the page is {width} px wide on a 390 px phone"


def test_the_regent_reads_the_summary_follows_a_figure_and_prints(
    open_session: Any, leaders: Leaders
) -> None:
    bupati = open_session("bupati")
    bupati.login("bupati")
    page = bupati.page
    assert page.url.split("?")[0].endswith("/pimpinan"), page.url
    title = f"Ringkasan Pimpinan {leaders.year}"
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator("[data-monev-overdue]")).to_contain_text("Posyandu Digital Dipantau")
    expect(page.locator("[data-mentoring-overdue]")).to_contain_text(leaders.follow_up)
    _no_violations(bupati, "leadership-summary")
    _fits_the_phone(bupati, "leadership-summary")

    page.locator("[data-monev-overdue] a").first.click()
    page.wait_for_load_state("domcontentloaded")
    assert f"/inovasi/{leaders.innovation}" in page.url
    expect(page.locator("#monev")).to_contain_text("Perbaiki")
    expect(page.get_by_text("Catat laporan evaluasi")).to_have_count(0)  # read-only
    _no_violations(bupati, "leadership-innovation-detail")

    page.go_back()
    page.wait_for_load_state("domcontentloaded")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Menu utama")).to_be_hidden()
    expect(page.get_by_role("button", name="Tampilkan")).to_be_hidden()
    _no_violations(bupati, "leadership-print")
    printed = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(printed.pages) == 1, f"the printout runs to {len(printed.pages)} pages"
    assert f"Ringkasan Pimpinan {leaders.year}" in printed.pages[0].extract_text()
