"""Long lists: paging in a stable order on the queue, the audit list and compliance; CSV/XLSX
downloads with the page's filters; the bulk reminder from the compliance page."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from services.domain.actor import Actor
from services.domain.aggregate import Context
from services.domain.values import OrganisationKind
from services.notification import inbox
from services.web.pages import audit, dashboards, review
from tests.web.test_pages import HTML, login
from tests.web.world import WebWorld


def _titles(html: str) -> list[str]:
    return re.findall(r'<a href="/(?:verifikasi|audit/inovasi)/[0-9a-f-]{36}">([^<]+)</a>', html)


@pytest.fixture(scope="module")
def queue_items(web_world: WebWorld) -> list[str]:
    titles = [f"Antrean Uji {n}" for n in range(5)]
    for title in titles:
        web_world.submitted(title)
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)
    return titles


def test_the_queue_pages_in_a_stable_order(
    client: Any, queue_items: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review, "QUEUE_PAGE_SIZE", 2)
    login(client, "admin")
    seen: list[str] = []
    first = client.get("/verifikasi?q=antrean+uji", headers=HTML).text
    assert "halaman 1 dari 3" in first
    assert 'aria-label="Halaman antrean"' in first
    for n in (1, 2, 3):
        page = client.get(f"/verifikasi?q=antrean+uji&halaman={n}", headers=HTML).text
        seen += _titles(page)
    assert sorted(seen) == sorted(queue_items)  # every item once, none twice
    again = client.get("/verifikasi?q=antrean+uji&halaman=2", headers=HTML).text
    assert _titles(again) == seen[2:4]
    # The bulk tools come before the list (reachable on a phone without scrolling down).
    assert first.index("Pilih semua di halaman ini") < first.index("Antrean Uji")


def test_the_queue_downloads_with_its_filters(client: Any, queue_items: list[str]) -> None:
    login(client, "admin")
    response = client.get("/ekspor/antrean.csv?q=antrean+uji&petugas=belum", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Nama inovasi", "Organisasi", "Panggilan", "Status"]
    assert sorted(r[0] for r in rows[1:]) == sorted(queue_items)
    assert {r[3] for r in rows[1:]} == {"Diajukan"}

    from openpyxl import load_workbook

    book = client.get("/ekspor/antrean.xlsx?q=antrean+uji", headers=HTML)
    assert book.status_code == 200 and book.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == sorted(
        queue_items
    )
    login(client, "op.dukcapil")
    assert client.get("/ekspor/antrean.csv", headers=HTML).status_code == 403


def test_the_audit_list_pages(
    client: Any, queue_items: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "AUDIT_PAGE_SIZE", 3)
    login(client, "auditor")
    pages = []
    for n in (1, 2):
        pages.append(_titles(client.get(f"/audit?q=antrean+uji&halaman={n}", headers=HTML).text))
    assert [len(p) for p in pages] == [3, 2]
    assert sorted(pages[0] + pages[1]) == sorted(queue_items)


@pytest.fixture(scope="module")
def many_organisations(web_world: WebWorld) -> list[str]:
    system = Context(actor=Actor.system(), correlation_id="long-lists")
    names = [f"Kecamatan Uji {n:02d}" for n in range(7)]
    for n, name in enumerate(names):
        web_world.runtime.commands.register_organisation(
            system, kind=OrganisationKind.KECAMATAN, code=f"KEC-{n:02d}", name=name
        )
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)
    return names


def test_compliance_pages_and_downloads(
    client: Any, many_organisations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboards, "COMPLIANCE_PAGE_SIZE", 4)
    login(client, "auditor")
    shown: list[str] = []
    first = client.get("/kepatuhan?keadaan=none", headers=HTML).text
    pages = int(re.search(r"halaman 1 dari (\d+)", first).group(1))  # type: ignore[union-attr]
    for n in range(1, pages + 1):
        page = client.get(f"/kepatuhan?keadaan=none&halaman={n}", headers=HTML).text
        shown += re.findall(r'<td data-label="Organisasi">([^<]+) <small>', page)
    assert set(many_organisations) <= set(shown) and len(shown) == len(set(shown))
    assert shown == sorted(shown)  # by name within one state
    assert "Kirim pengingat" not in first  # auditors read; they do not send

    download = client.get("/ekspor/kepatuhan.csv?keadaan=none", headers=HTML)
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Kode", "Organisasi", "Jenis", "Keadaan"]
    assert [r[1] for r in rows[1:]] == shown
    assert {r[3] for r in rows[1:]} == {"Belum ada inovasi"}


def test_bulk_reminder_reaches_operators_with_nothing_submitted(
    client: Any, web_world: WebWorld
) -> None:
    # Dinas Kesehatan has nothing submitted this year; Dinas Dukcapil has.
    web_world.submitted("Sudah Diajukan Dukcapil")
    web_world.runtime.read_models.wait_for(web_world.runtime.store.max_notification_id(), 10)
    token = login(client, "admin")
    page = client.get("/kepatuhan", headers=HTML).text
    assert "Kirim pengingat" in page
    sent = client.post(
        "/kepatuhan/pengingat",
        data={"_csrf_token": token, "tahun": str(web_world.now.year), "catatan": "Batas 30 hari."},
        headers=HTML,
    )
    assert sent.status_code == 200 and "data-reminded" in sent.text
    assert "Pengingat dikirim ke" in sent.text

    from tests.notification.conftest import wait_until

    dinkes = str(web_world.other_operator.account_id)
    dukcapil = str(web_world.operator.account_id)

    def delivered() -> Any:
        items = inbox.page(web_world.runtime.db, dinkes).items
        return [i for i in items if i.kind == "compliance_reminder"] or None

    [message] = wait_until(delivered, timeout=20, what="the reminder in the inbox")
    assert "Dinas Kesehatan" in message.title
    assert "Batas 30 hari." in message.body
    assert not [
        i
        for i in inbox.page(web_world.runtime.db, dukcapil).items
        if i.kind == "compliance_reminder"
    ]
    again = client.post(
        "/kepatuhan/pengingat",
        data={"_csrf_token": token, "tahun": str(web_world.now.year)},
        headers=HTML,
    )
    assert "sudah dikirim" in again.text  # once a day
    login(client, "auditor")
    refused = client.post(
        "/kepatuhan/pengingat", data={"_csrf_token": token, "tahun": "2026"}, headers=HTML
    )
    assert refused.status_code == 403
