"""Fixtures for the page tests: a seeded app, a real HTTP server, and Debian's Chromium.

* ``web_world``: a Runtime with ``WebWorld`` seeded through the command handlers, once on the
  embedded SQLite default and once on a fresh PostgreSQL database; module-scoped, so each test
  module starts from a clean regency. The browser module keeps to SQLite (the single-command
  start a person runs), the HTTP page tests run on both.
* ``client``: Litestar's TestClient on that runtime (fast tests without a browser).
* ``live_server``: the same app served by uvicorn on a free loopback port in a thread.
* ``browser``: Playwright driving ``/usr/bin/chromium`` headless (never a downloaded browser);
  tests using it are marked ``browser``.
* ``open_page``: a new phone-sized page (390×844) that records console errors, so a script
  blocked by the CSP or a JavaScript error fails the test.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.world import PASSWORD, WebWorld

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
AXE_URL = "/static/vendor/axe-core/axe.min.js"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def web_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebWorld]:
    """The regency on the embedded SQLite default and on a fresh PostgreSQL database."""
    from services.config import load_settings
    from services.startup import start_runtime

    data = tmp_path_factory.mktemp("web-data")
    server, name, database_url = None, "", ""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        server.ensure_running()
        name = f"web_{uuid.uuid4().hex[:12]}"
        database_url = server.create_database(name)
    runtime = start_runtime(load_settings(env={}, data_dir=str(data), database_url=database_url))
    if database_url:  # the distributed shape runs `sirisma project`; here, a thread does
        runtime.read_models.start()
        runtime.on_close(runtime.read_models.stop)
    try:
        yield WebWorld(runtime)
    finally:
        runtime.close()
        if server is not None:
            server.drop_database(name)


@pytest.fixture(scope="module")
def web_app(web_world: WebWorld) -> Any:
    from services.app import create_app

    return create_app(runtime=web_world.runtime)


@pytest.fixture(scope="module")
def client(web_app: Any, web_world: WebWorld) -> Iterator[Any]:
    from litestar.testing import TestClient

    class CaughtUpClient(TestClient):  # type: ignore[type-arg]
        """Each request first waits until the read models hold every stored event. A test runs
        commands straight on the runtime, which the read models' thread projects a moment
        later; a person's next click comes after the page that made the change had waited for
        it (``settle``). Redirects followed inside one request do not wait."""

        def request(self, *args: Any, **kwargs: Any) -> Any:
            runtime = web_world.runtime
            runtime.read_models.wait_for(runtime.store.max_notification_id(), 10)
            return super().request(*args, **kwargs)

    with CaughtUpClient(web_app, base_url="http://testserver.local") as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(web_app: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def fresh_artifacts() -> Path:
    """Where this run's screenshots go: emptied once at the start of the run by
    ``pytest_sessionstart`` in tests/conftest.py (the controller, not each xdist worker)."""
    return ARTIFACTS


@pytest.fixture(scope="module")
def browser(fresh_artifacts: Path) -> Iterator[Any]:
    """Module-scoped: Playwright's sync API runs an event loop in this thread until it stops, and
    tests collected after the browser module call asyncio/anyio.run themselves."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # CI runs on 2 busy cores: be patient, but bounded

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Session:
    """One person's browser context: log in, visit, screenshot, check accessibility."""

    def __init__(self, context: Any, base_url: str, name: str) -> None:
        self.context = context
        self.base_url = base_url
        self.name = name
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console: {msg.text}")
                if msg.type == "error" and "Failed to load resource" not in msg.text
                else None
            ),
        )
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.page.on("response", self._subresource_failed)
        self.page.set_default_timeout(15_000)

    def _subresource_failed(self, response: Any) -> None:
        """A stylesheet, script or image that fails is an error; pages may answer 4xx."""
        if response.status >= 400 and response.request.resource_type != "document":
            if response.request.resource_type in ("xhr", "fetch") and response.status < 500:
                return  # htmx asked and the server answered a refusal the page shows
            self.errors.append(f"{response.status} {response.url}")

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("domcontentloaded")
        return response

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.goto("/masuk")
        self.page.get_by_label("Nama pengguna").fill(username)
        self.page.get_by_label("Kata sandi").fill(password)
        self.page.get_by_role("button", name="Masuk").click()
        self.page.wait_for_load_state("domcontentloaded")
        assert "/masuk" not in self.page.url, f"login as {username} failed: {self.page.url}"

    def shot(self, step: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^a-z0-9-]+", "-", step.lower()).strip("-")
        path = ARTIFACTS / f"{safe}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, every: bool = False) -> list[dict[str, Any]]:
        """Run the vendored axe-core in this page; return violations with critical impact
        (``every``: all violations, whatever their impact)."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(url=self.base_url + AXE_URL)
        violations: list[dict[str, Any]] = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ['violations']});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                }));
            }"""
        )
        if os.environ.get("SIRISMA_AXE_REPORT"):
            for v in violations:
                print(f"axe {self.page.url} {v['impact']} {v['id']}: {v['help']} {v['nodes']}")
        return violations if every else [v for v in violations if v["impact"] == "critical"]

    def check(self, step: str) -> None:
        """Screenshot the page and assert no critical accessibility violation, no JS error."""
        self.shot(step)
        critical = self.axe()
        assert not critical, f"{step}: critical accessibility violations: {critical}"
        assert not self.errors, f"{step}: browser errors: {self.errors}"


@pytest.fixture
def open_session(browser: Any, live_server: str) -> Iterator[Callable[[str], Session]]:
    contexts: list[Any] = []

    def make(name: str) -> Session:
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
            locale="id-ID",
            timezone_id="Asia/Jakarta",
        )
        contexts.append(context)
        return Session(context, live_server, name)

    yield make
    for context in contexts:
        context.close()
