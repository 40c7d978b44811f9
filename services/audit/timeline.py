"""State as of any version or moment, rebuilt from the log, with snapshots for long streams.

``Timeline.innovation(id, version)`` = nearest usable snapshot ≤ version + replay of the events
after it. While replaying it stores a snapshot every ``snapshot_every`` versions, so the first
request on a long stream pays once and later ones replay at most ``snapshot_every - 1`` events.

``state_at`` computes the score and completeness with the rubric of the innovation's own
``rubric_year`` (the rubric in force for it, which decision events also record) and against the
call as it stood at that moment.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any, cast
from uuid import UUID

import msgspec
from eventsourcing.persistence import AggregateRecorder, IntegrityError, StoredEvent

from services.domain.aggregate import Aggregate
from services.domain.call import Call
from services.domain.innovation import Innovation
from services.domain.innovation_views import InnovationState, to_state
from services.domain.rubric import Rubric, load_rubric
from services.eventstore import snapshots
from services.eventstore.chain import to_micros
from services.eventstore.recorders import ChainedRecorder
from services.eventstore.store import EventStore, NotFound, decode_event

log = logging.getLogger("sirisma.audit")

SNAPSHOT_EVERY = snapshots.EVERY
SNAPSHOT_TOPIC = snapshots.TOPIC


class VersionNotFound(NotFound):
    def __init__(self, id: UUID, version: int, current: int) -> None:
        Exception.__init__(
            self,
            f"Inovasi {id} tidak memiliki versi {version} (versi terakhir {current}).",
        )
        self.kind, self.id = "Versi", id


class NotYetExisting(NotFound):
    def __init__(self, id: UUID, at: datetime) -> None:
        Exception.__init__(self, f"Inovasi {id} belum ada pada {at.isoformat()}.")
        self.kind, self.id = "Inovasi", id


class Timeline:
    def __init__(self, store: EventStore, snapshot_every: int = SNAPSHOT_EVERY) -> None:
        self.store = store
        self.snapshot_every = snapshot_every
        recorder = store.recorder
        if not hasattr(recorder, "chain_for"):
            raise TypeError("the event store's recorder does not keep the hash chain")
        self.chain = cast(ChainedRecorder, recorder)
        self.snapshots: AggregateRecorder = store.app.factory.aggregate_recorder("snapshots")
        self._snapshot_table: str = self.snapshots.events_table_name  # type: ignore[attr-defined]
        self._call_ids: dict[UUID, UUID] = {}  # innovation → its call (never changes)
        self._calls: OrderedDict[tuple[UUID, int], Call] = OrderedDict()
        self._lock = threading.Lock()  # one Timeline serves every request thread

    # -- versions and moments ----------------------------------------------------------------

    def version_at(self, id: UUID, at: datetime) -> int:
        """The last version recorded at or before ``at`` (0: the stream did not exist yet)."""
        return self.chain.version_at(id, to_micros(at))

    # -- aggregates as of a version ----------------------------------------------------------

    def load(self, cls: type[Aggregate], id: UUID, version: int | None = None) -> Any:
        """``cls`` at ``version`` (None: latest), via the nearest snapshot."""
        return self._fold(cls, id, version)[0]

    def innovation(self, id: UUID, version: int | None = None) -> Innovation:
        return cast(Innovation, self.load(Innovation, id, version))

    def _fold(
        self, cls: type[Aggregate], id: UUID, version: int | None, call_id: UUID | None = None
    ) -> tuple[Any, int | None]:
        """(aggregate at ``version``, the call's version then if ``call_id`` was given)."""
        aggregate: Aggregate | None = None
        call_version: int | None = None
        raw: list[tuple[int, str, bytes]]
        if self.snapshot_every:
            rows = self.chain.replay_rows(id, version, self._snapshot_table, call_id)
            call_version = rows.call_version
            aggregate, _ = self._usable(cls, id, rows.snapshot)
            if rows.snapshot is not None and aggregate is None:  # unusable: from the start
                stored = self.store.recorder.select_events(id, lte=version)
                raw = [(e.originator_version, e.topic, e.state) for e in stored]
            else:
                raw = rows.events
        else:
            stored = self.store.recorder.select_events(id, lte=version)
            raw = [(e.originator_version, e.topic, e.state) for e in stored]
        for _, topic, state in raw:
            event = decode_event(topic, state)
            if aggregate is None:
                aggregate = cls(event.originator_id)
            try:
                aggregate.apply(event)
            except TypeError:  # the id names another kind of stream (a call, an account…)
                raise NotFound(cls.__name__, id) from None
            if self.snapshot_every and aggregate.version % self.snapshot_every == 0:
                self._store_snapshot(aggregate)
        if aggregate is None or not isinstance(aggregate, cls):
            raise NotFound(cls.__name__, id)
        if version is not None and aggregate.version != version:
            raise VersionNotFound(id, version, aggregate.version)
        return aggregate, call_version

    def _snapshot(
        self, cls: type[Aggregate], id: UUID, version: int | None
    ) -> tuple[Aggregate | None, int]:
        """The nearest usable snapshot at or before ``version`` (None, 0 if there is none)."""
        rows = self.chain.replay_rows(id, version, self._snapshot_table, None)
        return self._usable(cls, id, rows.snapshot)

    def _usable(
        self, cls: type[Aggregate], id: UUID, found: tuple[int, bytes, str | None] | None
    ) -> tuple[Aggregate | None, int]:
        if found is None:
            return None, 0
        at, data, link_now = found
        try:
            restored = snapshots.restore(data, cls)
        except (ValueError, TypeError, KeyError, msgspec.MsgspecError) as exc:
            log.warning("unusable snapshot %s@%s: %s", id, at, exc)
            return None, 0
        if restored is None:
            return None, 0
        aggregate, link = restored
        if link_now != link:
            log.warning("snapshot %s@%s no longer matches the chain", id, at)
            return None, 0
        return aggregate, at

    def _store_snapshot(self, aggregate: Aggregate) -> None:
        link = self.chain.link_at(aggregate.id, aggregate.version)
        if link is None:  # unsealed stream: nothing to pin the snapshot to
            return
        try:
            data = snapshots.take(aggregate, link)
        except TypeError as exc:  # a value the codec does not know: replay instead
            log.warning("cannot snapshot %s: %s", type(aggregate).__name__, exc)
            return
        with contextlib.suppress(IntegrityError):  # another reader stored it first
            self.snapshots.insert_events(
                [
                    StoredEvent(
                        originator_id=aggregate.id,
                        originator_version=aggregate.version,
                        topic=SNAPSHOT_TOPIC,
                        state=data,
                    )
                ]
            )

    # -- the full state -------------------------------------------------------------------------

    def call_at(self, call_id: UUID, moment: datetime | None) -> Call | None:
        """The call as it stood at ``moment`` (its deadline may have moved since)."""
        version = self.version_at(call_id, moment) if moment is not None else 0
        return self._call(call_id, version)

    def _call(self, call_id: UUID, version: int) -> Call | None:
        key = (call_id, version)
        with self._lock:
            call = self._calls.get(key)
        if call is None:
            try:
                call = self.store.load(Call, call_id, version or None)
            except NotFound:
                return None
            with self._lock:
                self._calls[key] = call
                if len(self._calls) > 256:
                    self._calls.popitem(last=False)
        return call

    def state_of(self, innovation: Innovation, rubric: Rubric | None = None) -> InnovationState:
        rubric = rubric or load_rubric(innovation.rubric_year)
        call_id, moment = innovation.call_id, innovation.modified_on
        call = self.call_at(call_id, moment) if call_id is not None else None
        return to_state(innovation, rubric, call)

    def state_at(self, id: UUID, version: int) -> InnovationState:
        """One round trip for the snapshot, the events after it and the call's version."""
        known_call = self._call_ids.get(id)
        aggregate, call_version = self._fold(Innovation, id, version, known_call)
        innovation = cast(Innovation, aggregate)
        if innovation.call_id is not None and known_call is None:
            with self._lock:
                if len(self._call_ids) > 10_000:
                    self._call_ids.clear()
                self._call_ids[id] = innovation.call_id
        if innovation.call_id is not None and call_version is not None:
            call = self._call(innovation.call_id, call_version)
            return to_state(innovation, load_rubric(innovation.rubric_year), call)
        return self.state_of(innovation)

    def state_at_time(self, id: UUID, at: datetime) -> InnovationState:
        version = self.version_at(id, at)
        if version == 0:
            raise NotYetExisting(id, at)
        return self.state_at(id, version)
