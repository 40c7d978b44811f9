"""The event store: eventsourcing's Application and recorders, with msgspec encoding.

``EventStore`` is the only way state is written. It loads aggregates by replaying their stream
(or a past version of it), saves new events with optimistic concurrency, and turns the library's
integrity error into ``ConcurrencyConflict`` carrying the stream's current version.

Persistence is chosen by ``SIRISMA_DATABASE_URL``: unset → one SQLite file under the data folder;
``postgresql://…`` → PostgreSQL through psycopg 3 and its pool.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterator, Sequence
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
from services.eventstore import snapshots
from services.eventstore.group_commit import GROUP_COMMIT_RECORDER_TOPIC
from services.eventstore.pg_factory import FACTORY_TOPIC
from services.eventstore.recorders import (
    POSTGRES_RECORDER_TOPIC,
    SQLITE_RECORDER_TOPIC,
    snapshot_table,
)
from services.eventstore.riders import Rider
from services.eventstore.state_cache import Held, StateCache, kept

A = TypeVar("A", bound=Aggregate)
B = TypeVar("B", bound=Aggregate)

APP_NAME = "sirisma"

log = logging.getLogger("sirisma.eventstore")


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


class _Version(msgspec.Struct):
    class_version: int = 1


_version = msgspec.json.Decoder(_Version)


@cache
def event_decoder(topic: str) -> Callable[[bytes], Event]:
    """How to decode one topic's stored state: straight into its Struct, or, for a class with
    ``class_version > 1``, through its upcasts (a projection looks this up once per topic)."""
    cls = event_class(topic)
    if getattr(cls, "class_version", 1) == 1:
        return _decoder(cls).decode
    return functools.partial(_decode_versioned, cls)


def decode_event(topic: str, data: bytes) -> Event:
    return event_decoder(topic)(data)


@cache
def _lax_decoder(cls: type[Event]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(cls, strict=False)


def _decode_versioned(cls: type[Event], data: bytes) -> Event:
    if _version.decode(data).class_version == cls.class_version:
        # Stored at the current version: no upcast, so no dict in between (as convert would).
        return _lax_decoder(cls).decode(data)  # type: ignore[no-any-return]
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

    def __init__(
        self,
        settings: Settings,
        env: dict[str, str] | None = None,
        *,
        snapshot_every: int = snapshots.EVERY,
    ) -> None:
        self.settings = settings
        self.app = SirismaApplication(env={**persistence_env(settings), **(env or {})})
        self.recorder = self.app.recorder
        self.cache = StateCache(settings.stream_cache_events)
        # Like eventsourcing's ``snapshotting_intervals``, for every kind of aggregate: a save
        # that passes a multiple of this version stores a snapshot (0: none are stored or read).
        self.snapshot_every = snapshot_every if hasattr(self.recorder, "replay_rows") else 0
        self._snapshots: Any = None

    def close(self) -> None:
        self.app.close()

    # -- write -------------------------------------------------------------------------------

    def save(self, *aggregates: Aggregate) -> list[int]:
        """Store every pending event of the given aggregates atomically; return notification ids.

        A version clash with a concurrent writer raises ConcurrencyConflict and stores nothing.

        What the library's ``Application.save`` does for us, without what it does besides
        (runtime protocol checks per object, Recording objects, snapshot and notify hooks that
        SI-RISMA does not use: snapshots are ``_store_snapshot``'s): collect the pending events,
        map them with the application's mapper, insert them with its recorder.
        """
        pending = [(a, tuple(a.collect_events())) for a in aggregates]
        mapper = self.app.mapper
        stored = [mapper.to_stored_event(e) for _, events in pending for e in events]
        try:
            ids = list(self.recorder.insert_events(stored) or []) if stored else []
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
            self.cache.settle(aggregate.id, aggregate, events)
            every = self.snapshot_every
            if (
                events
                and every
                and aggregate.version // every > (events[0].originator_version - 1) // every
            ):
                self._store_snapshot(aggregate)
        return ids

    def _store_snapshot(self, aggregate: Aggregate) -> None:
        """After the commit, in its own statement: a failure here loses only the shortcut."""
        try:
            links = getattr(self.recorder, "links", None)
            link = links.get(aggregate.id, aggregate.version) if links is not None else None
            link = link or self.recorder.link_at(aggregate.id, aggregate.version)  # type: ignore[attr-defined]
            if link is None:  # unsealed: nothing to pin the snapshot to
                return
            data = snapshots.take(aggregate, link)
            if self._snapshots is None:
                self._snapshots = self.app.factory.aggregate_recorder("snapshots")
            with contextlib.suppress(IntegrityError):  # the auditor's timeline stored it first
                self._snapshots.insert_events(
                    [StoredEvent(aggregate.id, aggregate.version, snapshots.TOPIC, data)]
                )
        except Exception as exc:  # noqa: BLE001 (the command is committed; loads still replay)
            log.warning("no snapshot of %s@%d: %s", aggregate.id, aggregate.version, exc)

    # -- read --------------------------------------------------------------------------------

    def events(
        self, aggregate_id: UUID, *, gt: int | None = None, lte: int | None = None
    ) -> list[Event]:
        return list(self.app.events.get(aggregate_id, gt=gt, lte=lte))  # type: ignore[arg-type]

    def load(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """The aggregate at ``version`` (None: the latest): from the state held in memory
        (``state_cache``) or the nearest snapshot, plus the events after it. The cost does not
        grow with the stream: at most ``rebase_after`` (in memory) or ``snapshot_every`` events
        are replayed, plus whatever is new."""
        held = self.cache.get(aggregate_id)
        if held is None or (version is not None and version < held.base_version):
            return self._load_from_log(cls, aggregate_id, version)
        if not issubclass(held.cls, cls):
            # Another kind of aggregate has this id (account and organisation ids are public).
            raise NotFound(cls.__name__, aggregate_id)
        newer: list[Event] = []
        if version is not None and version <= held.version:
            base, events = held.state(version)
        else:
            base, events = held.state()
            newer = self.events(aggregate_id, gt=held.version, lte=version)
        aggregate = self._replay(cls, aggregate_id, (*events, *newer), base)
        self.cache.settle(aggregate_id, aggregate, newer)
        return aggregate

    def load_with(
        self,
        cls: type[A],
        aggregate_id: UUID,
        other_cls: type[B],
        other_id: Callable[[A], UUID | None],
        rider: Rider | None = None,
    ) -> tuple[A, B | None]:
        """The latest ``aggregate_id`` and the latest of the aggregate it names (``other_id``,
        e.g. an innovation's call; None when it names none or there is none), in ONE query
        when both streams are held in memory: what each gained since, so neither is stale.
        ``rider`` is answered by that query (``riders``); on any other path it is left
        unanswered."""
        select = getattr(self.recorder, "select_streams", None)
        held = self.cache.get(aggregate_id)
        if select is not None and held is not None and issubclass(held.cls, cls):
            base, tail = held.state()
            aggregate = self._replay(cls, aggregate_id, tail, base)
            oid = other_id(aggregate)
            other_held = self.cache.get(oid) if oid is not None else None
            if oid is not None and other_held is not None and issubclass(other_held.cls, other_cls):
                found = select([(aggregate_id, held.version), (oid, other_held.version)], rider)
                newer = [decode_event(topic, state) for _, topic, state in found[aggregate_id]]
                aggregate = self._replay(cls, aggregate_id, newer, aggregate)
                self.cache.settle(aggregate_id, aggregate, newer)
                other_newer = [decode_event(topic, state) for _, topic, state in found[oid]]
                other_base, other_tail = other_held.state()
                other = self._replay(other_cls, oid, (*other_tail, *other_newer), other_base)
                self.cache.settle(oid, other, other_newer)
                if other_id(aggregate) == oid:
                    return aggregate, other
                return aggregate, self._load_optional(other_cls, other_id(aggregate))
        aggregate = self.load(cls, aggregate_id)
        return aggregate, self._load_optional(other_cls, other_id(aggregate))

    def _load_optional(self, cls: type[B], aggregate_id: UUID | None) -> B | None:
        if aggregate_id is None:
            return None
        try:
            return self.load(cls, aggregate_id)
        except NotFound:
            return None

    def _load_from_log(self, cls: type[A], aggregate_id: UUID, version: int | None) -> A:
        """One query: the nearest usable snapshot at or before ``version`` and the events after
        it (every event when there is none, or it no longer fits the code or the chain)."""
        base: Aggregate | None = None
        if self.snapshot_every:
            table = snapshot_table(self.recorder.events_table_name)  # type: ignore[attr-defined]
            rows = self.recorder.replay_rows(aggregate_id, version, table, None)  # type: ignore[attr-defined]
            base = snapshots.usable(rows.snapshot, cls)
            if rows.snapshot is not None and base is None:
                events = self.events(aggregate_id, lte=version)
            else:
                links = getattr(self.recorder, "links", None)
                if base is not None and links is not None and rows.snapshot is not None:
                    links.put(aggregate_id, rows.snapshot[0], rows.snapshot[2])
                    links.extend(aggregate_id, rows.events, rows.snapshot[0])
                elif links is not None:
                    links.extend(aggregate_id, rows.events, 0)
                events = [decode_event(topic, state) for _, topic, state in rows.events]
        else:
            events = self.events(aggregate_id, lte=version)
        aggregate = self._replay(cls, aggregate_id, events, base)
        if version is None:
            self.cache.put(
                aggregate_id, Held(type(aggregate), kept(aggregate), aggregate.version, ())
            )
        return aggregate

    @staticmethod
    def _replay(cls: type[A], aggregate_id: UUID, events: Sequence[Event], base: Any) -> A:
        if base is None and events and type(events[0]) not in cls._handlers:
            # Another kind of aggregate has this id (account and organisation ids are public).
            raise NotFound(cls.__name__, aggregate_id)
        aggregate = cls.replay(events, into=base)
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
