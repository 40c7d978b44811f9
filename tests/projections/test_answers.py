"""Kept answers of the busiest read routes (``services.reads.answers``): served again only while
the read models' marks stand, so a write by another process shows on the next request, a
read-your-writes wait never gets an older answer, and a revoked session stops at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar import Request, get, post

from projections import queries
from projections.queries.common import ALL_MARKS_SQL, marks_in, read_marks
from services.config import load_settings
from services.reads import answers, routes
from services.reads.answers import Answers
from services.reads.routes import answers_of
from tests.projections.conftest import Api, build_api

ROOT = Path(__file__).resolve().parents[2]

#: Another process: proposes an innovation for op.dukcapil's organisation and applies the log to
#: the read models itself (as ``sirisma project --once`` would), then prints the notification id.
WRITER = """
import sys
from services.commands import Commands, account_id_for
from projections.queries.common import ALL_MARKS_SQL, marks_in, read_marks
from services.config import load_settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.eventstore.store import EventStore
from tests.factories import complete_profile
from tests.projections.conftest import catch_up
from uuid import UUID
from datetime import UTC, datetime

settings = load_settings(env={{}}, data_dir={data!r}, database_url={url!r})
store = EventStore(settings)
actor = Actor(
    account_id=account_id_for("op.dukcapil"), role=Role.OPERATOR, organisation_id=UUID({opd!r})
)
outcome = Commands(store).propose(
    Context(actor=actor, now=datetime.now(UTC)),
    call_id=UUID({call!r}),
    profile=complete_profile({title!r}),
)
catch_up(settings, store)
print(outcome.notification_id)
"""


def test_an_answer_is_served_only_for_the_marks_it_was_read_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = Answers(max_entries=2)
    kept.put("a", ("7:x", "5:y"), 5, b"A")
    assert kept.get("a", ("7:x", "5:y")) is not None
    assert kept.get("a", ("8:x", "5:y")) is None  # one model moved
    assert kept.get("a", ("7:x", "5:z")) is None  # rebuilt by other code to the same position
    assert kept.get("b", ("7:x", "5:y")) is None
    kept.put("n", ("7:x", None), 0, b"N")  # a model without a position: never kept
    assert kept.get("n", ("7:x", None)) is None
    kept.put("big", ("1:",), 1, b"x" * (answers.MAX_BYTES + 1))
    assert kept.get("big", ("1:",)) is None
    kept.put("b", ("1:",), 1, b"B")
    kept.put("c", ("1:",), 1, b"C")  # bounded: the least recently used ("a") goes
    assert kept.get("a", ("7:x", "5:y")) is None
    assert kept.get("c", ("1:",)) is not None
    monkeypatch.setattr(answers, "MAX_AGE_SECONDS", -1.0)  # too old: read afresh
    assert kept.get("c", ("1:",)) is None


def test_kept_answers_stay_within_their_byte_budget() -> None:
    kept = Answers(max_entries=100, max_total_bytes=10)
    kept.put("a", ("1:",), 1, b"aaaa")
    kept.put("b", ("1:",), 1, b"bbbb")
    kept.put("a", ("2:",), 2, b"AAAA")  # replaced, not counted twice
    assert kept.total_bytes == 8 and len(kept) == 2
    kept.put("c", ("1:",), 1, b"cccc")  # over the budget: the least recently used ("b") goes
    assert kept.get("b", ("1:",)) is None
    assert kept.get("a", ("2:",)) is not None and kept.get("c", ("1:",)) is not None
    assert kept.total_bytes == 8
    kept.clear()
    assert kept.total_bytes == 0 and len(kept) == 0


@pytest.fixture
def pg_api(postgres_url: str, tmp_path: Path) -> Iterator[Api]:
    settings = load_settings(env={}, data_dir=str(tmp_path / "data"), database_url=postgres_url)
    yield from build_api(settings)


def _titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [i["title"] for i in response.json()["items"]]


def _write_elsewhere(api: Api, title: str) -> int:
    """Another process writes an event and applies it to the read models."""
    settings = api.runtime.settings
    code = WRITER.format(
        data=settings.data_dir,
        url=settings.database_url,
        opd=str(api.world.opd_id),
        call=str(api.world.call_id),
        title=title,
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return int(out.stdout.strip().splitlines()[-1])


def test_another_processs_write_shows_on_the_next_request(pg_api: Api) -> None:
    api = pg_api
    api.world.complete_draft("Yang Pertama")
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    api.runtime.read_models.stop()  # from here only the other process applies the log
    kept = answers_of(api.client.app)
    routes = ("/api/status-board", "/api/innovations", "/api/review/queue")
    users = ("op.dukcapil", "op.dukcapil", "admin")
    first = {path: api.get(path, user) for path, user in zip(routes, users, strict=True)}
    hits = kept.hits
    # (Not the board to count hits: its key holds the whole second its countdowns are as of.)
    again = api.get("/api/innovations", "op.dukcapil")
    assert kept.hits == hits + 1  # the same marks: served as kept
    assert again.content == first["/api/innovations"].content
    assert again.headers["X-Read-Position"] == first["/api/innovations"].headers["X-Read-Position"]

    position = _write_elsewhere(api, "Dari Proses Lain")

    board = api.get("/api/status-board", "op.dukcapil")  # no ?after: the marks moved
    assert "Dari Proses Lain" in _titles(board)
    assert int(board.headers["X-Read-Position"]) >= position
    assert "Dari Proses Lain" in _titles(api.get("/api/innovations", "op.dukcapil"))
    # Read-your-writes with the header (the same key as the kept answer): never the older one.
    waited = api.get(
        "/api/innovations", "op.dukcapil", headers={"X-After-Notification": str(position)}
    )
    assert "X-Read-Stale" not in waited.headers
    assert "Dari Proses Lain" in _titles(waited)


def _publish(api: Api, title: str) -> Any:
    """An innovation taken to the public catalogue, applied to the read models."""
    published = api.world.complete_draft(title)
    admin = api.ctx(api.world.admin)
    api.commands.submit(api.ctx(api.world.operator), published)
    api.commands.assign_reviewer(admin, published, api.world.reviewer.account_id)
    rev = api.ctx(api.world.reviewer)
    for doc in list(api.commands.innovation(published).documents):
        api.commands.verify_document(rev, published, doc, accepted=True)
    api.commands.score(rev, published, api.world.verdicts(3))
    api.commands.approve(admin, published, note="layak")
    api.commands.establish(admin, published, sk_number="188/1/2025", sk_date=date(2025, 9, 1))
    api.commands.select_for_iga(admin, published, 2025)
    api.commands.publish(admin, published)
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    return published


def test_a_projectors_commit_in_another_connection_invalidates_the_public_catalogue(
    pg_api: Api,
) -> None:
    """Rows and position moved in one transaction by another connection, as a projector does:
    the next anonymous request reads the new row."""
    api = pg_api
    published = _publish(api, "Katalog Lama")
    api.runtime.read_models.stop()
    assert _titles(api.get("/api/public/innovations")) == ["Katalog Lama"]
    assert _titles(api.get("/api/public/innovations")) == ["Katalog Lama"]  # kept
    with psycopg.connect(api.runtime.settings.database_url, autocommit=False) as conn:
        conn.execute(
            "UPDATE rm_catalogue SET title = 'Katalog Baru' WHERE id = %s", [str(published)]
        )
        conn.execute(
            "UPDATE projection_tracking SET position = position + 1 WHERE name = 'catalogue'"
        )
        conn.commit()
    assert _titles(api.get("/api/public/innovations")) == ["Katalog Baru"]


def test_a_revoked_session_stops_at_once_with_a_warm_answer(
    pg_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = pg_api
    api.world.complete_draft("Papan Hangat")
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    kept = answers_of(api.client.app)
    # The board's answers are kept per second (its countdowns): hold the second still.
    second = float(int(time.time()))
    monkeypatch.setattr(routes.time, "time", lambda: second)
    assert api.get("/api/status-board", "op.dukcapil").status_code == 200
    assert api.get("/api/status-board", "op.dukcapil").status_code == 200
    assert kept.hits >= 1
    headers = api.headers("op.dukcapil")
    assert api.client.post("/api/auth/logout", headers=headers).status_code in (200, 204)
    refused = api.client.get("/api/status-board", headers=headers)
    assert refused.status_code == 401


def test_cache_control_no_cache_reads_afresh(pg_api: Api) -> None:
    """A caller sending ``Cache-Control: no-cache`` gets the answer read again (signed in, on
    the event-loop path, and anonymous, on the threaded one); the others still get it kept."""
    api = pg_api
    api.world.complete_draft("Dibaca Ulang")
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    kept = answers_of(api.client.app)
    fresh = {"Cache-Control": "no-cache"}
    for path, who in (("/api/innovations", "op.dukcapil"), ("/api/public/innovations", None)):
        first = api.get(path, who)
        assert api.get(path, who).status_code == 200
        hits = kept.hits
        again = api.get(path, who, headers=fresh)
        assert again.status_code == 200 and again.json() == first.json()
        assert kept.hits == hits, path  # not served from the kept answers
        assert api.get(path, who).status_code == 200
        assert kept.hits == hits + 1, path


def test_an_anonymous_caller_is_served_a_kept_answer_on_the_event_loop(
    pg_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The public catalogue has no session lookup to carry the marks: they are read alone on the
    session pool (event loop), so a kept answer needs no worker thread; a write still shows."""
    api = pg_api
    _publish(api, "Katalog Cepat")
    assert "Katalog Cepat" in _titles(api.get("/api/public/innovations"))  # kept now
    threaded = routes._respond
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return threaded(*args, **kwargs)

    monkeypatch.setattr(routes, "_respond", counted)
    assert "Katalog Cepat" in _titles(api.get("/api/public/innovations"))
    assert calls == []  # served on the event loop
    _publish(api, "Katalog Baru")
    assert "Katalog Baru" in _titles(api.get("/api/public/innovations"))
    assert calls == [1]  # the marks moved: read afresh in a worker thread


def test_callers_do_not_share_answers(pg_api: Api) -> None:
    """The key holds the caller's scope: an operator's list is never another's."""
    api = pg_api
    api.world.complete_draft("Milik Dukcapil")
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    for _ in range(2):
        assert _titles(api.get("/api/innovations", "op.dukcapil")) == ["Milik Dukcapil"]
        assert _titles(api.get("/api/innovations", "op.dinkes")) == []
        assert _titles(api.get("/api/status-board", "op.dinkes")) == []
        assert "Milik Dukcapil" not in _titles(api.get("/api/public/innovations"))


def test_the_marks_riding_on_the_session_lookup_are_the_models_marks(pg_api: Api) -> None:
    """``ALL_MARKS_SQL`` (read with a GET's session lookup) gives each model the mark
    ``read_marks`` reads alone; a model without a tracking row has none."""
    api = pg_api
    api.world.complete_draft("Tanda")
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    db = api.runtime.db
    models = ("innovations", "directory", "catalogue")
    ridden = marks_in(db.scalar(ALL_MARKS_SQL), models)
    assert ridden == read_marks(db, models)
    assert all(mark is not None and mark.split(":")[0].isdigit() for mark in ridden)
    assert marks_in(db.scalar(ALL_MARKS_SQL), ("no_such_model",)) == (None,)
    assert marks_in("", models) == (None, None, None)


def test_a_signed_in_get_carries_the_marks_and_a_write_does_not(pg_api: Api) -> None:
    """The kept answers' check needs the marks of the moment the request was authenticated:
    the session lookup of a GET reads them; other methods pay nothing for them."""
    api = pg_api
    # Every model has its tracking row (the runner starts with this test's fresh database).
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    seen: list[tuple[str, Any]] = []

    @get("/test/rider", sync_to_thread=False)
    def rider(request: Request[Any, Any, Any]) -> str:
        seen.append((request.method, request.auth and request.auth.get("rider")))
        return "ok"

    @post("/test/rider", sync_to_thread=False)
    def rider_post(request: Request[Any, Any, Any]) -> str:
        seen.append((request.method, request.auth and request.auth.get("rider")))
        return "ok"

    api.client.app.register(rider)
    api.client.app.register(rider_post)
    assert api.get("/test/rider", "admin").status_code == 200
    headers = api.headers("admin")
    assert api.client.post("/test/rider", headers=headers).status_code in (200, 201)
    (get_method, ridden), (post_method, none) = seen
    assert get_method == "GET" and "innovations=" in ridden
    assert post_method == "POST" and none is None


def test_concurrent_misses_of_one_answer_read_it_once(
    pg_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many clients asking for the same new answer at once: one request of the process reads
    it, the others wait for it and take it (they were authenticated at the same marks)."""
    api = pg_api
    api.world.complete_draft("Serentak")
    assert api.runtime.read_models.wait_for(api.runtime.store.max_notification_id(), 30)
    headers = api.headers("op.dukcapil")
    reads: list[int] = []
    board = queries.board.status_board

    def slow_board(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        time.sleep(0.5)  # long enough for every other request to arrive meanwhile
        return board(*args, **kwargs)

    monkeypatch.setattr(queries.board, "status_board", slow_board)
    # The board's answers are kept per second: ask for one second's answer only.
    second = int(time.time()) + 1
    monkeypatch.setattr(routes.time, "time", lambda: float(second))
    with ThreadPoolExecutor(8) as pool:
        bodies = list(
            pool.map(
                lambda _: api.client.get("/api/status-board", headers=headers).content, range(8)
            )
        )
    assert len(reads) == 1
    assert len(set(bodies)) == 1 and b"Serentak" in bodies[0]
