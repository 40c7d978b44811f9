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

from eventsourcing.persistence import AggregateRecorder, IntegrityError, StoredEvent

from services.audit import snapshots
from services.audit.chain import to_micros
from services.audit.recorders import ChainedRecorder
from services.domain.aggregate import Aggregate
from services.domain.call import Call
from services.domain.innovation import Innovation, InnovationState
from services.domain.rubric import load_rubric
from services.store import EventStore, NotFound

log = logging.getLogger("sirisma.audit")

SNAPSHOT_EVERY = 50
SNAPSHOT_TOPIC = "sirisma.audit.snapshot"


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
        self._calls: OrderedDict[tuple[UUID, int], Call] = OrderedDict()
        self._lock = threading.Lock()  # one Timeline serves every request thread

    # -- versions and moments ----------------------------------------------------------------

    def version_at(self, id: UUID, at: datetime) -> int:
        """The last version recorded at or before ``at`` (0: the stream did not exist yet)."""
        return self.chain.version_at(id, to_micros(at))

    # -- aggregates as of a version ----------------------------------------------------------

    def load(self, cls: type[Aggregate], id: UUID, version: int | None = None) -> Any:
        """``cls`` at ``version`` (None: latest), via the nearest snapshot."""
        aggregate: Aggregate | None = None
        start = 0
        if self.snapshot_every:
            aggregate, start = self._snapshot(cls, id, version)
        events = self.store.events(id, gt=start or None, lte=version)
        for event in events:
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
        return aggregate

    def innovation(self, id: UUID, version: int | None = None) -> Innovation:
        return cast(Innovation, self.load(Innovation, id, version))

    def _snapshot(
        self, cls: type[Aggregate], id: UUID, version: int | None
    ) -> tuple[Aggregate | None, int]:
        found = self.snapshots.select_events(id, lte=version, desc=True, limit=1)
        if not found or found[0].topic != SNAPSHOT_TOPIC:
            return None, 0
        stored = found[0]
        try:
            restored = snapshots.restore(stored.state, cls)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("unusable snapshot %s@%s: %s", id, stored.originator_version, exc)
            return None, 0
        if restored is None:
            return None, 0
        aggregate, link = restored
        if self.chain.link_at(id, stored.originator_version) != link:
            log.warning("snapshot %s@%s no longer matches the chain", id, stored.originator_version)
            return None, 0
        return aggregate, stored.originator_version

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

    def state_of(self, innovation: Innovation) -> InnovationState:
        rubric = load_rubric(innovation.rubric_year)
        call_id, moment = innovation.call_id, innovation.modified_on
        call = self.call_at(call_id, moment) if call_id is not None else None
        return innovation.to_state(rubric, call)

    def state_at(self, id: UUID, version: int) -> InnovationState:
        return self.state_of(self.innovation(id, version))

    def state_at_time(self, id: UUID, at: datetime) -> InnovationState:
        version = self.version_at(id, at)
        if version == 0:
            raise NotYetExisting(id, at)
        return self.state_at(id, version)
