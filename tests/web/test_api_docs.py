"""The API reference at /schema works without internet, under the app's normal CSP (issue 15
item 12): Scalar is vendored and pinned, started by a same-origin script, and Chromium is kept
from reaching any other host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from services.http.security import CSP
from tests.web.world import WebWorld


@pytest.fixture(scope="module")
def web_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebWorld]:
    """The embedded default (SQLite), as ``sirisma serve`` runs it."""
    from services.config import load_settings
    from services.startup import start_runtime

    runtime = start_runtime(load_settings(env={}, data_dir=str(tmp_path_factory.mktemp("docs"))))
    try:
        yield WebWorld(runtime)
    finally:
        runtime.close()


def test_the_api_reference_renders_offline_under_the_normal_csp(
    browser: Any, live_server: str
) -> None:
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    foreign: list[str] = []
    problems: list[str] = []

    def only_this_server(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:  # the machine may be offline: anything else must not be needed at all
            foreign.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    try:
        response = page.goto(live_server + "/schema")
        assert response is not None and response.status == 200
        assert response.headers["content-security-policy"] == CSP
        # Scalar rendered the document: the API's title and an operation's summary.
        expect(page.get_by_role("heading", name="SI-RISMA API").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("/api/auth/logout").first).to_be_attached()
        expect(page.get_by_text("Ask AI")).to_have_count(0)
    finally:
        context.close()
    assert foreign == []
    assert problems == []
