"""The inbox as a page: the bell's count in the header, links to the subject, mark read."""

from __future__ import annotations

import re
from typing import Any

from tests.notification.helpers import inbox_item
from tests.web.test_pages import HTML, login
from tests.web.world import WebWorld


def _bell(html: str) -> str:
    match = re.search(r'aria-label="Notifikasi: (\d+) belum dibaca"', html)
    assert match, "no bell in the header"
    return match.group(1)


def test_the_bell_counts_and_the_inbox_marks_read(client: Any, web_world: WebWorld) -> None:
    reviewer = str(web_world.reviewer.account_id)
    first, second = inbox_item(web_world.runtime, reviewer), inbox_item(web_world.runtime, reviewer)
    theirs = inbox_item(web_world.runtime, str(web_world.admin.account_id))

    token = login(client, "verifikator")
    page = client.get("/notifikasi", headers=HTML)
    assert page.status_code == 200
    assert _bell(page.text) == "2"
    assert page.text.count('class="inbox-item is-unread"') == 2
    assert "Tandai semua sudah dibaca" in page.text

    # Someone else's message cannot be marked; nothing changes.
    refused = client.post(f"/notifikasi/{theirs}/dibaca", data={"_csrf_token": token}, headers=HTML)
    assert "Notifikasi itu tidak ditemukan" in refused.text
    assert _bell(refused.text) == "2"

    # Without the CSRF token the form post is refused.
    assert client.post(f"/notifikasi/{first}/dibaca", headers=HTML).status_code == 403

    done = client.post(f"/notifikasi/{first}/dibaca", data={"_csrf_token": token}, headers=HTML)
    assert done.status_code == 200 and "ditandai sudah dibaca" in done.text
    assert _bell(done.text) == "1"
    unread = client.get("/notifikasi?belum=1", headers=HTML).text
    assert f'data-notification="{second}"' in unread
    assert f'data-notification="{first}"' not in unread

    all_read = client.post("/notifikasi/semua-dibaca", data={"_csrf_token": token}, headers=HTML)
    assert "Semua notifikasi ditandai sudah dibaca" in all_read.text
    assert _bell(all_read.text) == "0"
    login(client, "admin")
    assert _bell(client.get("/", headers=HTML).text) == "1"  # the admin's own stays unread


def test_inbox_links_to_the_subject_and_pages(client: Any, web_world: WebWorld) -> None:
    auditor = str(web_world.auditor.account_id)
    ids = [inbox_item(web_world.runtime, auditor) for _ in range(23)]
    login(client, "auditor")
    first = client.get("/notifikasi", headers=HTML).text
    shown = re.findall(r'data-notification="([^"]+)"', first)
    assert len(shown) == 20
    older = re.search(r'href="(\?sebelum=[^"]+)"', first)
    assert older, "no link to older messages"
    second = client.get("/notifikasi" + older.group(1).replace("&amp;", "&"), headers=HTML).text
    rest = re.findall(r'data-notification="([^"]+)"', second)
    assert set(shown) | set(rest) == set(ids) and not set(shown) & set(rest)
    # A cursor that is not one shows the newest page instead of an error.
    assert client.get("/notifikasi?sebelum=rusak", headers=HTML).status_code == 200


def test_anonymous_visitors_have_no_bell_and_are_sent_to_login(client: Any) -> None:
    client.cookies.clear()
    home = client.get("/", headers=HTML)
    assert "data-bell" not in home.text
    response = client.get("/notifikasi", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/masuk?next=/notifikasi")
