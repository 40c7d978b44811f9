"""Property (issue 15): hostile input never stops SI-RISMA.

Hypothesis sends random text — every Unicode category including control characters and lone
surrogates, text around and far past the limits, random JSON in place of a field, deeply nested
and truncated bodies — through every kind of command body on PostgreSQL (operator, reviewer,
admin and anonymous commands). It asserts that no answer is a 5xx, that a refused command leaves
the log exactly as it was, that no text in the log holds a character the boundary refuses, and
that afterwards every follower (each read model of the projector and the notification relay, run
in this process) reaches the log's head.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections.runner import Runner
from services.http import limits
from services.notification import relay
from services.notification.embedded import EmbeddedRunner
from tests.submission.conftest import Api

pytestmark = pytest.mark.slow

# Text from every Unicode category (hypothesis leaves out surrogates unless asked), plus the
# characters that matter most, plus lengths at and past the limits.
ANY_CHAR = st.characters(exclude_categories=())
HOSTILE_TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.text(st.characters(categories=["Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"]), max_size=8),
    st.sampled_from(["\x00", "a\x00b", "\x1b[31m", "\x85", "\ud800", "\u202eFDP", "\ufeff", "\r"]),
    st.sampled_from(
        [limits.TITLE_MAX, limits.NAME_MAX, limits.NOTE_MAX, limits.TEXT_MAX + 1, 300_000]
    ).flatmap(lambda n: st.sampled_from(["x" * n, "é" * (n + 1)])),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
    max_leaves=10,
)
RAW_BODY = st.sampled_from(
    [b"[" * 100_000, b'{"a":' * 20_000, b"{", b'{"x": "\\ud800"}', b"\xff\xfe", b"null", b""]
)

_serial = itertools.count()


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


# Each command: (caller, method, path, a valid body). The test replaces one text field (or one
# field with any JSON, or the whole body) with hostile input.
Command = tuple[str | None, str, str, Callable[[], dict[str, Any]]]


def commands(draft: str, call: str) -> list[Command]:
    return [
        (
            "op.dukcapil",
            "POST",
            "/api/innovations",
            lambda: {
                "profile": {
                    "title": "Judul",
                    "goals": "Tujuan",
                    "initiator_name": "Nama",
                    "other_affairs": ["Kesehatan"],
                    "design": {"problem": "Masalah"},
                    "budget": {"other_sources": "Swasta"},
                }
            },
        ),
        (
            "op.dukcapil",
            "PATCH",
            f"/api/innovations/{draft}",
            lambda: {"title": "Baru", "results": "Hasil"},
        ),
        (
            "op.dukcapil",
            "PUT",
            f"/api/innovations/{draft}/indicators/1",
            lambda: {"level": 1, "evidence": [], "note": "Catatan"},
        ),
        ("op.dukcapil", "POST", f"/api/innovations/{draft}/resubmit", lambda: {"note": "Sudah"}),
        (
            None,
            "POST",
            "/api/krenova/participants",
            lambda: {
                "username": _unique("warga.h"),
                "name": "Warga",
                "email": f"{_unique('w')}@example.id",
                "phone": "081234567890",
                "password": "sandi-krenova-1",
                "members": ["Anggota"],
            },
        ),
        (
            "admin",
            "POST",
            "/api/organisations",
            lambda: {"kind": "opd", "code": _unique("H"), "name": "Dinas Uji"},
        ),
        (
            "admin",
            "POST",
            "/api/accounts",
            lambda: {
                "username": _unique("akun.h"),
                "full_name": "Akun Uji",
                "role": "reviewer",
                "password": "sandi-uji-2025",
                "email": "akun@example.id",
            },
        ),
        (
            "admin",
            "POST",
            "/api/calls",
            lambda: {
                "kind": "annual",
                "title": "Panggilan",
                "budget_year": 2031,
                "opens_at": "2031-01-01T00:00:00",
                "deadline": "2031-12-31T23:59:00",
                "eligible_kinds": ["opd"],
                "rubric_year": 2025,
                "description": "Uraian",
            },
        ),
        ("admin", "POST", f"/api/innovations/{draft}/reject", lambda: {"reason": "Alasan"}),
        (
            "rev.satu",
            "POST",
            f"/api/innovations/{draft}/request-revision",
            lambda: {"note": "Perbaiki", "items": [{"kind": "field", "key": "goals", "note": "a"}]},
        ),
        (
            "admin",
            "POST",
            f"/api/innovations/{draft}/establish",
            lambda: {"sk_number": "188/1/2025", "sk_date": "2025-01-02"},
        ),
        ("admin", "POST", "/api/iga/reports", lambda: {"year": 2025, "innovation_ids": [call]}),
    ]


def _text_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _text_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _text_paths(v, (*path, i))]
    return [path] if path else []


def _replace(body: Any, path: tuple[Any, ...], new: Any) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = new


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_hostile_text_never_stops_the_system(api: Api) -> None:
    draft = api.propose("Sasaran teks jahat")["id"]
    ops = commands(draft, str(api.world.call_id))
    answers: dict[int, int] = {}

    @given(data=st.data())
    @settings(
        max_examples=160,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(data: Any) -> None:
        caller, method, path, valid = data.draw(st.sampled_from(ops), label="command")
        body = valid()
        how = data.draw(st.sampled_from(["text", "text", "text", "json", "raw"]), label="how")
        if how == "raw":
            content = data.draw(RAW_BODY, label="body")
        else:
            where = data.draw(st.sampled_from(_text_paths(body)), label="field")
            _replace(body, where, data.draw(HOSTILE_TEXT if how == "text" else JSON_VALUE))
            content = json.dumps(body, ensure_ascii=True).encode()
        headers = {"content-type": "application/json"}
        if method == "PATCH":
            current = api.call("GET", path, as_=caller).json()["version"]
            headers["If-Match"] = f'"{current}"'
        before = api.max_notification_id()
        response = api.call(method, path, as_=caller, content=content, headers=headers)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
            assert api.max_notification_id() == before, "a refused command changed the log"

    run()
    assert any(200 <= code < 300 for code in answers), answers  # some hostile text was accepted
    assert any(400 <= code < 500 for code in answers), answers

    head = api.max_notification_id()
    for notification in api.runtime.store.notifications(1, head + 1):
        for text in _strings(msgspec.json.decode(notification.state)):
            assert limits.bad_text(text) is None, (notification.id, notification.topic, text)

    runner = Runner(api.runtime.settings, store=api.runtime.store)
    try:
        runner.catch_up(timeout=60)
    finally:
        runner.close()
    positions = api.runtime.read_models.positions()
    assert all(position == head for position in positions.values()), (head, positions)

    notifier = EmbeddedRunner(api.runtime)
    for _ in range(200):
        if notifier.step() == 0:
            break
    assert relay.lag(api.runtime)["behind"] == 0
