"""The head's endorsement in a real browser (Debian's Chromium via Playwright), at phone size:
the operator's submit is refused with the name of the head who must endorse; the head logs in,
sees the draft and endorses it; the operator submits. Every page passes axe-core with no
violation at all, and no page logs a JavaScript or CSP error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from playwright.sync_api import expect

from services.commands import account_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.values import CallKind, DocumentKind
from services.identity.passwords import hash_password
from tests.factories import MANDATORY, complete_profile
from tests.web.conftest import AXE_URL
from tests.web.world import PASSWORD, WebWorld


class EndorsingWorld(WebWorld):
    """The web world with a call that requires the head's endorsement and the head's account."""

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        system = Context(actor=Actor.system(), correlation_id="web-test-seed")
        self.head = self._account(
            system, "kepala.dukcapil", Role.KEPALA_OPD, self.opd_id, hash_password(PASSWORD)
        )
        self.endorsing_call = runtime.commands.open_call(
            self.ctx(self.admin),
            kind=CallKind.ANNUAL,
            title=f"Inovasi Daerah {self.now.year} (wajib pengesahan)",
            budget_year=self.now.year,
            opens_at=self.now - timedelta(days=3),
            deadline=self.now + timedelta(days=30),
            eligible_kinds=("opd",),
            rubric_year=2025,
            required_documents=("sk",),
            requires_endorsement=True,
        ).id

    def endorsing_draft(self, title: str) -> UUID:
        c = self.runtime.commands
        op = self.ctx(self.operator)
        iid = c.propose(op, call_id=self.endorsing_call, profile=complete_profile(title)).id
        for no in MANDATORY:
            doc = self.pdf(DocumentKind.SK if no == 1 else DocumentKind.REPORT, no)
            c.attach_document(op, iid, doc)
            c.claim_indicator(op, iid, no=no, level=3, evidence=[doc.doc_id])
        return iid


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EndorsingWorld]:
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("endorsement-browser")
    runtime = start_runtime(load_settings(env={}, data_dir=str(data)))
    try:
        yield EndorsingWorld(runtime)
    finally:
        runtime.close()


def _no_violations(session: Any, step: str) -> None:
    """Screenshot; axe-core finds no violation of any impact; no browser error."""
    session.shot(step)
    if not session.page.evaluate("() => typeof window.axe !== 'undefined'"):
        session.page.add_script_tag(url=session.base_url + AXE_URL)
    violations = session.page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"""
    )
    assert violations == [], f"{step}: {violations}"
    assert not session.errors, f"{step}: browser errors: {session.errors}"


def test_refused_then_endorsed_by_the_head_then_submitted(
    open_session: Any, web_world: EndorsingWorld
) -> None:
    iid = web_world.endorsing_draft("Adminduk Menunggu Pengesahan")
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)

    operator = open_session("operator")
    operator.login("op.dukcapil")
    operator.goto(f"/inovasi/{iid}/ajukan")
    expect(operator.page.locator("#pengesahan")).to_contain_text(
        "Kepala Dinas Dukcapil harus mengesahkan"
    )
    operator.page.get_by_role("button", name="Ya, ajukan sekarang").click()
    operator.page.wait_for_load_state("domcontentloaded")
    expect(operator.page.locator("[data-error-detail]").first).to_contain_text(
        "Inovasi belum disahkan. Kepala Dinas Dukcapil harus mengesahkan"
    )
    _no_violations(operator, "endorse-refused")

    head = open_session("kepala")
    head.login("kepala.dukcapil")
    head.goto(f"/inovasi/{iid}")
    _no_violations(head, "endorse-head-sees-draft")
    head.page.get_by_label("Catatan pengesahan (tidak wajib)").fill("Layak diajukan.")
    head.page.get_by_role("button", name="Sahkan inovasi ini").click()
    head.page.wait_for_load_state("domcontentloaded")
    expect(head.page.locator("[data-endorsed]")).to_contain_text("Kepala Dukcapil Uji")
    _no_violations(head, "endorse-done")

    operator.goto(f"/inovasi/{iid}/ajukan")
    operator.page.get_by_role("button", name="Ya, ajukan sekarang").click()
    operator.page.wait_for_load_state("domcontentloaded")
    expect(operator.page.get_by_text("Inovasi telah diajukan untuk diverifikasi.")).to_be_visible()
    assert str(web_world.runtime.commands.innovation(iid).status) == "submitted"
    assert account_id_for("kepala.dukcapil") == web_world.head.account_id
