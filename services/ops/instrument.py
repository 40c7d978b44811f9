"""Commands by type: count every command a process handles, and its optimistic-concurrency
conflicts, without touching the handlers.

``instrument(commands)`` wraps, on that one ``Commands`` instance, every public method that
returns an ``Outcome`` (or a list of them): the command handlers, and nothing that only reads.
The HTTP app instruments its runtime's commands (``services/app.py``), so requests, pages and
the review batch routes are all counted, whichever route issued the command.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from services import metrics
from services.domain.errors import DomainError
from services.eventstore.store import ConcurrencyConflict

_MARK = "_sirisma_instrumented"


def command_names(cls: type) -> list[str]:
    """Public methods of ``cls`` whose return annotation names ``Outcome``: the commands."""
    names = []
    for name, function in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_"):
            continue
        annotation = inspect.signature(function).return_annotation
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if "Outcome" in str(text):
            names.append(name)
    return names


def outcome_of(exc: BaseException) -> str:
    if isinstance(exc, ConcurrencyConflict):
        return "conflict"
    if isinstance(exc, DomainError):
        return "refused"
    return "error"


def _counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    ok = metrics.COMMANDS.labels(command=name, outcome="ok")

    @functools.wraps(method)
    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            result = method(*args, **kwargs)
        except BaseException as exc:
            outcome = outcome_of(exc)
            metrics.COMMANDS.labels(command=name, outcome=outcome).inc()
            if outcome == "conflict":
                metrics.CONFLICTS.labels(command=name).inc()
            raise
        ok.inc()
        return result

    return counted


def instrument(commands: Any) -> Any:
    """Count ``commands``' command handlers (idempotent: a second call changes nothing)."""
    if getattr(commands, _MARK, False):
        return commands
    for name in command_names(type(commands)):
        setattr(commands, name, _counted(name, getattr(commands, name)))
    setattr(commands, _MARK, True)
    return commands
