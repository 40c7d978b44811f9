"""The operations building blocks on their own: log formats, command counting, the supervisor's
restart policy."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from services import metrics
from services.commands import Commands
from services.config import load_settings
from services.domain.aggregate import Context
from services.domain.errors import DomainError
from services.eventstore.store import ConcurrencyConflict
from services.ops import instrument, logs
from services.ops.cluster import STABLE_AFTER, Process
from tests.factories import World, complete_profile


def record(message: str, **extra: object) -> logging.LogRecord:
    rec = logging.makeLogRecord({"name": "sirisma.uji", "levelname": "INFO", "msg": message})
    rec.__dict__.update(extra)
    return rec


def test_json_lines_carry_the_correlation_id_extras_and_the_traceback() -> None:
    formatter, context = logs.JsonFormatter(), logs.ContextFilter("review")
    with logs.correlation("abc-123"):
        rec = record("hello %s", route="/api/x", status=201)
        rec.args = ("dunia",)
        context.filter(rec)
    line = json.loads(formatter.format(rec))
    assert line["message"] == "hello dunia"
    assert (line["correlation_id"], line["service"]) == ("abc-123", "review")
    assert (line["route"], line["status"]) == ("/api/x", 201)
    assert line["ts"].endswith("+00:00")
    outside = record("later")
    context.filter(outside)
    assert json.loads(formatter.format(outside))["correlation_id"] is None
    try:
        raise ValueError("rusak")
    except ValueError:
        failed = record("boom")
        failed.exc_info = sys.exc_info()
    assert "ValueError: rusak" in json.loads(formatter.format(failed))["exception"]


def test_text_lines_show_the_correlation_id_in_brackets() -> None:
    rec = record("siap", correlation_id="k-1")
    assert "sirisma.uji [k-1]: siap" in logs.TextFormatter().format(rec)
    assert "sirisma.uji: siap" in logs.TextFormatter().format(record("siap"))


def test_configure_replaces_its_own_handler_and_writes_to_the_current_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        settings = load_settings(env={}, log_json=True)
        logs.configure(settings, "relay")
        logs.configure(settings, "relay")
        ours = [h for h in root.handlers if isinstance(h, logs.StderrHandler)]
        assert len(ours) == 1
        buffer = io.StringIO()
        monkeypatch.setattr(sys, "stderr", buffer)
        with logs.correlation("c-9"):
            logging.getLogger("sirisma.uji").info("masuk", extra={"task": "t"})
        line = json.loads(buffer.getvalue().splitlines()[-1])
        assert (line["service"], line["correlation_id"], line["task"]) == ("relay", "c-9", "t")
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)
        logging.captureWarnings(False)


def test_every_command_handler_is_counted_by_outcome(tmp_path: Path) -> None:
    from services.eventstore.store import EventStore

    names = instrument.command_names(Commands)
    assert {"propose", "submit", "score", "approve", "report_iga"} <= set(names)
    assert not {"innovation", "call", "account", "rubric_for"} & set(names)

    store = EventStore(load_settings(env={}, data_dir=str(tmp_path)))
    try:
        commands = instrument.instrument(Commands(store))
        assert instrument.instrument(commands) is commands  # a second call wraps nothing more
        world = World(commands)
        ok = metrics.COMMANDS.labels(command="propose", outcome="ok")
        refused = metrics.COMMANDS.labels(command="submit", outcome="refused")
        conflict = metrics.CONFLICTS.labels(command="update_profile")
        counts = (ok._value.get(), refused._value.get(), conflict._value.get())
        operator = Context(actor=world.operator, correlation_id=uuid4().hex)
        iid = commands.propose(operator, call_id=world.call_id, profile=complete_profile()).id
        with pytest.raises(DomainError):
            commands.submit(operator, iid)  # incomplete: no documents yet
        from services.domain.values import ProfilePatch

        with pytest.raises(ConcurrencyConflict):
            commands.update_profile(operator, iid, ProfilePatch(goals="Baru."), expected_version=9)
        assert ok._value.get() == counts[0] + 1
        assert refused._value.get() == counts[1] + 1
        assert conflict._value.get() == counts[2] + 1
    finally:
        store.close()


def test_the_supervisor_restarts_with_growing_backoff_and_resets_after_a_stable_run(
    tmp_path: Path,
) -> None:
    proc = Process(
        name="gagal",
        argv=[sys.executable, "-c", "import sys; sys.exit(3)"],
        env={},
        log_path=tmp_path / "gagal.log",
    )
    backoffs = []
    for _ in range(4):
        proc.start()
        assert proc.popen is not None
        proc.popen.wait(30)
        assert proc.reap() == 3
        backoffs.append(proc.backoff)  # the delay the next failure will wait
    assert backoffs == [1.0, 2.0, 4.0, 8.0]
    assert [e["code"] for e in proc.exits] == [3, 3, 3, 3]
    assert proc.log_path.read_text().count("=== ") == 4
    proc.start()
    assert proc.popen is not None
    proc.popen.wait(30)
    proc.started_at -= STABLE_AFTER  # as if it had run a long time before failing
    proc.reap()
    assert proc.backoff == 1.0  # started again after 0.5 s, as after a first failure


def test_the_correlation_id_is_read_off_the_raw_headers_once() -> None:
    """X-Correlation-ID first, else X-Request-ID, when sane; else a new id; kept in the scope,
    so every later reader (the command context, the response header) gets the same one."""
    from services.http.context import scope_correlation_id

    def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
        return {"type": "http", "headers": list(headers)}

    both = scope((b"x-request-id", b"req-1"), (b"x-correlation-id", b"cor-1"))
    assert scope_correlation_id(both) == "cor-1" == both["state"]["correlation_id"]
    assert scope_correlation_id(scope((b"x-request-id", b"req-2"))) == "req-2"
    blank = scope((b"x-correlation-id", b""), (b"x-request-id", b"req-3"))
    assert scope_correlation_id(blank) == "req-3"
    odd = scope((b"x-correlation-id", b"a b\tc"))
    made = scope_correlation_id(odd)
    assert len(made) == 32 and made != "a b\tc"
    assert scope_correlation_id(odd) == made  # the same id for the rest of the request


def test_the_correlation_id_is_echoed_once_and_a_response_s_own_is_kept() -> None:
    """The ``before_send`` hook adds the request's id to the response start (raw pairs), leaves
    a response that names its own (in any letter case) alone, and ignores body messages."""
    import asyncio

    from services.ops.http import add_correlation_header

    scope: Any = {"type": "http", "state": {"correlation_id": "cor-7"}}

    def sent(message: dict[str, Any]) -> dict[str, Any]:
        asyncio.run(add_correlation_header(message, scope))  # type: ignore[arg-type]
        return message

    start = sent({"type": "http.response.start", "headers": [(b"content-type", b"x/y")]})
    assert start["headers"] == [(b"content-type", b"x/y"), (b"x-correlation-id", b"cor-7")]
    bare = sent({"type": "http.response.start"})
    assert bare["headers"] == [(b"x-correlation-id", b"cor-7")]
    own = sent({"type": "http.response.start", "headers": [(b"X-Correlation-ID", b"mine")]})
    assert own["headers"] == [(b"X-Correlation-ID", b"mine")]
    body = sent({"type": "http.response.body", "body": b"{}"})
    assert "headers" not in body
    scope["state"] = {}
    assert "headers" not in sent({"type": "http.response.start"})


def test_request_metric_children_are_looked_up_once_and_bounded() -> None:
    from services.ops.http import _Series

    series = _Series()
    first = series.answered("PUT", "/api/x/{id}", 200)
    assert series.answered("PUT", "/api/x/{id}", 200) is first
    assert first[0] is metrics.HTTP_REQUESTS.labels(method="PUT", route="/api/x/{id}", status="200")
    assert series.in_progress("PUT") is metrics.HTTP_IN_PROGRESS.labels(method="PUT")
    series.LIMIT = 1
    assert series.answered("GET", "/api/y", 404)[0] is not None  # counted, just not held
    assert ("GET", "/api/y", 404) not in series._answered


def test_a_supervised_service_stays_in_the_supervisors_session(tmp_path: Path) -> None:
    """Its own process group (Ctrl-C reaches the supervisor only), not its own session: with
    the kernel's autogroup on, a session is a scheduling group (README, "Kernel scheduler")."""
    proc = Process(
        name="tidur",
        argv=[sys.executable, "-c", "import time; time.sleep(30)"],
        env={},
        log_path=tmp_path / "tidur.log",
    )
    proc.start()
    assert proc.popen is not None
    try:
        assert os.getsid(proc.popen.pid) == os.getsid(0)
        assert os.getpgid(proc.popen.pid) == proc.popen.pid != os.getpgid(0)
    finally:
        proc.popen.kill()
        proc.popen.wait(30)
