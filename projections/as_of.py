"""Read models as they stood at the end of a past day (WIB), built on demand and cached.

An auditor asks for a dashboard, the compliance table, the review queue or the catalogue "as of"
a date. The first request for that date rebuilds every read model from the log up to the end of
the day in Asia/Jakarta (``rebuild(until=…, schema=…)``) into its own schema (``asof_YYYYMMDD``:
a PostgreSQL schema, or an SQLite file next to the read models); later requests, from any process,
reuse it. A day in the past never changes (the log is append-only and events carry their time),
so a finished schema is never stale. At most ``KEEP`` are kept: building another drops the one
built longest ago. The query functions run unchanged against a ``Database`` whose
``search_path`` (or file) is that schema.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from time import monotonic, sleep
from typing import Any, TypeVar

import msgspec
import psycopg

from projections import registry, tracking
from projections.log import EventLog
from projections.rebuild import rebuild
from projections.sql import ts
from projections.target import Target
from services.config import Settings
from services.db import Database
from services.domain.call import JAKARTA, jakarta_today
from services.eventstore.store import EventStore

log = logging.getLogger("sirisma.projections.as_of")

T = TypeVar("T")

PREFIX = "asof_"
KEEP = 8  # schemas kept; each is a full copy of the read models
BUILD_WAIT = 300.0  # seconds to wait for another process building the same day


class AsOfBusy(RuntimeError):
    """Another process is building that day and did not finish within ``BUILD_WAIT``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AsOfError(ValueError):
    """A date that cannot be shown (malformed, today or later, before the first event)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_day(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise AsOfError(f"Tanggal '{raw[:20]}' tidak valid; tulis TTTT-BB-HH.") from None


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in WIB: everything stamped that day is included."""
    return datetime.combine(day, time.max, JAKARTA)


def schema_for(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def today() -> date:
    return jakarta_today()


class AsOfModels:
    """One per process: validates dates, builds missing schemas, keeps a pool per schema."""

    def __init__(self, settings: Settings, store: EventStore, keep: int = KEEP) -> None:
        self.settings = settings
        self.store = store
        self.keep = keep
        self._lock = threading.Lock()  # one build at a time in this process
        self._pools: OrderedDict[str, Database] = OrderedDict()
        self._first: date | None = None

    # -- validation ------------------------------------------------------------------------------

    def first_day(self) -> date | None:
        """The day (WIB) of the first event; None while the log is empty."""
        if self._first is None:
            moment = EventLog(self.store).time_after(0)
            if moment is not None:
                self._first = moment.astimezone(JAKARTA).date()
        return self._first

    def check(self, day: date) -> date:
        if day >= today():
            raise AsOfError(
                f"Tanggal {day.isoformat()} belum lewat: pilih hari sebelum hari ini (WIB)."
            )
        first = self.first_day()
        if first is None or day < first:
            since = f" (catatan dimulai {first.isoformat()})" if first else ""
            raise AsOfError(f"Tanggal {day.isoformat()} sebelum peristiwa pertama di log{since}.")
        return day

    # -- schemas ---------------------------------------------------------------------------------

    def run(self, day: date, query: Callable[[Database], T]) -> T:
        """``query`` against the read models as of ``day`` (built first if missing). If another
        process dropped that schema meanwhile (``KEEP``), it is built again and asked again."""
        try:
            return query(self.database(day))
        except Exception as exc:
            if not _missing_table(exc):
                raise
            self.forget(schema_for(day))
            return query(self.database(day))

    def database(self, day: date) -> Database:
        """A pooled ``Database`` reading the read models as of ``day`` (built if missing)."""
        schema = schema_for(self.check(day))
        with self._lock:
            pool = self._pools.get(schema)
            if pool is not None:
                self._pools.move_to_end(schema)
                return pool
            if not self._complete(schema, day):
                self._build(schema, day)
            small = msgspec.structs.replace(self.settings, pool_size=2)
            pool = self._pools[schema] = Target(small, schema).database()
            return pool

    def _build(self, schema: str, day: date) -> None:
        """Build under a lock shared by every process, so a day asked for by two services at
        once is built once (the second finds it complete)."""
        guard = Target(self.settings).connect()
        try:
            deadline = monotonic() + BUILD_WAIT
            while not guard.try_lock(f"as-of:{schema}"):
                if monotonic() > deadline:
                    raise AsOfBusy(
                        f"Data per {day.isoformat()} sedang dibangun proses lain; coba lagi "
                        "sebentar lagi."
                    )
                sleep(0.5)
            if self._complete(schema, day):
                return
            self._evict(keep=self.keep - 1)
            log.info("building read models as of %s into %s", day, schema)
            rebuild(self.settings, until=end_of_day(day), schema=schema, store=self.store)
        finally:
            guard.close()

    def forget(self, schema: str) -> None:
        with self._lock:
            pool = self._pools.pop(schema, None)
        if pool is not None:
            pool.close()

    def _complete(self, schema: str, day: date) -> bool:
        """Every read model was swapped in with this day's cut-off (a killed build is not)."""
        if schema not in self.built():
            return False
        session = Target(self.settings, schema).connect()
        try:
            with session.transaction() as tx:
                tracking.ensure_schema(tx)
                found = tracking.read(tx)
        finally:
            session.close()
        until = ts(end_of_day(day))
        return all(
            (p := found.get(m.name)) is not None and p.until == until
            for m in registry.all_projections()
        )

    def built(self) -> list[str]:
        """The as-of schemas that exist, oldest build first."""
        target = Target(self.settings)
        if target.dialect != "postgres":
            files = self.settings.data_path.glob(f"readmodels-{PREFIX}*.sqlite3")
            return [
                f.name.removeprefix("readmodels-").removesuffix(".sqlite3")
                for f in sorted(files, key=lambda f: f.stat().st_mtime)
            ]
        session = target.connect()
        try:
            names = [
                str(r[0])
                for r in session.rows(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s "
                    "AND pg_get_userbyid(nspowner) = current_user",
                    (PREFIX.replace("_", "\\_") + "%",),
                )
            ]
            built: list[tuple[str, str]] = []
            for name in names:
                stamp = ""
                if session.rows("SELECT to_regclass(%s)", (f"{name}.{tracking.TABLE}",))[0][0]:
                    found = session.rows(f"SELECT max(updated_at) FROM {name}.{tracking.TABLE}")
                    stamp = str(found[0][0] or "")
                built.append((stamp, name))
        finally:
            session.close()
        return [name for _, name in sorted(built)]

    def _evict(self, keep: int) -> None:
        built = self.built()
        for schema in built[: max(len(built) - max(keep, 0), 0)]:
            self.drop(schema)

    def drop(self, schema: str) -> None:
        pool = self._pools.pop(schema, None)
        if pool is not None:
            pool.close()
        target = Target(self.settings, schema)
        log.info("dropping read models %s", schema)
        if target.dialect == "postgres":
            session = Target(self.settings).connect()
            try:
                session.conn.execute(f"DROP SCHEMA IF EXISTS {target.schema} CASCADE")
            finally:
                session.close()
            return
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                target.path.with_name(target.path.name + suffix).unlink()

    def close(self) -> None:
        with self._lock:
            while self._pools:
                _, pool = self._pools.popitem()
                pool.close()


def of(runtime: Any) -> AsOfModels:
    """The runtime's ``AsOfModels`` (made on first use, closed with the runtime)."""
    found = runtime.extensions.get("as_of")
    if found is None:
        found = runtime.extensions.setdefault("as_of", AsOfModels(runtime.settings, runtime.store))
        runtime.on_close(found.close)
    return found  # type: ignore[no-any-return]


def latest_allowed() -> date:
    return today() - timedelta(days=1)


def _missing_table(exc: BaseException) -> bool:
    if isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.InvalidSchemaName):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "no such table" in str(exc)
