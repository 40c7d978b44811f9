"""The event store: eventsourcing's Application and recorders, with msgspec encoding.

``EventStore`` is the only way state is written. It loads aggregates by replaying their stream
(or a past version of it), saves new events with optimistic concurrency, and turns the library's
integrity error into ``ConcurrencyConflict`` carrying the stream's current version.

Persistence is chosen by ``SIRISMA_DATABASE_URL``: unset → one SQLite file under the data folder;
``postgresql://…`` → PostgreSQL through psycopg 3 and its pool.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse
from uuid import UUID

import msgspec
from eventsourcing.application import Application
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    Mapper,
    Notification,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import resolve_topic

from services.config import Settings
from services.domain.aggregate import Aggregate
from services.domain.events import CATALOGUE, Event
from services.eventstore.group_commit import GROUP_COMMIT_RECORDER_TOPIC
from services.eventstore.pg_factory import FACTORY_TOPIC
from services.eventstore.recorders import POSTGRES_RECORDER_TOPIC, SQLITE_RECORDER_TOPIC

A = TypeVar("A", bound=Aggregate)

APP_NAME = "sirisma"


class ConcurrencyConflict(Exception):
    """Someone else saved this aggregate first. Nothing of this save was stored."""

    def __init__(self, aggregate_id: UUID, attempted_version: int, current_version: int) -> None:
        super().__init__(
            f"Data telah diubah oleh pengguna lain (versi saat ini {current_version}, "
            f"versi Anda {attempted_version - 1})."
        )
        self.aggregate_id = aggregate_id
        self.attempted_version = attempted_version
        self.current_version = current_version


class NotFound(Exception):
    def __init__(self, kind: str, id: object) -> None:
        super().__init__(f"{kind} {id} tidak ditemukan.")
        self.kind = kind
        self.id = id


class UnsupportedMapperOption(ValueError):
    """The library's compression or encryption was asked for; SI-RISMA's mapper does neither."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name} tidak didukung: peristiwa SI-RISMA disimpan sebagai JSON msgspec tanpa "
            "kompresi atau enkripsi (rantai hash dan verifikator membaca JSON itu)"
        )
        self.name = name


class MsgspecTranscoder(Transcoder):
    """Only here to satisfy the library's factory; the mapper below encodes with msgspec."""

    def encode(self, obj: Any) -> bytes:
        return msgspec.json.encode(obj)

    def decode(self, data: bytes) -> Any:
        return msgspec.json.decode(data)


_encoder = msgspec.json.Encoder(decimal_format="string")


@cache
def _decoder(cls: type[Event]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(cls)


def event_class(topic: str) -> type[Event]:
    return CATALOGUE.get(topic) or resolve_topic(topic)


class MsgspecMapper(Mapper[UUID]):
    """Stores an event as its msgspec JSON; decodes straight into the Struct when no upcast is due.

    Events whose class has ``class_version > 1`` are stored with that number; older records are
    decoded to a dict, passed through ``upcast_vN_vN1`` in order, then converted to the Struct.
    """

    def __init__(self) -> None:
        super().__init__(transcoder=MsgspecTranscoder())

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        cls = type(domain_event)
        class_version = getattr(cls, "class_version", 1)
        if class_version > 1:
            # to_builtins already renders Decimal as a string (it takes no decimal_format).
            state = msgspec.to_builtins(domain_event)
            state["class_version"] = class_version
            data = _encoder.encode(state)
        else:
            data = _encoder.encode(domain_event)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=cls.TOPIC,
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return decode_event(stored_event.topic, stored_event.state)


def decode_event(topic: str, data: bytes) -> Event:
    cls = event_class(topic)
    if getattr(cls, "class_version", 1) == 1:
        return _decoder(cls).decode(data)
    state = msgspec.json.decode(data)
    version = state.pop("class_version", 1)
    while version < cls.class_version:
        getattr(cls, f"upcast_v{version}_v{version + 1}")(state)
        version += 1
    return msgspec.convert(state, cls, strict=False)


def persistence_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's environment for the configured database."""
    if settings.is_postgres:
        url = urlparse(settings.database_url)
        return {
            # eventsourcing.postgres, with reconnect-on-failure instead of a ping per query.
            "PERSISTENCE_MODULE": FACTORY_TOPIC,
            "POSTGRES_DBNAME": url.path.lstrip("/") or "sirisma",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": str(settings.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.pool_size),
            # No POSTGRES_PRE_PING (a round trip per checkout): the factory's pool checks
            # connections without one (services/eventstore/pg_factory.py).
            "POSTGRES_CONNECT_TIMEOUT": "10",
            # Every event is sealed into its stream's hash chain (services/eventstore/recorders.py),
            # by default with group commit (services/eventstore/group_commit.py).
            "APPLICATION_RECORDER_TOPIC": (
                GROUP_COMMIT_RECORDER_TOPIC if settings.group_commit else POSTGRES_RECORDER_TOPIC
            ),
        }
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        raise ValueError(
            f"SIRISMA_DATABASE_URL harus postgresql://… atau kosong, bukan "
            f"{settings.database_url.split(':', 1)[0]}://…"
        )
    path = (
        settings.database_url.removeprefix("sqlite:///")
        if settings.database_url
        else str(settings.event_db_path)
    )
    if path != ":memory:":
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path if path != ":memory:" else "file::memory:?cache=shared",
        "SQLITE_LOCK_TIMEOUT": "10",
        "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
    }


class StreamCache:
    """The decoded events of recently loaded streams, so a load reads only what is new.

    Stored events never change (the log is append-only: triggers and the app role refuse
    UPDATE and DELETE), so a cached prefix of a stream stays true; every load of the latest
    version still asks the log for the events after it, so writes by other processes are
    seen at once. Bounded by the number of events held, least recently used out first.
    """

    def __init__(self, max_events: int) -> None:
        self.max_events = max_events
        self._streams: OrderedDict[UUID, tuple[Event, ...]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, id: UUID) -> tuple[Event, ...]:
        with self._lock:
            events = self._streams.get(id, ())
            if events:
                self._streams.move_to_end(id)
            return events

    def extend(self, id: UUID, events: Sequence[Event]) -> None:
        """Add events that directly follow what is held (anything else is ignored)."""
        if not events or self.max_events <= 0:
            return
        with self._lock:
            held = self._streams.get(id, ())
            if events[0].originator_version != len(held) + 1:
                return  # not contiguous with what is held (a concurrent load got there first)
            self._streams[id] = (*held, *events)
            self._streams.move_to_end(id)
            self._size += len(events)
            while self._size > self.max_events and self._streams:
                _, dropped = self._streams.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._streams.clear()
            self._size = 0


class SirismaApplication(Application[UUID]):
    name = APP_NAME

    def construct_mapper(self) -> Mapper[UUID]:
        """The msgspec mapper. It neither compresses nor encrypts, so an environment asking for
        either is refused here rather than silently storing plain JSON."""
        for name in (InfrastructureFactory.COMPRESSOR_TOPIC, InfrastructureFactory.CIPHER_TOPIC):
            if self.env.get(name):
                raise UnsupportedMapperOption(name)
        return MsgspecMapper()


class EventStore:
    """Load, decide, save: the write side's only door to the log."""

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.app = SirismaApplication(env={**persistence_env(settings), **(env or {})})
        self.recorder = self.app.recorder
        self.cache = StreamCache(settings.stream_cache_events)

    def close(self) -> None:
        self.app.close()

    # -- write -------------------------------------------------------------------------------

    def save(self, *aggregates: Aggregate) -> list[int]:
        """Store every pending event of the given aggregates atomically; return notification ids.

        A version clash with a concurrent writer raises ConcurrencyConflict and stores nothing.
        """
        pending = [(a, a.pending_events) for a in aggregates]
        try:
            recordings = self.app.save(*aggregates)
        except IntegrityError:
            for aggregate, events in pending:
                if events:
                    current = self.current_version(aggregate.id)
                    if current >= events[0].originator_version:
                        raise ConcurrencyConflict(
                            aggregate.id, events[0].originator_version, current
                        ) from None
            raise
        for aggregate, events in pending:
            self.cache.extend(aggregate.id, events)
        return [r.notification.id for r in recordings]

    # -- read --------------------------------------------------------------------------------

    def events(
        self, aggregate_id: UUID, *, gt: int | None = None, lte: int | None = None
    ) -> list[Event]:
        return list(self.app.events.get(aggregate_id, gt=gt, lte=lte))  # type: ignore[arg-type]

    def load(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """The aggregate at ``version`` (None: the latest), from the cached prefix of its
        stream plus whatever the log holds after it."""
        held = self.cache.get(aggregate_id)
        if version is not None and version <= len(held):
            events: Sequence[Event] = held[:version]
        else:
            newer = self.events(aggregate_id, gt=len(held) or None, lte=version)
            self.cache.extend(aggregate_id, newer)
            events = (*held, *newer)
        if events and type(events[0]) not in cls._handlers:
            # Another kind of aggregate has this id (account and organisation ids are public).
            raise NotFound(cls.__name__, aggregate_id)
        aggregate = cls.replay(events)
        if aggregate is None or not isinstance(aggregate, cls):
            raise NotFound(cls.__name__, aggregate_id)
        return aggregate

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def current_version(self, aggregate_id: UUID) -> int:
        last = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        return last[0].originator_version if last else 0

    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0

    def notifications(
        self, start: int, limit: int, stop: int | None = None, topics: Sequence[str] = ()
    ) -> Sequence[Notification]:
        """Notifications with id ≥ start, in log order."""
        return self.recorder.select_notifications(start, limit, stop=stop, topics=topics)

    def iter_notifications(
        self, after: int = 0, batch: int = 1000, stop: int | None = None
    ) -> Iterator[Notification]:
        position = after
        while True:
            page = self.recorder.select_notifications(
                position, batch, stop=stop, inclusive_of_start=False
            )
            if not page:
                return
            yield from page
            position = page[-1].id
            if len(page) < batch:
                return

    def ping(self) -> bool:
        """Readiness: the store answers a query."""
        self.recorder.max_notification_id()
        return True
