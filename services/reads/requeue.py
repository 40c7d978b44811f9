"""Applying quarantined events again (``sirisma projections retry-quarantined``, the admin page).

The runner records an event it gave up on in ``services.quarantine`` and moves on. Once the cause
is fixed (new code, a repaired record), this applies each quarantined event to its follower —
a read model, or the notification relay's planning — in one transaction that also removes it
from quarantine; one that still fails stays, with the new error. The follower's tracking row is
locked first, so a retry never interleaves with a batch of the running follower.

The event is applied after the events that followed it in the log, so the stream ends as that
late event leaves it; for most events (each sets fields of its own stream) that is what it would
have been, but not always: ``sirisma rebuild`` of the model gives the exact result once every
event can be applied.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections import registry, tracking
from projections.log import Decoder, EventLog
from projections.target import Session, Target
from services import quarantine
from services.config import Settings
from services.eventstore.store import EventStore
from services.quarantine import RELAY, Item, RetryOutcome


def pending(settings: Settings, followers: Sequence[str] | None = None) -> list[Item]:
    session = Target(settings).connect()
    try:
        with session.transaction() as tx:
            tracking.ensure_schema(tx)
            return quarantine.items(tx, list(followers) if followers else None)
    finally:
        session.close()


def retry(
    settings: Settings,
    followers: Sequence[str] | None = None,
    *,
    notification_id: int | None = None,
    store: EventStore | None = None,
) -> list[RetryOutcome]:
    """Apply every quarantined event (of ``followers``, or just ``notification_id``) again."""
    own_store = store is None
    store = store or EventStore(settings)
    session = Target(settings).connect()
    try:
        with session.transaction() as tx:
            tracking.ensure_schema(tx)
            items = quarantine.items(tx, list(followers) if followers else None)
        if notification_id is not None:
            items = [i for i in items if i.notification_id == notification_id]
        event_log = EventLog(store)
        return [_retry_one(session, event_log, store, settings, item) for item in items]
    finally:
        session.close()
        if own_store:
            store.close()


def _retry_one(
    session: Session, event_log: EventLog, store: EventStore, settings: Settings, item: Item
) -> RetryOutcome:
    nid = item.notification_id
    try:
        rows = event_log.read(nid - 1, 1, session.conn if event_log.postgres else None)
        if not rows or rows[0][0] != nid:
            raise LookupError(f"notification {nid} is not in the log")
        if item.follower == RELAY:
            from services.notification import relay

            with session.transaction() as tx:
                relay.replan_one(tx, store, nid, email=bool(settings.smtp_host))
                quarantine.release(tx, RELAY, nid)
        else:
            found = [p for p in registry.all_projections() if p.name == item.follower]
            if not found:
                raise LookupError(f"read model {item.follower} does not exist any more")
            projection = found[0]
            topics = getattr(projection, "topics", None)
            envelopes = [
                e for e in Decoder(None).decode(rows) if topics is None or e.topic in topics
            ]
            try:
                with session.transaction() as tx:
                    tracking.lock(tx, projection.name)
                    projection.apply(tx, envelopes, "")
                    tracking.stamp(tx, projection.name, tracking.owner_id())  # runner: reload
                    quarantine.release(tx, projection.name, nid)
            finally:
                discard = getattr(projection, "discard", None)
                if discard is not None:
                    discard()
    except Exception as exc:
        error = quarantine.error_text(exc)
        with session.transaction() as tx:
            quarantine.retry_failed(tx, item.follower, nid, error)
        return RetryOutcome(
            follower=item.follower, notification_id=nid, released=False, error=error
        )
    return RetryOutcome(follower=item.follower, notification_id=nid, released=True)
