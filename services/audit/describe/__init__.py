"""Every event as one human-readable audit line (Bahasa Indonesia) plus field-level changes.

``describe(event, before)`` is pure: it reads the event and, when given, the record as it stood
just before the event (an ``Innovation`` aggregate, an ``InnovationState``, a bare ``Profile``,
or the ``Call``/``Organisation``/``Account`` aggregate of the stream). Without ``before`` the
"before" side of each change is ``None`` (unknown), never a guess. Used by the history endpoint,
the audit-trail export and the notification engineer's audit-trail worker, so its signature is
stable: ``describe(event, before=None, *, who=None) -> AuditLine``.

Password hashes are never described, in any form.

The descriptions are split by what they describe: ``innovations``, ``spd`` and ``directory``
(calls, organisations, accounts); ``lines`` holds what they share.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from uuid import UUID

from services.audit.describe import care, directory, innovations, research, spd
from services.audit.describe.innovations import _next_status
from services.audit.describe.lines import (
    AuditLine,
    FieldChange,
    _Before,
    _who,
    jakarta_time,
)
from services.domain import events as ev
from services.domain.call import JAKARTA

__all__ = [
    "JAKARTA",
    "AuditLine",
    "FieldChange",
    "describe",
    "describe_stream",
    "jakarta_time",
]


# ==== describe ==================================================================================


def describe(event: ev.Event, before: Any = None, *, who: str | None = None) -> AuditLine:
    """One audit line for any event of the catalogue.

    ``before``: the record just before ``event`` (see the module docstring) or None.
    ``who``: the actor's display name (username) if the caller knows it; else a short id.
    """
    b = _Before(before)
    actor = _who(event, who)
    when = jakarta_time(event.timestamp)
    handler = _HANDLERS.get(type(event))
    if handler is None:  # a topic added to the catalogue without a description: still readable
        return AuditLine(summary=f"{actor} mencatat {type(event).__name__} ({when}).")
    what, changes = handler(event, b)
    if isinstance(event, ev.InnovationEvent):
        status_after = _next_status(b, event)
        if status_after is not None and status_after != b.status:
            changes = [
                FieldChange(
                    field="status",
                    label="Status",
                    before=b.status,
                    after=status_after,
                ),
                *changes,
            ]
    return AuditLine(summary=f"{actor} {what} ({when}).", changes=changes)


def describe_stream(
    events: Iterable[ev.Event], names: dict[UUID, str] | None = None
) -> Iterator[tuple[ev.Event, AuditLine]]:
    """Describe a whole stream in one fold (O(n)): each event sees the record just before it."""
    from services.domain.call import Call
    from services.domain.innovation import Innovation
    from services.domain.organisation import Account, Organisation

    kinds: dict[str, type[Any]] = {
        "innovation": Innovation,
        "call": Call,
        "organisation": Organisation,
        "account": Account,
    }
    aggregate: Any = None
    names = names or {}
    for event in events:
        if aggregate is None:
            cls = kinds.get(event.TOPIC.split(".", 1)[0])
            if event.TOPIC.startswith("research."):  # agenda and proposal share the prefix
                from services.domain.research.streams import aggregate_of

                cls = aggregate_of(event)
            aggregate = cls(event.originator_id) if cls is not None else None
        line = describe(
            event,
            aggregate if aggregate is not None and aggregate.version else None,
            who=names.get(event.actor.account_id) if event.actor.account_id else None,
        )
        yield event, line
        if aggregate is not None:
            aggregate.apply(event)


_HANDLERS: dict[type[ev.Event], Any] = {
    **innovations.HANDLERS,
    **care.HANDLERS,
    **spd.HANDLERS,
    **directory.HANDLERS,
    **research.HANDLERS,
}


def described_topics() -> frozenset[str]:
    """Topics with a dedicated description (the test checks this covers the catalogue)."""
    return frozenset(cls.TOPIC for cls in _HANDLERS)
