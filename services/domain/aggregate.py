"""A minimal event-sourced aggregate base: commands record events, ``apply`` folds them.

The domain stays free of the storage library: the store only needs ``id``, ``version`` and
``collect_events()``, which is the protocol eventsourcing's Application.save() accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar
from uuid import UUID

import msgspec

from services.domain.actor import Actor
from services.domain.events import Event

E = TypeVar("E", bound=Event)


class Context(msgspec.Struct, frozen=True, kw_only=True):
    """Who is acting, for which request, at what time: stamped on every event recorded."""

    actor: Actor
    correlation_id: str = ""
    now: datetime | None = None

    def timestamp(self) -> datetime:
        return self.now or datetime.now(UTC)


class Aggregate:
    """Base class. Subclasses register ``apply`` handlers per event class with ``@applies``."""

    _handlers: ClassVar[dict[type[Event], Callable[[Any, Any], None]]]

    def __init__(self, id: UUID) -> None:
        self.id = id
        self.version = 0
        self.created_on: datetime | None = None
        self.modified_on: datetime | None = None
        self._pending: list[Event] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                for event_cls in getattr(attr, "_applies_to", ()):
                    cls._handlers[event_cls] = attr

    # -- recording ---------------------------------------------------------------------------

    def _record(self, ctx: Context, event_cls: type[E], **fields: Any) -> E:
        event = event_cls(
            originator_id=self.id,
            originator_version=self.version + 1,
            timestamp=ctx.timestamp(),
            actor=ctx.actor,
            correlation_id=ctx.correlation_id,
            **fields,
        )
        self.apply(event)
        self._pending.append(event)
        return event

    def collect_events(self) -> list[Event]:
        events, self._pending = self._pending, []
        return events

    @property
    def pending_events(self) -> tuple[Event, ...]:
        return tuple(self._pending)

    # -- folding -----------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        if event.originator_version != self.version + 1:
            raise ValueError(
                f"event version {event.originator_version} does not follow {self.version}"
            )
        handler = self._handlers.get(type(event))
        if handler is None:
            raise TypeError(f"{type(self).__name__} has no handler for {type(event).__name__}")
        handler(self, event)
        self.version = event.originator_version
        if self.created_on is None:
            self.created_on = event.timestamp
        self.modified_on = event.timestamp

    @classmethod
    def replay(cls, events: Iterable[Event], into: Self | None = None) -> Self | None:
        """Rebuild from stored events (optionally continuing from a snapshot); None if none."""
        aggregate = into
        for event in events:
            if aggregate is None:
                aggregate = cls(event.originator_id)
            aggregate.apply(event)
        return aggregate


def applies(*event_classes: type[Event]) -> Callable[[Callable[[Any, Any], None]], Any]:
    """Mark a method as the state change for these event classes."""

    def mark(func: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        func._applies_to = event_classes  # type: ignore[attr-defined]
        return func

    return mark
