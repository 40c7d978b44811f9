"""Logs: one line per record, JSON when ``SIRISMA_LOG_JSON`` is set, with the correlation id.

A command's correlation id follows it across processes: the HTTP service takes it from the
caller's ``X-Correlation-ID`` (or makes one) and puts it on every log line of the request and on
every event the command records; a Celery task reads it back from the event it works on
(``services.ops.tasks``). So ``grep <id>`` over all services' logs shows the request, and the
notification and audit-trail tasks it caused.

Every JSON line has ``ts`` (UTC), ``level``, ``logger``, ``message``, ``service``, ``pid`` and
``correlation_id`` (null outside a request or task), plus whatever the caller passed in
``extra={...}`` and ``exception`` with the traceback.
"""

from __future__ import annotations

import contextlib
import logging
import logging.config
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec

from services.config import Settings

CORRELATION: ContextVar[str | None] = ContextVar("sirisma_correlation_id", default=None)

# Attributes every record has, and uvicorn's ANSI-coloured copy of the message: not extras.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",
}
_OURS = "_sirisma_handler"


@contextlib.contextmanager
def correlation(value: str | None) -> Iterator[None]:
    """Log lines written inside carry ``value`` as their correlation id."""
    token = CORRELATION.set(value)
    try:
        yield
    finally:
        CORRELATION.reset(token)


class ContextFilter(logging.Filter):
    """Adds ``service`` and the current ``correlation_id`` to every record it sees."""

    def __init__(self, service: str = "sirisma") -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = CORRELATION.get()
        if not hasattr(record, "service"):
            record.service = self.service
        return True


# msgspec writes the line in one C call (json.dumps cost ~5 % of a write request's CPU); what it
# cannot encode is written as its ``str``, as ``json.dumps(default=str)`` did.
_ENCODE = msgspec.json.Encoder(enc_hook=str).encode


class JsonFormatter(logging.Formatter):
    """One JSON object per line; ``extra={...}`` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": getattr(record, "service", None),
            "pid": record.process,
            "correlation_id": getattr(record, "correlation_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in data and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return _ENCODE(data).decode()


class TextFormatter(logging.Formatter):
    """For people at a terminal: time, level, logger, [correlation id], message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(cid)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        cid = getattr(record, "correlation_id", None)
        record.cid = f" [{cid}]" if cid else ""
        return super().format(record)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the moment (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def formatter(settings: Settings) -> logging.Formatter:
    return JsonFormatter() if settings.log_json else TextFormatter()


def configure(settings: Settings, service: str, level: int = logging.INFO) -> None:
    """Send every log record of this process to stderr in the configured format. Idempotent:
    a second call replaces the handler it installed before and leaves other handlers alone."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OURS, False):
            root.removeHandler(handler)
    handler = StderrHandler()
    setattr(handler, _OURS, True)
    handler.setFormatter(formatter(settings))
    handler.addFilter(ContextFilter(service))
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings become log lines too (py.warnings), not raw stderr


def unconfigure() -> None:
    """Undo ``configure`` (when the command that asked for it ends, e.g. inside a test run)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OURS, False):
            root.removeHandler(handler)
    logging.captureWarnings(False)


def uvicorn_config(settings: Settings, service: str) -> dict[str, Any]:
    """uvicorn's ``log_config``: applied in every worker process it starts, so each one logs
    in the same format. uvicorn's own access log is off: ``services.ops.http`` writes one line
    per request with the route, status, duration and correlation id instead."""
    kind = "JsonFormatter" if settings.log_json else "TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "services.ops.logs.ContextFilter", "service": service}},
        "formatters": {"line": {"()": f"services.ops.logs.{kind}"}},
        "handlers": {
            "stderr": {
                "()": "services.ops.logs.StderrHandler",
                "formatter": "line",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["stderr"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def litestar_config() -> Any:
    """Litestar's logging: its ``litestar`` logger (exceptions with tracebacks) propagates to the
    root handler above instead of Litestar configuring the root logger with its own format."""
    from litestar.logging.config import LoggingConfig

    return LoggingConfig(
        configure_root_logger=False,
        loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}},
    )
