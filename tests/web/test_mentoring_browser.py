"""Pendampingan in a real browser (Debian's Chromium via Playwright), at phone (390×844) and
laptop (1366×900) size: the admin assigns a mentor, the mentor finds the innovation in their list
and records a session with a follow-up (a readable refusal first for a session dated in the
future, with what was typed kept), the operator marks the follow-up done. Every page has no
axe-core violation at all (any impact) and no JavaScript or CSP error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from services.commands import account_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import jakarta_today
from services.identity.passwords import hash_password
from tests.web.conftest import Session
from tests.web.test_research_browser import no_violations
from tests.web.world import PASSWORD, WebWorld

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """The embedded default (SQLite), with one external mentor's account."""
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("mentoring-browser")
    runtime = start_runtime(load_settings(env={}, data_dir=str(data)))
    try:
        world = WebWorld(runtime)
        system = Context(actor=Actor.system(), correlation_id="web-test-seed")
        world._account(system, "pendamping.uji", Role.MENTOR, None, hash_password(PASSWORD))
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
        )
        contexts.append(context)
        return Session(context, live_server, f"{name}-{size}")

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_assign_record_and_close_a_follow_up(
    sized_session: Callable[[str, str], Session], web_world: WebWorld, size: str
) -> None:
    title = f"Adminduk Didampingi {size}"
    iid = web_world.complete_draft(title)
    page_url = f"/inovasi/{iid}/pendampingan"

    admin = sized_session("mentoring-admin", size)
    admin.login("admin")
    admin.goto(page_url)
    admin.page.get_by_label("Tugaskan pendamping").select_option(
        value=str(account_id_for("pendamping.uji"))
    )
    admin.page.get_by_role("button", name="Tugaskan").click()
    admin.page.wait_for_load_state("domcontentloaded")
    expect(admin.page.locator("[data-mentors]")).to_contain_text("Pendamping Uji Uji")
    no_violations(admin, f"mentoring-assigned-{size}")

    mentor = sized_session("mentoring-mentor", size)
    mentor.login("pendamping.uji")
    assert mentor.page.url.endswith("/pendampingan") or "/pendampingan?" in mentor.page.url
    expect(mentor.page.get_by_role("link", name=title)).to_be_visible()
    no_violations(mentor, f"mentoring-mine-{size}")
    mentor.page.get_by_role("link", name=title).click()
    mentor.page.wait_for_load_state("domcontentloaded")
    form = mentor.page.locator("#catat-sesi")
    form.get_by_label("Tanggal sesi").fill("2999-01-01")
    form.get_by_label("Moda sesi").select_option(label="Kunjungan lapangan")
    form.get_by_label("Daftar hadir (satu nama per baris)").fill("Op Dukcapil\nPendamping Uji")
    form.get_by_label("Topik yang dibahas (satu per baris)").fill("Rancang bangun")
    form.get_by_label("Tindak lanjut 1", exact=True).fill("Lengkapi data sebelum-sesudah")
    form.get_by_label("Tenggat tindak lanjut 1").fill(jakarta_today().isoformat())
    form.evaluate("f => f.querySelector('#held_on').removeAttribute('max')")
    form.get_by_role("button", name="Simpan sesi").click()
    mentor.page.wait_for_load_state("domcontentloaded")
    expect(mentor.page.locator("[data-error-detail]")).to_contain_text("masa depan")
    expect(mentor.page.get_by_label("Topik yang dibahas (satu per baris)")).to_have_value(
        "Rancang bangun"
    )
    no_violations(mentor, f"mentoring-refused-{size}")
    held = (jakarta_today() - timedelta(days=1)).isoformat()
    mentor.page.locator("#catat-sesi").get_by_label("Tanggal sesi").fill(held)
    mentor.page.get_by_role("button", name="Simpan sesi").click()
    mentor.page.wait_for_load_state("domcontentloaded")
    expect(mentor.page.get_by_text("Sesi pendampingan tercatat.")).to_be_visible()
    expect(mentor.page.locator('[data-follow-up="terbuka"]')).to_contain_text(
        "Lengkapi data sebelum-sesudah"
    )
    no_violations(mentor, f"mentoring-session-{size}")

    operator = sized_session("mentoring-operator", size)
    operator.login("op.dukcapil")
    operator.goto(f"/inovasi/{iid}")
    operator.page.locator("[data-mentoring-link]").click()
    operator.page.wait_for_load_state("domcontentloaded")
    expect(operator.page.locator("[data-session]")).to_contain_text("Kunjungan lapangan")
    operator.page.get_by_label("Catatan penyelesaian (tidak wajib)").fill("Data sudah diunggah")
    operator.page.get_by_role("button", name="Tandai selesai").click()
    operator.page.wait_for_load_state("domcontentloaded")
    expect(operator.page.locator('[data-follow-up="selesai"]')).to_contain_text(
        "Data sudah diunggah"
    )
    expect(operator.page.locator("[data-open-follow-ups]")).to_have_text("0")
    no_violations(operator, f"mentoring-done-{size}")
