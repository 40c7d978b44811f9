"""``Idempotency-Key`` for every POST: a repeat returns the first response and records nothing new.

How it is applied
    ``IdempotencyMiddleware`` is a Litestar ``ASGIMiddleware`` mounted app-wide in
    ``services/app.py`` AFTER the authentication middleware (it scopes keys by the caller). Every
    POST route of every context is covered without doing anything. A route that must never be
    replayed opts out with ``opt={"skip_idempotency": True}`` on its decorator; ``/api/auth/*``
    (login, logout) is excluded by path, and a response that sets a cookie is never stored, so
    no credential ends up in the table. To cover other methods on a router of your own, mount
    ``IdempotencyMiddleware(methods=("POST", "PUT"))`` in that router's ``middleware=[...]``.

Semantics (the client's side of the contract)
    * The key is any 1–255 printable ASCII characters; send a fresh random one (UUID v4) per
      logical operation. Keys are scoped per caller (account id; all anonymous callers share one
      scope), kept for ``retention`` (24 h).
    * Same key, same request (method, path, query and body; multipart boundaries are ignored so a
      re-encoded form still matches) → the first response is replayed: status, body and the
      headers ``Content-Type``, ``ETag``, ``Location``, ``X-Notification-Id``, plus
      ``Idempotent-Replayed: true``. Nothing runs, nothing is recorded.
    * Same key, different request → 422 ``idempotency-key-reused``.
    * Only successful (< 400) responses are remembered. A 4xx changes nothing in this API, so it
      frees the key and the corrected request may be sent with the same key. A 5xx frees it too:
      whether the command was recorded is then unknown here as well, so a client should re-read
      the record (its ``version``) before trying again.
    * Concurrency: the key is claimed with a row ``INSERT … ON CONFLICT DO NOTHING`` on the
      primary key (owner, key) BEFORE the handler runs, so two concurrent requests can never both
      execute. The one that loses WAITS (polling, up to ``wait_seconds``, 10 s) for the first to
      finish and then replays its response; if the first is still running after that, it gets
      409 ``idempotency-in-progress`` ("the earlier request is still running") with a
      ``Retry-After`` of the seconds until that claim would count as abandoned if its process had
      died (at least 1): a retry then either replays the answer or runs the request itself.
    * Abandoned claims (heartbeat lease): while the request runs, the process holding the claim
      refreshes its ``heartbeat_at`` every ``heartbeat`` seconds (5 s; a task beside the handler,
      stopped when the request ends, however it ends). A claim whose heartbeat is older than
      ``stale_after`` (20 s) belongs to a process that died mid-request (or to a request whose
      release failed, e.g. during a PostgreSQL restart) and is taken over by the next request
      with the key, which then runs. So a slow 20 MB upload keeps its key for as long as its
      process is alive, and a dead process's key frees itself within ~20 s. A refresh that fails
      (database briefly unreachable) is logged and tried again; it never fails the request.
    * Takeover is atomic: one transaction deletes the claim only if it is still stale and then
      inserts the new one, so of two requests taking over the same claim exactly one runs (the
      other waits for it). Every claim carries a random ``claim_token``; the heartbeat, the
      stored answer and the release of a request only touch the row with its own token, so a
      request that lost its claim (its heartbeat could not be written for ``stale_after``) can
      neither refresh, overwrite nor free the claim of the request that took over. Staleness
      compares timestamps written by the application hosts: their clocks must agree to well
      within ``stale_after - heartbeat`` (NTP). A database outage longer than that can let a
      repeat take over a request that is still running; keep ``stale_after`` well above the
      longest expected outage.
    * Tables created by a version without heartbeats get the ``heartbeat_at`` and
      ``claim_token`` columns at start-up (``upgrade``, run by ``services.migrate``). A claim
      written without a heartbeat (by that earlier version) keeps the old rule: abandoned after
      ``LEGACY_LEASE`` (30 min) from its creation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services.db import Database, Tx
from services.http.problems import problem

log = logging.getLogger("sirisma.web")

HEADER = "idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
REPLAYED_HEADERS = frozenset({"content-type", "etag", "location", "x-notification-id"})
MAX_STORED_BODY = 4 * 1024 * 1024
HEARTBEAT = timedelta(seconds=5)
STALE_AFTER = timedelta(seconds=20)
#: A running claim without a heartbeat (written by a version before heartbeats) is abandoned
#: after this long from its creation, as that version promised.
LEGACY_LEASE = timedelta(minutes=30)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS idempotency_keys (
        owner TEXT NOT NULL,
        idem_key TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        state TEXT NOT NULL,
        fingerprint TEXT,
        status INTEGER,
        headers TEXT,
        body TEXT,
        created_at TEXT NOT NULL,
        completed_at TEXT,
        heartbeat_at TEXT,
        claim_token TEXT,
        PRIMARY KEY (owner, idem_key)
    )""",
    "CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at)",
]

#: Columns added after the table was first released, with their SQL types.
ADDED_COLUMNS = (("heartbeat_at", "TEXT"), ("claim_token", "TEXT"))


def upgrade(tx: Tx) -> None:
    """Give a table created by an earlier version the columns added since (both dialects).

    The catalogue is read first, so an up-to-date table is not ALTERed (on PostgreSQL that would
    take an exclusive lock at every start); ``IF NOT EXISTS`` covers two processes upgrading at
    the same time.
    """
    if tx.dialect == "postgres":
        present = {
            row[0]
            for row in tx.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'idempotency_keys'"
            ).fetchall()
        }
    else:
        present = {row[1] for row in tx.execute("PRAGMA table_info(idempotency_keys)").fetchall()}
    for name, kind in ADDED_COLUMNS:
        if name in present:
            continue
        if tx.dialect == "postgres":
            tx.execute(f"ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS {name} {kind}")
        else:
            tx.execute(f"ALTER TABLE idempotency_keys ADD COLUMN {name} {kind}")


class Fingerprint:
    """SHA-256 of method, path, query, media type and body, fed as the body streams by.

    Occurrences of the multipart boundary are left out, so the same form encoded again by the
    client (with a new random boundary) has the same fingerprint.
    """

    def __init__(self, scope: Any) -> None:
        headers = _headers(scope)
        content_type = headers.get("content-type", "")
        media, _, params = content_type.partition(";")
        match = re.search(r'boundary="?([^";]+)"?', params)
        self.boundary = match.group(1).encode("latin-1", "replace") if match else b""
        self.digest = hashlib.sha256()
        for part in (
            scope["method"],
            scope.get("raw_path", b"").decode("latin-1") or scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            media.strip().lower(),
        ):
            self.digest.update(part.encode("utf-8", "replace") + b"\x00")
        self.pending = b""
        self.size = 0
        self.complete = False

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if not self.boundary:
            self.digest.update(chunk)
            return
        data = (self.pending + chunk).replace(self.boundary, b"")
        keep = len(self.boundary) - 1
        self.pending = data[-keep:] if keep and len(data) > keep else (data if keep else b"")
        self.digest.update(data[: len(data) - len(self.pending)])

    def hexdigest(self) -> str:
        self.digest.update(self.pending)
        self.pending = b""
        return self.digest.hexdigest()


def _headers(scope: Any) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _owner(scope: Any) -> str:
    user = scope.get("user")
    account_id = getattr(user, "account_id", None)
    return f"account:{account_id}" if account_id else "anonymous"


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    """Fixed-width ISO 8601 (always with microseconds), so text order is time order."""
    return moment.isoformat(timespec="microseconds")


class KeyStore:
    """The ``idempotency_keys`` table: claim, refresh, complete, release, look up, purge.

    ``stale_after``: a running claim whose heartbeat is older than this is abandoned.
    """

    def __init__(
        self,
        db: Database,
        stale_after: timedelta = STALE_AFTER,
        legacy_lease: timedelta = LEGACY_LEASE,
    ) -> None:
        self.db = db
        self.stale_after = stale_after
        self.legacy_lease = legacy_lease

    def claim(self, owner: str, key: str, method: str, path: str) -> str | None:
        """Claim the key, taking over an abandoned claim; the new claim's token, or ``None`` if
        somebody else holds it (running and heartbeating, or done)."""
        now = _now()
        token = uuid.uuid4().hex
        with self.db.transaction() as tx:
            # Compare-and-delete: only a claim that is still stale at this moment goes (on
            # PostgreSQL a concurrent taker waits for this row's lock, then finds it gone and
            # the new claim in its place; SQLite runs one writer at a time).
            tx.execute(
                "DELETE FROM idempotency_keys WHERE owner = ? AND idem_key = ? "
                "AND state = 'running' AND ("
                "(heartbeat_at IS NOT NULL AND heartbeat_at < ?) "
                "OR (heartbeat_at IS NULL AND created_at < ?))",
                (
                    owner,
                    key,
                    _stamp(now - self.stale_after),
                    _stamp(now - self.legacy_lease),
                ),
            )
            tx.execute(
                "INSERT INTO idempotency_keys "
                "(owner, idem_key, method, path, state, created_at, heartbeat_at, claim_token) "
                "VALUES (?, ?, ?, ?, 'running', ?, ?, ?) ON CONFLICT (owner, idem_key) DO NOTHING",
                (owner, key, method, path, _stamp(now), _stamp(now), token),
            )
            return token if tx.cursor.rowcount == 1 else None

    def refresh(self, owner: str, key: str, token: str) -> bool:
        """The heartbeat: ``False`` if the claim is no longer this request's (done, freed, or
        taken over after its heartbeat went stale)."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE idempotency_keys SET heartbeat_at = ? WHERE owner = ? AND idem_key = ? "
                "AND state = 'running' AND claim_token = ?",
                (_stamp(_now()), owner, key, token),
            )
            return bool(tx.cursor.rowcount == 1)

    def get(self, owner: str, key: str) -> dict[str, Any] | None:
        rows = self.db.rows(
            "SELECT state, fingerprint, status, headers, body, created_at, heartbeat_at "
            "FROM idempotency_keys WHERE owner = ? AND idem_key = ?",
            (owner, key),
        )
        return rows[0] if rows else None

    def stale_in(self, row: dict[str, Any], now: datetime | None = None) -> float:
        """Seconds until the running claim ``row`` counts as abandoned (≤ 0: it does)."""
        if row.get("heartbeat_at"):
            since, limit = row["heartbeat_at"], self.stale_after
        else:
            since, limit = row["created_at"], self.legacy_lease
        moment = datetime.fromisoformat(since)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return (moment + limit - (now or _now())).total_seconds()

    def complete(
        self,
        owner: str,
        key: str,
        token: str,
        fingerprint: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> bool:
        """Store the answer; ``False`` if the claim was no longer this request's."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE idempotency_keys SET state = 'done', fingerprint = ?, status = ?, "
                "headers = ?, body = ?, completed_at = ? "
                "WHERE owner = ? AND idem_key = ? AND state = 'running' AND claim_token = ?",
                (
                    fingerprint,
                    status,
                    json.dumps(headers),
                    base64.b64encode(body).decode("ascii"),
                    _stamp(_now()),
                    owner,
                    key,
                    token,
                ),
            )
            return bool(tx.cursor.rowcount == 1)

    def release(self, owner: str, key: str, token: str) -> bool:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys WHERE owner = ? AND idem_key = ? "
                "AND state = 'running' AND claim_token = ?",
                (owner, key, token),
            )
            return bool(tx.cursor.rowcount == 1)

    def purge(self, older_than: timedelta) -> int:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?",
                (_stamp(_now() - older_than),),
            )
            return int(tx.cursor.rowcount or 0)


class IdempotencyMiddleware(ASGIMiddleware):
    """``heartbeat``/``stale_after``: see "Abandoned claims" in the module docstring."""

    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "skip_idempotency"
    exclude_path_pattern = (r"^/api/auth/",)

    def __init__(
        self,
        methods: tuple[str, ...] = ("POST",),
        wait_seconds: float = 10.0,
        heartbeat: timedelta = HEARTBEAT,
        stale_after: timedelta = STALE_AFTER,
        retention: timedelta = timedelta(hours=24),
        max_body: int | None = None,
    ) -> None:
        if heartbeat >= stale_after:
            raise ValueError("heartbeat must be (well) shorter than stale_after")
        self.methods = frozenset(m.upper() for m in methods)
        self.wait_seconds = wait_seconds
        self.heartbeat = heartbeat
        self.stale_after = stale_after
        self.retention = retention
        self.max_body = max_body
        self._last_purge = 0.0

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        http: Any = scope  # an HTTP scope (``scopes`` excludes the others)
        if http["method"] not in self.methods:
            await next_app(scope, receive, send)
            return
        key = _headers(scope).get(HEADER)
        if key is None:
            await next_app(scope, receive, send)
            return
        if not _KEY.match(key):
            raise problem(
                400,
                "Idempotency-Key harus 1–255 karakter ASCII yang terlihat (mis. sebuah UUID).",
                "invalid-idempotency-key",
            )
        runtime = scope["app"].state.runtime
        keys = KeyStore(runtime.db, stale_after=self.stale_after)
        owner = _owner(scope)
        method, path = http["method"], http["path"]
        limit = self.max_body or (runtime.settings.max_upload_mb + 1) * 1024 * 1024
        await self._maybe_purge(keys)

        token = await anyio.to_thread.run_sync(keys.claim, owner, key, method, path)
        if token is not None:
            await self._execute(scope, receive, send, next_app, keys, owner, key, token, limit)
            return

        # Somebody (an earlier or a concurrent request) holds the key: compare, wait, replay.
        fingerprint = Fingerprint(scope)
        kept = bytearray()
        await _drain(receive, fingerprint, limit, kept)
        mine = fingerprint.hexdigest()
        deadline = anyio.current_time() + self.wait_seconds
        delay = 0.02
        while True:
            row = await anyio.to_thread.run_sync(keys.get, owner, key)
            if row is None or (row["state"] == "running" and keys.stale_in(row) <= 0):
                # The first one failed and freed the key, or its process died (no heartbeat):
                # run this one instead, unless another waiter got there first.
                token = await anyio.to_thread.run_sync(keys.claim, owner, key, method, path)
                if token is not None:
                    if row is not None:
                        log.info("Idempotency-Key claim abandoned (no heartbeat), taken over")
                    await self._execute(
                        scope,
                        _replay_receive(fingerprint, kept),
                        send,
                        next_app,
                        keys,
                        owner,
                        key,
                        token,
                        limit,
                    )
                    return
            elif row["state"] == "done":
                if row["fingerprint"] != mine:
                    raise problem(
                        422,
                        "Idempotency-Key ini sudah dipakai untuk permintaan yang berbeda. "
                        "Gunakan kunci baru untuk permintaan baru.",
                        "idempotency-key-reused",
                    )
                await _replay(send, row)
                return
            if anyio.current_time() >= deadline:
                raise self._in_progress(keys, row)
            await anyio.sleep(delay)
            delay = min(delay * 2, 0.25)

    def _in_progress(self, keys: KeyStore, row: dict[str, Any] | None) -> Exception:
        """409 for a claim still running (and heartbeating) after ``wait_seconds``. By the time
        it would count as abandoned, a retry gets an answer either way: the replay, or (its
        process died) a run of its own."""
        alive_for = keys.stale_in(row) if row is not None and row["state"] == "running" else 0
        retry_after = max(1, math.ceil(alive_for))
        return problem(
            409,
            "Permintaan sebelumnya dengan Idempotency-Key ini masih berjalan. "
            f"Coba lagi dalam {retry_after} detik dengan kunci yang sama.",
            "idempotency-in-progress",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )

    async def _heartbeat(self, keys: KeyStore, owner: str, key: str, token: str) -> None:
        """Refresh the claim every ``heartbeat`` seconds until cancelled; never raises."""
        interval = self.heartbeat.total_seconds()
        failing = False
        while True:
            await anyio.sleep(interval)
            try:
                # abandon_on_cancel: the request's end does not wait for a refresh stuck on an
                # unreachable database (its late UPDATE is fenced by the token).
                mine = await anyio.to_thread.run_sync(
                    keys.refresh, owner, key, token, abandon_on_cancel=True
                )
            except Exception as exc:  # the database is briefly unreachable: keep trying
                log.warning(
                    "Idempotency-Key heartbeat failed (%s: %s); retrying in %.1f s",
                    type(exc).__name__,
                    exc,
                    interval,
                )
                failing = True
                continue
            if failing:
                log.info("Idempotency-Key heartbeat written again")
                failing = False
            if not mine:
                log.warning(
                    "Idempotency-Key claim lost while its request runs (its heartbeat went "
                    "stale and another request took it over); the two may both execute"
                )
                return

    async def _execute(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        next_app: ASGIApp,
        keys: KeyStore,
        owner: str,
        key: str,
        token: str,
        limit: int,
    ) -> None:
        fingerprint = Fingerprint(scope)
        state: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

        async def receive_hashing() -> Any:
            message = await receive()
            if message["type"] == "http.request" and not fingerprint.complete:
                fingerprint.update(message.get("body", b""))
                if not message.get("more_body", False):
                    fingerprint.complete = True
            return message

        async def send_capturing(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["headers"] = [
                    (k.decode("latin-1").lower(), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                body = state["body"]
                if len(body) <= MAX_STORED_BODY:
                    body.extend(message.get("body", b""))
            await send(message)

        async def run_and_store() -> bool:
            await next_app(scope, receive_hashing, send_capturing)
            status, headers = state["status"], state["headers"]
            if not _storable(status, headers, state["body"]):
                return False
            if not fingerprint.complete:
                await _drain(receive, fingerprint, limit)
            kept = [(n, v) for n, v in headers if n in REPLAYED_HEADERS]
            if not await anyio.to_thread.run_sync(
                keys.complete,
                owner,
                key,
                token,
                fingerprint.hexdigest(),
                status,
                kept,
                bytes(state["body"]),
            ):
                log.warning("Idempotency-Key claim lost before the answer was stored")
            return True

        stored = False
        error: Exception | None = None
        try:
            # The heartbeat runs beside the request and stops when it ends, however it ends. An
            # exception is carried out of the task group by hand (a task group would wrap it in
            # an ExceptionGroup, which the problem handlers do not recognise).
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._heartbeat, keys, owner, key, token)
                try:
                    stored = await run_and_store()
                except Exception as exc:
                    error = exc
                finally:
                    tasks.cancel_scope.cancel()
            if error is not None:
                raise error
        finally:
            if not stored:
                await self._release(keys, owner, key, token)

    async def _release(self, keys: KeyStore, owner: str, key: str, token: str) -> None:
        """Free the claim of an answer not stored (shielded: it runs even when cancelled)."""
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(keys.release, owner, key, token)
            except Exception as exc:  # the claim frees itself once its heartbeat is stale
                log.warning(
                    "Idempotency-Key release failed (%s: %s); the key frees itself within %.0f s",
                    type(exc).__name__,
                    exc,
                    self.stale_after.total_seconds(),
                )

    async def _maybe_purge(self, keys: KeyStore) -> None:
        now = anyio.current_time()
        if now - self._last_purge > 600:
            self._last_purge = now
            await anyio.to_thread.run_sync(keys.purge, self.retention)


KEEP_FOR_RERUN = 1024 * 1024


def _storable(status: int, headers: list[tuple[str, str]], body: bytearray) -> bool:
    """Only a success small enough to keep, and never one that sets a cookie, is replayed."""
    return (
        status < 400
        and len(body) <= MAX_STORED_BODY
        and not any(name == "set-cookie" for name, _ in headers)
    )


async def _drain(
    receive: Receive, fingerprint: Fingerprint, limit: int, keep: bytearray | None = None
) -> None:
    """Read (and hash) the rest of the request body, refusing more than ``limit`` bytes; keep
    up to 1 MB of it in ``keep`` so a small request can still be run if the key is freed."""
    fingerprint.complete = True
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        chunk = message.get("body", b"")
        fingerprint.update(chunk)
        if keep is not None and fingerprint.size <= KEEP_FOR_RERUN:
            keep.extend(chunk)
        if fingerprint.size > limit:
            raise problem(413, "Isi permintaan terlalu besar.", "too-large", limit_bytes=limit)
        if not message.get("more_body", False):
            return


def _replay_receive(fingerprint: Fingerprint, kept: bytearray) -> Any:
    """The already-read body, handed to the handler when the first request freed the key. A body
    too large to have been kept gets a clear 409 asking the client to send it again."""

    async def receive() -> Any:
        if fingerprint.size > len(kept):
            raise problem(
                409,
                "Permintaan sebelumnya dengan Idempotency-Key ini gagal. Kirim ulang permintaan.",
                "idempotency-retry",
            )
        return {"type": "http.request", "body": bytes(kept), "more_body": False}

    return receive


async def _replay(send: Send, row: dict[str, Any]) -> None:
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in json.loads(row["headers"])]
    body = base64.b64decode(row["body"] or "")
    headers.append((b"idempotent-replayed", b"true"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": int(row["status"]), "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
