"""Apply a batch, or find the events in it that cannot be written, without stopping.

A rebuild works inside one long transaction per checkpoint, so it cannot do what the runner does
(one transaction per event after a failed batch). It does the same with savepoints: the batch in
one savepoint; when that fails, each event in its own, and an event that still fails is noted
(with its error) for the quarantine instead of ending the rebuild. Lost connections and a busy
database are not poison: they are raised.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Sequence

import msgspec

from projections.base import Envelope, Projection
from services import quarantine
from services.db import Tx


class Poisoned(msgspec.Struct, frozen=True):
    """An event a model could not write: what the quarantine records."""

    topic: str
    originator_id: str
    error: str
    attempts: int


def is_transient(tx: Tx, exc: BaseException) -> bool:
    """A lost connection or a busy database: trying again later may work, so not poison."""
    if tx.dialect == "postgres":
        import psycopg

        return bool(
            tx.conn.closed
            or tx.conn.broken
            or isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))
        )
    return isinstance(exc, sqlite3.OperationalError)


@contextlib.contextmanager
def savepoint(tx: Tx, name: str = "sirisma_isolate") -> Iterator[None]:
    """Undo only what the block wrote when it raises (the transaction goes on)."""
    tx.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        tx.execute(f"ROLLBACK TO SAVEPOINT {name}")
        tx.execute(f"RELEASE SAVEPOINT {name}")
        raise
    tx.execute(f"RELEASE SAVEPOINT {name}")


def apply_or_isolate(
    tx: Tx,
    projection: Projection,
    batch: Sequence[Envelope],
    suffix: str,
    poisoned: dict[int, Poisoned],
) -> None:
    """Apply ``batch``; if it fails, apply its events one by one and note in ``poisoned`` each
    one that fails on its own. The other events are applied, in order."""
    if not batch:
        return
    try:
        with savepoint(tx):
            projection.apply(tx, batch, suffix)
        return
    except Exception as exc:
        if is_transient(tx, exc):
            raise
        _discard(projection)  # its memory may hold the failed batch's effects
        if len(batch) == 1:
            _note(poisoned, batch[0], exc, 1)
            return
    for env in batch:
        try:
            with savepoint(tx):
                projection.apply(tx, [env], suffix)
        except Exception as exc:
            if is_transient(tx, exc):
                raise
            _discard(projection)
            _note(poisoned, env, exc, 2)


def _note(poisoned: dict[int, Poisoned], env: Envelope, exc: BaseException, attempts: int) -> None:
    originator = env.key or str(env.event.originator_id)
    poisoned[env.notification_id] = Poisoned(
        env.topic, originator, quarantine.error_text(exc), attempts
    )


def _discard(projection: Projection) -> None:
    discard = getattr(projection, "discard", None)
    if discard is not None:
        discard()
