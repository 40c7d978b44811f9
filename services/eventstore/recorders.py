"""Event recorders that seal every stored event into its stream's hash chain.

Subclasses of eventsourcing's application recorders for SQLite and PostgreSQL, plugged in through
the library's ``APPLICATION_RECORDER_TOPIC`` (see ``services.eventstore.store.persistence_env``).
Each insert of events also inserts one row per event into ``<events table>_chain`` — (stream id,
version, notification id, event time, link hash, see ``services.eventstore.chain``) — in the SAME
transaction, so an event is never stored without its link, nor a link without its event.

Both tables are append-only: triggers raise on UPDATE, DELETE (and TRUNCATE on PostgreSQL). On
PostgreSQL the deployment also runs the application under a role that was never granted UPDATE
or DELETE (``grant_statements``); because the library's ``LOCK TABLE … IN EXCLUSIVE MODE``
needs one of those privileges, inserts are serialised with a transaction-scoped advisory lock
instead, which gives the same guarantee (notification ids commit in the order they are issued)
to every writer, all of which go through this recorder.

A save is one round trip: the chain links are computed before the insert (the previous link
from ``links``, else one lookup), and BEGIN, the lock, NOTIFY, one statement inserting the events
with their chain rows, and COMMIT go in one psycopg pipeline (``services.eventstore.pipelined``).

The recorders also answer the audit queries that need the chain table (timeline lookups by time,
the verifier's joined pages), so SQL for both dialects stays in this one file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
)
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composable, Identifier, Literal

from services.eventstore.chain import GENESIS, ChainRow, link_hash, seal
from services.eventstore.links import LinkCache
from services.eventstore.pipelined import Prepared, kept_cursor, one_round_trip
from services.eventstore.riders import Rider
from services.eventstore.subscription import ListenFirst

APPEND_ONLY_MESSAGE = "SI-RISMA: catatan peristiwa hanya dapat ditambah (append-only)"


class LinkRecord(msgspec.Struct, frozen=True, array_like=True):
    """One stored event joined with its chain row (None fields: the chain row is missing)."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    hash: str | None
    chain_notification_id: int | None
    ts: int | None


class ReplayRows(msgspec.Struct, frozen=True):
    """Everything state-as-of needs, fetched in one round trip (see ``replay_rows``)."""

    snapshot: tuple[int, bytes, str | None] | None  # version, stored bytes, chain link now
    events: list[tuple[int, str, bytes]]  # (version, topic, state) after the snapshot, ≤ lte
    call_version: int | None  # the call's version at that moment (None: not asked / none)


class ChainedRecorder(Protocol):
    """What the audit services need from the recorder, on either database."""

    events_table_name: str
    chain_table_name: str

    def chain_for(self, originator_id: UUID) -> list[ChainRow]: ...
    def version_at(self, originator_id: UUID, at_micros: int) -> int: ...
    def link_at(self, originator_id: UUID, version: int) -> str | None: ...
    def replay_rows(
        self, originator_id: UUID, lte: int | None, snapshot_table: str, call_id: UUID | None
    ) -> ReplayRows: ...
    def link_page(self, after: int, limit: int) -> list[LinkRecord]: ...
    def orphan_links(self, limit: int) -> list[ChainRow]: ...
    def notification_bounds(
        self, from_micros: int | None, to_micros: int | None
    ) -> tuple[int, int] | None: ...


def snapshot_table(events_table_name: str) -> str:
    """The table eventsourcing's factory names for the "snapshots" purpose, next to the events."""
    return events_table_name.removesuffix("_events") + "_snapshots"


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


# ==== SQLite ====================================================================================


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        self.chain_table_name = f"{events_table_name}_chain"
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        events, chain = self.events_table_name, self.chain_table_name
        statements = super().construct_create_table_statements()
        statements += [
            f"CREATE TABLE IF NOT EXISTS {chain} ("
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
            "notification_id INTEGER NOT NULL, ts INTEGER NOT NULL, hash TEXT NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {chain}_nid ON {chain} (notification_id)",
            f"CREATE INDEX IF NOT EXISTS {chain}_stream_ts ON {chain} (originator_id, ts)",
            f"CREATE INDEX IF NOT EXISTS {chain}_ts ON {chain} (ts, notification_id)",
        ]
        for table in (events, chain):
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
                )
        return statements

    def create_table(self) -> None:
        """Also the snapshot table, so whoever creates the schema (the owner) creates it."""
        super().create_table()
        snapshots = snapshot_table(self.events_table_name)
        SQLiteAggregateRecorder(self.datastore, snapshots).create_table()

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # Events first: that takes the write lock before anything is read.
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None
        batch = [
            (_uuid(s.originator_id), s.originator_version, s.topic, s.state, nid)
            for s, nid in zip(stored_events, ids, strict=True)
        ]
        rows = seal(batch, self._previous(c, batch))
        c.executemany(
            f"INSERT INTO {self.chain_table_name} VALUES (?,?,?,?,?)",
            [
                (r.originator_id.hex, r.originator_version, r.notification_id, r.ts, r.hash)
                for r in rows
            ],
        )
        return ids

    def _previous(
        self, c: SQLiteCursor, batch: list[tuple[UUID, int, str, bytes, int]]
    ) -> dict[UUID, str]:
        firsts: dict[UUID, int] = {}
        for oid, version, *_ in batch:
            firsts.setdefault(oid, version)
        previous: dict[UUID, str] = {}
        for oid, version in firsts.items():
            if version == 1:
                continue
            c.execute(
                f"SELECT hash FROM {self.chain_table_name} "
                "WHERE originator_id=? AND originator_version=?",
                (oid.hex, version - 1),
            )
            row = c.fetchone()
            if row is not None:
                previous[oid] = row[0]
                continue
            # A stream stored before the chain existed: chain it from its first event.
            c.execute(
                f"SELECT originator_version, topic, state FROM {self.events_table_name} "
                "WHERE originator_id=? AND originator_version<? ORDER BY originator_version",
                (oid.hex, version),
            )
            previous[oid] = _walk(oid, [(r[0], r[1], r[2]) for r in c.fetchall()])
        return previous

    # -- audit queries ---------------------------------------------------------------------------

    def chain_for(self, originator_id: UUID) -> list[ChainRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT originator_version, notification_id, ts, hash "
                f"FROM {self.chain_table_name} WHERE originator_id=? ORDER BY originator_version",
                (originator_id.hex,),
            )
            return [ChainRow(originator_id, r[0], r[1], r[2], r[3]) for r in c.fetchall()]

    def version_at(self, originator_id: UUID, at_micros: int) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT MAX(originator_version) FROM {self.chain_table_name} "
                "WHERE originator_id=? AND ts<=?",
                (originator_id.hex, at_micros),
            )
            row = c.fetchone()
            return int(row[0] or 0)

    def link_at(self, originator_id: UUID, version: int) -> str | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT hash FROM {self.chain_table_name} "
                "WHERE originator_id=? AND originator_version=?",
                (originator_id.hex, version),
            )
            row = c.fetchone()
            return None if row is None else str(row[0])

    def replay_rows(
        self, originator_id: UUID, lte: int | None, snapshot_table: str, call_id: UUID | None
    ) -> ReplayRows:
        oid, top = originator_id.hex, lte if lte is not None else 2**62
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT s.originator_version, s.state, h.hash FROM {snapshot_table} s "
                f"LEFT JOIN {self.chain_table_name} h ON h.originator_id=s.originator_id "
                "AND h.originator_version=s.originator_version "
                "WHERE s.originator_id=? AND s.originator_version<=? "
                "ORDER BY s.originator_version DESC LIMIT 1",
                (oid, top),
            )
            row = c.fetchone()
            snapshot = (int(row[0]), bytes(row[1]), row[2]) if row else None
            c.execute(
                f"SELECT originator_version, topic, state FROM {self.events_table_name} "
                "WHERE originator_id=? AND originator_version>? AND originator_version<=? "
                "ORDER BY originator_version",
                (oid, snapshot[0] if snapshot else 0, top),
            )
            events = [(int(r[0]), str(r[1]), bytes(r[2])) for r in c.fetchall()]
            call_version = None
            if call_id is not None:
                c.execute(
                    f"SELECT MAX(originator_version) FROM {self.chain_table_name} "
                    "WHERE originator_id=? AND ts<=(SELECT ts FROM "
                    f"{self.chain_table_name} WHERE originator_id=? AND originator_version<=? "
                    "ORDER BY originator_version DESC LIMIT 1)",
                    (call_id.hex, oid, top),
                )
                found = c.fetchone()
                call_version = int(found[0]) if found and found[0] is not None else None
        return ReplayRows(snapshot, events, call_version)

    def link_page(self, after: int, limit: int) -> list[LinkRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state, "
                f"h.hash, h.notification_id, h.ts FROM {self.events_table_name} e "
                f"LEFT JOIN {self.chain_table_name} h ON h.originator_id=e.originator_id "
                "AND h.originator_version=e.originator_version "
                "WHERE e.rowid>? ORDER BY e.rowid LIMIT ?",
                (after, limit),
            )
            return [
                LinkRecord(r[0], UUID(r[1]), r[2], r[3], bytes(r[4]), r[5], r[6], r[7])
                for r in c.fetchall()
            ]

    def orphan_links(self, limit: int) -> list[ChainRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT h.originator_id, h.originator_version, h.notification_id, h.ts, h.hash "
                f"FROM {self.chain_table_name} h LEFT JOIN {self.events_table_name} e "
                "ON e.originator_id=h.originator_id AND e.originator_version=h.originator_version "
                "WHERE e.originator_id IS NULL ORDER BY h.notification_id LIMIT ?",
                (limit,),
            )
            return [ChainRow(UUID(r[0]), r[1], r[2], r[3], r[4]) for r in c.fetchall()]

    def notification_bounds(
        self, from_micros: int | None, to_micros: int | None
    ) -> tuple[int, int] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT MIN(notification_id), MAX(notification_id) FROM {self.chain_table_name} "
                "WHERE ts>=? AND ts<=?",
                (
                    from_micros if from_micros is not None else -(2**62),
                    to_micros if to_micros is not None else 2**62,
                ),
            )
            row = c.fetchone()
            return None if row is None or row[0] is None else (int(row[0]), int(row[1]))


# ==== PostgreSQL ================================================================================


APPEND_SCALAR_ROWS = 4  # up to this many events, a save's parameters are scalars
STREAM_END = 2**63 - 1  # the last version a stream could reach (bigint): ``_streams_statement``


class ChainedPostgresRecorder(ListenFirst, PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            raise ProgrammingError(
                "ENABLE_DB_FUNCTIONS bypasses the hash chain; it must stay off for SI-RISMA"
            )
        self.chain_table_name = f"{events_table_name}_chain"
        self.check_identifier_length(self.chain_table_name + "_stream_ts")
        schema = Identifier(datastore.schema)
        events, chain = Identifier(events_table_name), Identifier(self.chain_table_name)
        guard = Identifier("sirisma_append_only")
        key = int.from_bytes(
            hashlib.sha256(f"{datastore.schema}.{events_table_name}".encode()).digest()[:8],
            "big",
            signed=True,
        )
        # Composed once, as bytes (psycopg converts composed SQL on every execute).
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(datastore.lock_timeout).as_bytes(None),
            # A plain statement, prepared once per connection (a DO block is compiled each call),
            # with the NOTIFY the library sends apart (delivered at COMMIT either way).
            SQL("SELECT pg_advisory_xact_lock({0}), pg_notify({1}, '')")
            .format(Literal(key), Literal(self.channel_name))
            .as_bytes(None),
        ]
        self.links = LinkCache()
        self._select_statements: dict[tuple[bool, bool, bool, bool], bytes] = {}
        # The events and their chain rows in ONE statement: the links are computed before it
        # (they do not depend on the notification ids), the ids come back in insert order.
        rows = SQL(
            "unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], %s::bigint[], %s::text[]) "
            "WITH ORDINALITY AS u(oid, v, topic, state, ts, hash, n)"
        )
        inserts = SQL(
            "e AS (INSERT INTO {s}.{e} (originator_id, originator_version, topic, state) "
            "SELECT oid, v, topic, state FROM w ORDER BY n "
            "RETURNING originator_id, originator_version, notification_id), "
            "c AS (INSERT INTO {s}.{c} (originator_id, originator_version, notification_id, ts, "
            "hash) SELECT e.originator_id, e.originator_version, e.notification_id, w.ts, w.hash "
            "FROM e JOIN w ON w.oid = e.originator_id AND w.v = e.originator_version) "
            "SELECT notification_id FROM e ORDER BY notification_id"
        ).format(s=schema, e=events, c=chain)
        sealed = SQL("WITH w AS (SELECT * FROM {rows}), {inserts}")
        self._insert_sealed_statement = sealed.format(rows=rows, inserts=inserts).as_bytes(None)
        # The same insert with the writers' lock, its NOTIFY and the lock timeout folded in, as
        # ONE statement run on its own (autocommit: an implicit transaction, one execute, no
        # BEGIN/COMMIT). The rows the insert reads are joined to the lock's row (``l``), so the
        # lock is held before the first notification id is drawn, and until the commit.
        appended = SQL(
            "WITH l AS MATERIALIZED (SELECT set_config('lock_timeout', {t}, true), "
            "pg_advisory_xact_lock({k}), pg_notify({n}, '')), "
            "w AS (SELECT u.* FROM l CROSS JOIN {rows}), {inserts}"
        )

        def append(rows: Composable) -> Prepared:
            return Prepared(
                appended.format(
                    t=Literal(f"{datastore.lock_timeout}s"),
                    k=Literal(key),
                    n=Literal(self.channel_name),
                    rows=rows,
                    inserts=inserts,
                ).as_bytes(None)
            )

        self._append_statement = append(rows)
        # A command's few events as scalar parameters (psycopg dumps arrays in Python).
        row = "(%s::uuid, %s::bigint, %s::text, %s::bytea, %s::bigint, %s::text, {}::bigint)"
        self._append_few = [
            append(
                SQL(
                    "(VALUES "
                    + ", ".join(row.format(n) for n in range(1, count + 1))
                    + ") AS u(oid, v, topic, state, ts, hash, n)"
                )
            )
            for count in range(1, APPEND_SCALAR_ROWS + 1)
        ]
        self._select_streams_statements: dict[tuple[int, str], Prepared] = {}
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {s}.{c} ("
                "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "notification_id bigint NOT NULL, ts bigint NOT NULL, hash text NOT NULL, "
                "PRIMARY KEY (originator_id, originator_version))"
            ).format(s=schema, c=chain),
            SQL("CREATE UNIQUE INDEX IF NOT EXISTS {i} ON {s}.{c} (notification_id)").format(
                i=Identifier(self.chain_table_name + "_nid"), s=schema, c=chain
            ),
            SQL("CREATE INDEX IF NOT EXISTS {i} ON {s}.{c} (originator_id, ts)").format(
                i=Identifier(self.chain_table_name + "_stream_ts"), s=schema, c=chain
            ),
            SQL("CREATE INDEX IF NOT EXISTS {i} ON {s}.{c} (ts, notification_id)").format(
                i=Identifier(self.chain_table_name + "_ts"), s=schema, c=chain
            ),
            SQL(
                "CREATE OR REPLACE FUNCTION {s}.{g}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN RAISE EXCEPTION USING MESSAGE = {m} || ' (' || TG_OP || ' ' || "
                "TG_TABLE_NAME || ')', ERRCODE = 'insufficient_privilege'; END$$"
            ).format(s=schema, g=guard, m=Literal(APPEND_ONLY_MESSAGE)),
        ]
        for name, table in ((events_table_name, events), (self.chain_table_name, chain)):
            self.sql_create_statements += [
                SQL(
                    "CREATE OR REPLACE TRIGGER {t} BEFORE UPDATE OR DELETE ON {s}.{tbl} "
                    "FOR EACH ROW EXECUTE FUNCTION {s}.{g}()"
                ).format(t=Identifier(name + "_append_only"), s=schema, tbl=table, g=guard),
                SQL(
                    "CREATE OR REPLACE TRIGGER {t} BEFORE TRUNCATE ON {s}.{tbl} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION {s}.{g}()"
                ).format(t=Identifier(name + "_no_truncate"), s=schema, tbl=table, g=guard),
            ]
        self._schema, self._chain = schema, chain

    def _create_table(self, curs: Any) -> None:
        """Serialise schema set-up across processes: services starting together (the cluster,
        compose replicas) would otherwise deadlock on the triggers' table locks. Only what is
        missing runs, so a process starting on an up-to-date log takes no lock on it."""
        from services import ddl

        statements = [s for s in self.sql_create_statements if "CREATE TYPE" not in s.as_string()]
        ddl.apply_missing(
            curs.connection,
            [s.as_string(curs.connection) for s in statements],
            ddl.SCHEMA_LOCK,
            lambda text: curs.execute(text.encode(), prepare=False),
        )

    def create_table(self) -> None:
        """Also the snapshot table, so whoever creates the schema (the owner) creates it.

        Nothing at all when the event table exists and belongs to another role: that is the
        app role of a split deployment (services/db_roles.py), which may not run DDL on the
        owner's tables; ``sirisma migrate`` (as the owner) keeps them up to date instead.
        """
        if self.owned_by_another_role():
            return
        super().create_table()
        PostgresAggregateRecorder(
            self.datastore, events_table_name=snapshot_table(self.events_table_name)
        ).create_table()

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """One round trip when the stream's previous link is held (``links``): one statement
        (``_append_alone``), or with a tracking record BEGIN, the writers' lock, NOTIFY, the
        events with their chain rows, COMMIT, pipelined. ANY failure rolls the whole
        transaction back (the library re-raised errors after committing), and the links are
        remembered only once committed."""
        if kwargs.get("tracking") is None and stored_events:
            appended = self._append_alone(stored_events)
            if appended is not None:
                self._remember_links(appended[1])
                return appended[0]
        ids: Sequence[int] | None = None
        links: dict[UUID, tuple[int, str]] = {}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            with one_round_trip(conn):
                self._insert_events(curs, stored_events, **kwargs)
                if stored_events:
                    links = self._insert_stored_events(curs, stored_events, **kwargs)
            if stored_events:
                ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self._remember_links(links)
        return ids

    def _append_alone(
        self, stored_events: Sequence[StoredEvent]
    ) -> tuple[list[int], dict[UUID, tuple[int, str]]] | None:
        """The events as ONE statement (``_append_statement``): lock, NOTIFY, the events and
        their chain rows, committed on its own. None when a stream's previous link is not held
        in memory (it must then be read under the lock: the pipelined path). A held link is a
        committed one, so sealing on it before the lock is taken is sealing on the truth; a
        write that took the version meanwhile fails this insert with IntegrityError."""
        batch = _batch(stored_events)
        previous = self._held_previous(batch)
        if previous is None:
            return None
        params, links = _sealed(batch, previous)
        with self.datastore.get_connection() as conn:
            curs = kept_cursor(conn)  # no dict built per row: read by position
            if not conn.autocommit:  # pragma: no cover - the factory's pools are autocommit
                return None
            if len(batch) <= APPEND_SCALAR_ROWS:
                scalars = [column[i] for i in range(len(batch)) for column in params]
                self._append_few[len(batch) - 1].execute(curs, scalars)
            else:
                self._append_statement.execute(curs, params)
            ids = _counted_ids([row[0] for row in curs.fetchall()], stored_events)
        return ids, links

    def _held_previous(self, batch: list[_Row]) -> dict[UUID, str] | None:
        """Each stream's link before its first event in the batch, if every one is held."""
        previous: dict[UUID, str] = {}
        seen: set[UUID] = set()
        for oid, version, *_ in batch:
            if oid in seen:
                continue
            seen.add(oid)
            if version > 1:
                held = self.links.get(oid, version - 1)
                if held is None:
                    return None
                previous[oid] = held
        return previous

    def _notify_channel(self, curs: Any) -> None:
        """Sent with the writers' lock (``lock_table_statements``): every save takes both."""

    def _insert_stored_events(  # type: ignore[override]
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> dict[UUID, tuple[int, str]]:
        self._lock_table(curs)
        self._notify_channel(curs)
        return self._insert_rows(curs, stored_events)

    def _insert_rows(
        self, curs: Any, stored_events: Sequence[StoredEvent]
    ) -> dict[UUID, tuple[int, str]]:
        """The events and their chain rows (one statement); returns each stream's last link."""
        batch = _batch(stored_events)
        params, links = _sealed(batch, self._previous(curs.connection, batch))
        curs.execute(self._insert_sealed_statement, params, prepare=True)
        return links

    def _remember_links(self, links: dict[UUID, tuple[int, str]]) -> None:
        """After the commit: these links are now in the chain for good."""
        for oid, (version, link) in links.items():
            self.links.put(oid, version, link)

    def owned_by_another_role(self) -> bool:
        """Whether the event table exists and its owner is not the connected role."""
        rows = self._rows(
            SQL(
                "SELECT pg_get_userbyid(relowner) <> current_user AS other FROM pg_class "
                "WHERE oid = to_regclass(%s)"
            ),
            (f"{self.datastore.schema}.{self.events_table_name}",),
        )
        return bool(rows and rows[0]["other"])

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The ids the sealed insert returned, in insert order."""
        return _counted_ids([row["notification_id"] for row in curs.fetchall()], stored_events)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's select; a stream read in order from a known link also keeps its last
        link, so the next save of it needs no lookup. A range open at its end is closed at
        ``STREAM_END``, so PostgreSQL keeps its generic plan (``_streams_statement``)."""
        if gt is not None and lte is None:
            lte = STREAM_END
        params: list[Any] = [originator_id]
        params += [p for p in (gt, lte, limit) if p is not None]
        statement = self._select_statement(gt is not None, lte is not None, desc, limit is not None)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            events = [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]
        if events and not desc and limit is None:
            self.links.extend(
                _uuid(originator_id),
                ((e.originator_version, e.topic, e.state) for e in events),
                gt or 0,
            )
        return events

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_streams(
        self, after: Sequence[tuple[UUID, int]], rider: Rider | None = None
    ) -> dict[UUID, list[tuple[int, str, bytes]]]:
        """The events of several streams after a version each, in ONE statement (e.g. an
        innovation and its call, both held in memory: what each gained since). Keeps each
        stream's last link, as ``select_events`` does. ``rider``: a one-row read answered by
        the same statement (its row comes back first, with no stream id)."""
        found: dict[UUID, list[tuple[int, str, bytes]]] = {oid: [] for oid, _ in after}
        params = [p for oid, gt in after for p in (oid, gt, STREAM_END)]
        ridden: tuple[Any, ...] | None = None
        with self.datastore.get_connection() as conn:
            curs = kept_cursor(conn)  # (id, version, topic, state[, rider])
            if rider is None:
                self._streams_statement(len(after)).execute(curs, params)
                for oid, version, topic, state in curs.fetchall():
                    found[oid].append((version, topic, bytes(state)))
            else:
                statement = self._streams_statement(len(after), rider.sql, rider.width)
                statement.execute(curs, [*rider.params, *params])
                for row in curs.fetchall():
                    if row[0] is None:
                        ridden = row[4:]
                    else:
                        found[row[0]].append((row[1], row[2], bytes(row[3])))
        if rider is not None:
            rider.answer(ridden)
        for oid, gt in after:
            if found[oid]:
                self.links.extend(oid, found[oid], gt)
        return found

    def _streams_statement(self, count: int, rider_sql: str = "", width: int = 0) -> Prepared:
        """``select_streams`` for ``count`` streams: one indexed range per stream, with scalar
        parameters (psycopg dumps arrays in Python, scalars in C). With a rider, its row first
        (typed NULLs where the stream columns are; the streams' rows NULLs for its columns,
        which take the rider's types) and its parameters before the streams'.

        Each range is closed (``<= STREAM_END``) for PostgreSQL's planner: it prices an open
        range of unknown start (``version > $2``) at a third of the stream, and once the log is
        analysed with long streams that made its generic plan look dearer than planning afresh
        with the values, which it then did on every command (about 85 µs of server CPU per
        claim; ``tests/test_pg_plans.py``). A closed range of unknown ends it prices at a
        small slice, and keeps the one plan."""
        key = (count, rider_sql)
        statement = self._select_streams_statements.get(key)
        if statement is None:
            padding = SQL("").join([SQL(", NULL")] * width)
            one = SQL(
                "SELECT originator_id, originator_version, topic, state{p} FROM {s}.{e} "
                "WHERE originator_id = %s AND originator_version > %s AND originator_version <= %s"
            ).format(p=padding, s=self._schema, e=Identifier(self.events_table_name))
            parts = [one] * count
            if rider_sql:
                oid_type = SQL(self.datastore.originator_id_type)  # type: ignore[arg-type]
                parts.insert(
                    0,
                    SQL(
                        "SELECT NULL::{o} AS originator_id, NULL::bigint AS originator_version, "
                        "NULL::text AS topic, NULL::bytea AS state, r.* FROM ({r}) AS r"
                    ).format(o=oid_type, r=SQL(rider_sql)),  # type: ignore[arg-type]
                )
            union = SQL(" UNION ALL ").join(parts)
            statement = Prepared(
                SQL("{u} ORDER BY originator_id, originator_version").format(u=union).as_bytes(None)
            )
            self._select_streams_statements[key] = statement
        return statement

    def _select_statement(self, gt: bool, lte: bool, desc: bool, limit: bool) -> bytes:
        """The library's ``select_events`` statement for one shape of the call, composed once.
        (The library composes it with ``+`` on every load, and psycopg turns the composed SQL
        into bytes and parses its placeholders again each time: about a tenth of a command's
        CPU. Bytes are parsed once, psycopg caches them.)"""
        key = (gt, lte, desc, limit)
        cached = self._select_statements.get(key)
        if cached is None:
            statement = self.select_events_statement
            if gt:
                statement += SQL(" AND originator_version > %s")
            if lte:
                statement += SQL(" AND originator_version <= %s")
            statement += SQL(
                " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version ASC"
            )
            if limit:
                statement += SQL(" LIMIT %s")
            cached = self._select_statements[key] = statement.as_bytes(None)
        return cached

    def _previous(
        self, conn: Any, batch: list[tuple[UUID, int, str, bytes, int]]
    ) -> dict[UUID, str]:
        firsts: dict[UUID, int] = {}
        for oid, version, *_ in batch:
            firsts.setdefault(oid, version)
        previous: dict[UUID, str] = {}
        wanted: list[tuple[UUID, int]] = []
        for oid, v in firsts.items():
            if v == 1:
                continue
            held = self.links.get(oid, v - 1)
            if held is not None:
                previous[oid] = held
            else:
                wanted.append((oid, v - 1))
        if not wanted:
            return previous
        with conn.cursor() as c:
            c.execute(
                SQL(
                    "SELECT h.originator_id, h.hash FROM {s}.{c} h "
                    "JOIN unnest(%s::uuid[], %s::bigint[]) AS w(oid, v) "
                    "ON h.originator_id = w.oid AND h.originator_version = w.v"
                ).format(s=self._schema, c=self._chain),
                ([w[0] for w in wanted], [w[1] for w in wanted]),
                prepare=True,
            )
            previous.update({row["originator_id"]: row["hash"] for row in c.fetchall()})
            for oid, before in wanted:
                if oid not in previous:  # stored before the chain existed: chain from the start
                    c.execute(
                        SQL(
                            "SELECT originator_version, topic, state FROM {s}.{e} "
                            "WHERE originator_id = %s AND originator_version <= %s "
                            "ORDER BY originator_version"
                        ).format(s=self._schema, e=Identifier(self.events_table_name)),
                        (oid, before),
                    )
                    previous[oid] = _walk(
                        oid,
                        [
                            (r["originator_version"], r["topic"], bytes(r["state"]))
                            for r in c.fetchall()
                        ],
                    )
        return previous

    # -- deployment ------------------------------------------------------------------------------

    def grant_statements(self, app_role: str) -> list[Any]:
        """Run as the owner: the app role may read and append, never change or remove."""
        s, role = self._schema, Identifier(app_role)
        events = Identifier(self.events_table_name)
        seq = Identifier(f"{self.events_table_name}_notification_id_seq")
        return [
            SQL("GRANT USAGE ON SCHEMA {s} TO {r}").format(s=s, r=role),
            SQL("REVOKE ALL ON {s}.{e}, {s}.{c} FROM {r}").format(
                s=s, e=events, c=self._chain, r=role
            ),
            SQL("GRANT SELECT, INSERT ON {s}.{e}, {s}.{c} TO {r}").format(
                s=s, e=events, c=self._chain, r=role
            ),
            SQL("GRANT USAGE, SELECT ON SEQUENCE {s}.{q} TO {r}").format(s=s, q=seq, r=role),
            # Snapshots are a cache the app writes while reading history.
            SQL("GRANT SELECT, INSERT ON {s}.{t} TO {r}").format(
                s=s, t=Identifier(snapshot_table(self.events_table_name)), r=role
            ),
        ]

    # -- audit queries ---------------------------------------------------------------------------

    def _rows(self, statement: Any, params: Any) -> list[dict[str, Any]]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return list(curs.fetchall())

    def chain_for(self, originator_id: UUID) -> list[ChainRow]:
        rows = self._rows(
            SQL(
                "SELECT originator_version, notification_id, ts, hash FROM {s}.{c} "
                "WHERE originator_id = %s ORDER BY originator_version"
            ).format(s=self._schema, c=self._chain),
            (originator_id,),
        )
        return [
            ChainRow(
                originator_id, r["originator_version"], r["notification_id"], r["ts"], r["hash"]
            )
            for r in rows
        ]

    def version_at(self, originator_id: UUID, at_micros: int) -> int:
        rows = self._rows(
            SQL(
                "SELECT MAX(originator_version) AS v FROM {s}.{c} "
                "WHERE originator_id = %s AND ts <= %s"
            ).format(s=self._schema, c=self._chain),
            (originator_id, at_micros),
        )
        return int(rows[0]["v"] or 0)

    def link_at(self, originator_id: UUID, version: int) -> str | None:
        rows = self._rows(
            SQL(
                "SELECT hash FROM {s}.{c} WHERE originator_id = %s AND originator_version = %s"
            ).format(s=self._schema, c=self._chain),
            (originator_id, version),
        )
        return str(rows[0]["hash"]) if rows else None

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def replay_rows(
        self, originator_id: UUID, lte: int | None, snapshot_table: str, call_id: UUID | None
    ) -> ReplayRows:
        """One statement, one round trip: the nearest snapshot with the chain link at its version,
        the events after it, and the call's version at the moment of ``lte``."""
        statement = SQL(
            "WITH s AS (SELECT originator_version AS v, state FROM {s}.{snap} "
            "  WHERE originator_id = %(id)s AND originator_version <= %(lte)s "
            "  ORDER BY originator_version DESC LIMIT 1) "
            "SELECT 0 AS kind, s.v AS version, NULL::text AS topic, s.state, h.hash "
            "  FROM s LEFT JOIN {s}.{c} h "
            "  ON h.originator_id = %(id)s AND h.originator_version = s.v "
            "UNION ALL "
            "SELECT 1, e.originator_version, e.topic, e.state, NULL FROM {s}.{e} e "
            "  WHERE e.originator_id = %(id)s AND e.originator_version <= %(lte)s "
            "  AND e.originator_version > COALESCE((SELECT v FROM s), 0) "
            "UNION ALL "
            "SELECT 2, MAX(k.originator_version), NULL, NULL, NULL FROM {s}.{c} k "
            "  WHERE %(call)s::uuid IS NOT NULL AND k.originator_id = %(call)s::uuid "
            "  AND k.ts <= (SELECT ts FROM {s}.{c} WHERE originator_id = %(id)s "
            "    AND originator_version <= %(lte)s ORDER BY originator_version DESC LIMIT 1) "
            "ORDER BY kind, version"
        ).format(
            s=self._schema,
            snap=Identifier(snapshot_table),
            c=self._chain,
            e=Identifier(self.events_table_name),
        )
        rows = self._rows(
            statement,
            {"id": originator_id, "lte": lte if lte is not None else 2**62, "call": call_id},
        )
        snapshot, events, call_version = None, [], None
        for r in rows:
            if r["kind"] == 0:
                snapshot = (int(r["version"]), bytes(r["state"]), r["hash"])
            elif r["kind"] == 1:
                events.append((int(r["version"]), str(r["topic"]), bytes(r["state"])))
            elif r["version"] is not None:
                call_version = int(r["version"])
        return ReplayRows(snapshot, events, call_version)

    def link_page(self, after: int, limit: int) -> list[LinkRecord]:
        rows = self._rows(
            SQL(
                "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, "
                "e.state, h.hash, h.notification_id AS chain_nid, h.ts FROM {s}.{e} e "
                "LEFT JOIN {s}.{c} h ON h.originator_id = e.originator_id "
                "AND h.originator_version = e.originator_version "
                "WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s"
            ).format(s=self._schema, e=Identifier(self.events_table_name), c=self._chain),
            (after, limit),
        )
        return [
            LinkRecord(
                r["notification_id"],
                r["originator_id"],
                r["originator_version"],
                r["topic"],
                bytes(r["state"]),
                r["hash"],
                r["chain_nid"],
                r["ts"],
            )
            for r in rows
        ]

    def orphan_links(self, limit: int) -> list[ChainRow]:
        rows = self._rows(
            SQL(
                "SELECT h.* FROM {s}.{c} h LEFT JOIN {s}.{e} e "
                "ON e.originator_id = h.originator_id "
                "AND e.originator_version = h.originator_version "
                "WHERE e.originator_id IS NULL ORDER BY h.notification_id LIMIT %s"
            ).format(s=self._schema, c=self._chain, e=Identifier(self.events_table_name)),
            (limit,),
        )
        return [
            ChainRow(
                r["originator_id"],
                r["originator_version"],
                r["notification_id"],
                r["ts"],
                r["hash"],
            )
            for r in rows
        ]

    def notification_bounds(
        self, from_micros: int | None, to_micros: int | None
    ) -> tuple[int, int] | None:
        rows = self._rows(
            SQL(
                "SELECT MIN(notification_id) AS lo, MAX(notification_id) AS hi FROM {s}.{c} "
                "WHERE ts >= %s AND ts <= %s"
            ).format(s=self._schema, c=self._chain),
            (
                from_micros if from_micros is not None else -(2**62),
                to_micros if to_micros is not None else 2**62,
            ),
        )
        lo, hi = rows[0]["lo"], rows[0]["hi"]
        return None if lo is None else (int(lo), int(hi))


_Row = tuple[UUID, int, str, bytes, int]


def _counted_ids(ids: list[int], stored_events: Sequence[StoredEvent]) -> list[int]:
    """The notification ids an insert returned, one per event, or the insert was not whole."""
    if len(ids) != len(stored_events):
        raise ProgrammingError(f"expected {len(stored_events)} notification ids, got {len(ids)}")
    return ids


def _batch(stored_events: Sequence[StoredEvent]) -> list[_Row]:
    return [
        (_uuid(s.originator_id), s.originator_version, s.topic, s.state, 0) for s in stored_events
    ]


def _sealed(
    batch: list[_Row], previous: dict[UUID, str]
) -> tuple[tuple[list[Any], ...], dict[UUID, tuple[int, str]]]:
    """The sealed insert's parameters and each stream's last link."""
    rows = seal(batch, previous)
    params = (
        [b[0] for b in batch],
        [b[1] for b in batch],
        [b[2] for b in batch],
        [b[3] for b in batch],
        [r.ts for r in rows],
        [r.hash for r in rows],
    )
    return params, {r.originator_id: (r.originator_version, r.hash) for r in rows}


def _walk(oid: UUID, events: list[tuple[int, str, bytes]]) -> str:
    """The link hash of a stream's last given event, chained from its first."""
    h = GENESIS
    for version, topic, state in events:
        h = link_hash(h, oid, version, topic, state)
    return h


SQLITE_RECORDER_TOPIC = f"{__name__}:{ChainedSQLiteRecorder.__qualname__}"
POSTGRES_RECORDER_TOPIC = f"{__name__}:{ChainedPostgresRecorder.__qualname__}"
