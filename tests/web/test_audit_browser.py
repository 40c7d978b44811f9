"""The audit pages in Chromium at phone size (390×844): the slider's version lands in the address
(bookmarkable), and the diff of a whole history stays readable (issue 20 item 6)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.test_audit_pages import _revised_and_resubmitted
from tests.web.world import WebWorld

PHONE_WIDTH = 390
# A whole history's diff on a phone: a few screens, not the 15,000 px of long texts it was.
MAX_DIFF_HEIGHT = 6_000


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """The embedded default (SQLite), as ``sirisma serve`` runs."""
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("audit-browser-data")
    runtime = start_runtime(load_settings(env={}, data_dir=str(data)))
    try:
        yield WebWorld(runtime)
    finally:
        runtime.close()


def test_audit_slider_is_bookmarkable_and_the_diff_fits_a_phone(
    open_session: Any, web_world: WebWorld
) -> None:
    iid = _revised_and_resubmitted(web_world)
    latest = web_world.runtime.commands.innovation(iid).version
    auditor = open_session("auditor-phone")
    auditor.login("auditor")
    auditor.goto(f"/audit/inovasi/{iid}")
    page = auditor.page
    page.locator("#versi").fill("1")
    expect(page).to_have_url(re.compile(rf"/audit/inovasi/{iid}\?versi=1$"))
    expect(page.locator("#as-of")).to_contain_text("Versi 1 dari")
    expect(page.locator("#as-of")).to_contain_text("Kejadian: Inovasi diusulkan")
    auditor.check("audit-phone-slider-version-1")
    # The pushed address, opened again, shows the same moment.
    auditor.goto(page.url.removeprefix(auditor.base_url))
    expect(page.locator("#as-of")).to_contain_text("Versi 1 dari")

    auditor.goto(f"/audit/inovasi/{iid}/selisih?dari=1&ke={latest}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"1 → {latest}")
    expect(page.locator("main")).to_contain_text("Kepala Daerah")
    size = page.evaluate(
        "() => ({h: document.documentElement.scrollHeight,"
        " w: document.documentElement.scrollWidth})"
    )
    assert size["w"] <= PHONE_WIDTH, f"the diff scrolls sideways: {size}"
    assert size["h"] < MAX_DIFF_HEIGHT, f"the diff is {size['h']} px tall on a phone"
    long_value = page.locator("main section details.long-value").first
    expect(long_value).not_to_have_attribute("open", "")
    long_value.locator("summary").click()
    expect(long_value).to_have_attribute("open", "")
    auditor.check("audit-phone-diff")
