"""The access log line (``services.ops.http.access_line``): the record the handlers get is the
one ``log.log(..., extra=...)`` made, fields and message alike, through the same filters."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from services.ops import http, logs


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self.setFormatter(logs.JsonFormatter())
        self.addFilter(logs.ContextFilter("http"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def kept() -> Keep:
    handler = Keep()
    http.log.addHandler(handler)
    old_level = http.log.level
    http.log.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        http.log.removeHandler(handler)
        http.log.setLevel(old_level)


def test_the_access_line_is_the_record_log_with_extra_made(kept: Keep) -> None:
    route = "/api/innovations/{id:uuid}/indicators/{no:int}"
    with logs.correlation("cid-1"):
        http.access_line(logging.INFO, "PUT", "/api/innovations/x/indicators/3", route, 200, 0.0123)
        http.log.log(
            logging.INFO,
            "%s %s %d %.1fms",
            "PUT",
            "/api/innovations/x/indicators/3",
            200,
            12.3,
            extra={
                "method": "PUT",
                "path": "/api/innovations/x/indicators/3",
                "route": route,
                "status": 200,
                "duration_ms": 12.3,
            },
        )
    ours, library = (json.loads(line) for line in kept.lines)
    assert ours.pop("ts") and library.pop("ts")
    assert ours == library
    assert ours["message"] == "PUT /api/innovations/x/indicators/3 200 12.3ms"
    assert ours["correlation_id"] == "cid-1" and ours["route"] == route
    assert kept.records[0].levelno == logging.INFO and kept.records[0].name == "sirisma.http"


def test_a_disabled_logger_or_a_filter_still_stops_the_line(kept: Keep) -> None:
    http.log.disabled = True
    try:
        http.access_line(logging.INFO, "GET", "/x", "/x", 200, 0.001)
    finally:
        http.log.disabled = False
    refuse = logging.Filter("another")
    http.log.addFilter(refuse)
    try:
        http.access_line(logging.INFO, "GET", "/x", "/x", 200, 0.001)
    finally:
        http.log.removeFilter(refuse)
    assert kept.records == []
    http.access_line(logging.WARNING, "GET", "/x", "/x", 500, 0.001)
    assert [r.levelno for r in kept.records] == [logging.WARNING]


def test_a_request_without_a_sane_correlation_id_gets_a_fresh_one_of_32_hex_digits() -> None:
    from services.http.context import scope_correlation_id

    made = {scope_correlation_id({"headers": [(b"x-correlation-id", b"no spaces!")]}) for _ in "ab"}
    assert len(made) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", m) for m in made)
    assert scope_correlation_id({"headers": [(b"x-request-id", b"req-7")]}) == "req-7"
    scope: dict[str, Any] = {"headers": []}
    assert scope_correlation_id(scope) == scope_correlation_id(scope)  # kept in the scope
