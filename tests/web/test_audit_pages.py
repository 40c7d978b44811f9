"""The audit pages speak in labels (issue 20 item 6): the timeline, each version's changes and
the diff show Bahasa Indonesia labels, never the codes the events store; the actor's role once.
"""

from __future__ import annotations

import html
import re
from typing import Any
from uuid import UUID

from services.domain import events as ev
from services.domain import labels
from services.domain.values import Initiator, InnovationForm, ProfilePatch, RevisionItem, Stage
from tests.factories import words
from tests.web.test_pages import HTML, login
from tests.web.world import WebWorld

# Every code of the label tables that could leak into a value cell (labels equal to their code,
# like a number, cannot be told apart and are left out).
CODES = {
    code
    for name, table in labels.TABLES.items()
    if name != "profile_field"
    for code, text in table.items()
    if code != text
}
EVENT_NAMES = {c.__name__ for c in vars(ev).values() if isinstance(c, type)}
_VALUE = re.compile(r'class="diff-(?:before|after)">(.*?)</span>', re.S)
_TAG = re.compile(r"<[^>]+>")


def _values(page: str) -> list[str]:
    page = re.sub(r'<details class="raw-data">.*?</table>', " ", page, flags=re.S)
    return [html.unescape(_TAG.sub("", v)).strip().rstrip("…") for v in _VALUE.findall(page)]


def _visible(page: str) -> str:
    """The text people read: not scripts, and not the raw data the diff offers, collapsed and
    named as codes, for auditors who want the stored values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<details class="raw-data">.*?</table>', " ", page, flags=re.S)
    return html.unescape(_TAG.sub(" ", page))


def _assert_readable(page: str) -> None:
    values = _values(page)
    assert values, "the page shows no changed values"
    leaked = [v for v in values if v in CODES or any(p.strip() in CODES for p in v.split(","))]
    assert not leaked, f"codes shown as values: {leaked}"
    text = _visible(page)
    assert not [w for w in re.findall(r"\b[A-Z][a-z]+[A-Z]\w+\b", text) if w in EVENT_NAMES]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(r"\b[a-z]+_[a-z_]+\b", text)
    assert not re.search(r"dokumen [0-9a-f]{8}", text), "a document named by its id"
    assert not re.search(r"\(([^()]+)\) \(\1\)", text), "a role named twice"


def _revised_and_resubmitted(world: WebWorld) -> UUID:
    """Through a revision round naming a document, a stage change and a recommendation."""
    c = world.runtime.commands
    iid = world.under_review("Jejak Label")
    document = next(iter(c.innovation(iid).documents.values())).document
    c.request_revision(
        world.ctx(world.reviewer),
        iid,
        note="Perbaiki SK.",
        items=[RevisionItem(kind="document", key=str(document.doc_id), note="SK belum sah")],
    )
    op = world.ctx(world.operator)
    c.update_profile(
        op,
        iid,
        ProfilePatch(
            stage=Stage.UJI_COBA,
            initiator=Initiator.KEPALA_DAERAH,
            form=InnovationForm.TATA_KELOLA,
            benefits=words(400),  # a long text: collapsed in the diff, not 400 words tall
            results=words(400),
        ),
    )
    c.resubmit(op, iid, note="SK diganti.")
    return iid


def test_audit_timeline_and_diff_show_labels_not_codes(client: Any, web_world: WebWorld) -> None:
    iid = _revised_and_resubmitted(web_world)
    latest = web_world.runtime.commands.innovation(iid).version
    login(client, "auditor")
    for version in range(1, latest + 1):
        page = client.get(f"/audit/inovasi/{iid}", params={"versi": str(version)}, headers=HTML)
        assert page.status_code == 200
        if version == 1:
            _assert_readable(page.text)
            assert "Kejadian: Inovasi diusulkan" in page.text
        else:
            assert "Kejadian: " in page.text
            text = _visible(page.text)
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), re.findall(
                r"\b[a-z]+_[a-z_]+\b", text
            )
    timeline = client.get(f"/audit/inovasi/{iid}", headers=HTML).text
    assert "Kejadian: Diajukan ulang" in timeline and "Resubmitted" not in _visible(timeline)
    assert "Perlu Perbaikan" in timeline and "Diajukan Ulang" in timeline
    assert "dokumen 'sk-1.pdf' (SK): SK belum sah" in _visible(timeline)  # the item, named
    diff = client.get(
        f"/audit/inovasi/{iid}/selisih", params={"dari": "1", "ke": str(latest)}, headers=HTML
    )
    assert diff.status_code == 200
    _assert_readable(diff.text)
    assert "Uji Coba" in diff.text and "Kepala Daerah" in diff.text


def test_the_slider_pushes_its_version_into_the_address(client: Any, web_world: WebWorld) -> None:
    iid = web_world.submitted("Slider Tertaut")
    login(client, "auditor")
    page = client.get(f"/audit/inovasi/{iid}", headers=HTML).text
    slider = re.search(r"<input[^>]+data-slider[^>]*>", page, re.S)
    assert slider and 'hx-push-url="true"' in slider.group(0) and 'name="versi"' in page
    # Going back to a pushed address after htmx's cache is gone asks for the whole page.
    restored = client.get(
        f"/audit/inovasi/{iid}",
        params={"versi": "1"},
        headers={**HTML, "hx-request": "true", "hx-history-restore-request": "true"},
    )
    assert "<html" in restored.text and "Versi 1 dari" in restored.text
