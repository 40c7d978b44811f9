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
      409 ``idempotency-in-progress`` with ``Retry-After: 1``. A claim older than ``lease`` (30 min,
      longer than a slow 20 MB upload) is considered abandoned (the process died mid-request)
      and may be taken over.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services.db import Database
from services.web.problems import problem

HEADER = "idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
REPLAYED_HEADERS = frozenset({"content-type", "etag", "location", "x-notification-id"})
MAX_STORED_BODY = 4 * 1024 * 1024

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
        PRIMARY KEY (owner, idem_key)
    )""",
    "CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at)",
]


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


class KeyStore:
    """The ``idempotency_keys`` table: claim, complete, release, look up, purge."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(self, owner: str, key: str, method: str, path: str, lease: timedelta) -> bool:
        now = _now()
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys WHERE owner = ? AND idem_key = ? "
                "AND state = 'running' AND created_at < ?",
                (owner, key, (now - lease).isoformat()),
            )
            tx.execute(
                "INSERT INTO idempotency_keys (owner, idem_key, method, path, state, created_at) "
                "VALUES (?, ?, ?, ?, 'running', ?) ON CONFLICT (owner, idem_key) DO NOTHING",
                (owner, key, method, path, now.isoformat()),
            )
            return bool(tx.cursor.rowcount == 1)

    def get(self, owner: str, key: str) -> dict[str, Any] | None:
        rows = self.db.rows(
            "SELECT state, fingerprint, status, headers, body FROM idempotency_keys "
            "WHERE owner = ? AND idem_key = ?",
            (owner, key),
        )
        return rows[0] if rows else None

    def complete(
        self,
        owner: str,
        key: str,
        fingerprint: str,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE idempotency_keys SET state = 'done', fingerprint = ?, status = ?, "
                "headers = ?, body = ?, completed_at = ? WHERE owner = ? AND idem_key = ?",
                (
                    fingerprint,
                    status,
                    json.dumps(headers),
                    base64.b64encode(body).decode("ascii"),
                    _now().isoformat(),
                    owner,
                    key,
                ),
            )

    def release(self, owner: str, key: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys WHERE owner = ? AND idem_key = ? "
                "AND state = 'running'",
                (owner, key),
            )

    def purge(self, older_than: timedelta) -> int:
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?",
                ((_now() - older_than).isoformat(),),
            )
            return int(tx.cursor.rowcount or 0)


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "skip_idempotency"
    exclude_path_pattern = (r"^/api/auth/",)

    def __init__(
        self,
        methods: tuple[str, ...] = ("POST",),
        wait_seconds: float = 10.0,
        lease: timedelta = timedelta(minutes=30),
        retention: timedelta = timedelta(hours=24),
        max_body: int | None = None,
    ) -> None:
        self.methods = frozenset(m.upper() for m in methods)
        self.wait_seconds = wait_seconds
        self.lease = lease
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
        keys = KeyStore(runtime.db)
        owner = _owner(scope)
        method, path = http["method"], http["path"]
        limit = self.max_body or (runtime.settings.max_upload_mb + 1) * 1024 * 1024
        await self._maybe_purge(keys)

        if await anyio.to_thread.run_sync(keys.claim, owner, key, method, path, self.lease):
            await self._execute(scope, receive, send, next_app, keys, owner, key, limit)
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
            if row is None:  # the first one failed and freed the key: run this one instead
                if await anyio.to_thread.run_sync(keys.claim, owner, key, method, path, self.lease):
                    await self._execute(
                        scope,
                        _replay_receive(fingerprint, kept),
                        send,
                        next_app,
                        keys,
                        owner,
                        key,
                        limit,
                    )
                    return
                continue
            if row["state"] == "done":
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
                raise problem(
                    409,
                    "Permintaan dengan Idempotency-Key ini masih diproses. Coba lagi sebentar.",
                    "idempotency-in-progress",
                    headers={"Retry-After": "1"},
                )
            await anyio.sleep(delay)
            delay = min(delay * 2, 0.25)

    async def _execute(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        next_app: ASGIApp,
        keys: KeyStore,
        owner: str,
        key: str,
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

        stored = False
        try:
            await next_app(scope, receive_hashing, send_capturing)
            status, headers = state["status"], state["headers"]
            storable = (
                status < 400
                and len(state["body"]) <= MAX_STORED_BODY
                and not any(name == "set-cookie" for name, _ in headers)
            )
            if storable:
                if not fingerprint.complete:
                    await _drain(receive, fingerprint, limit)
                kept = [(n, v) for n, v in headers if n in REPLAYED_HEADERS]
                await anyio.to_thread.run_sync(
                    keys.complete,
                    owner,
                    key,
                    fingerprint.hexdigest(),
                    status,
                    kept,
                    bytes(state["body"]),
                )
                stored = True
        finally:
            if not stored:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(keys.release, owner, key)

    async def _maybe_purge(self, keys: KeyStore) -> None:
        now = anyio.current_time()
        if now - self._last_purge > 600:
            self._last_purge = now
            await anyio.to_thread.run_sync(keys.purge, self.retention)


KEEP_FOR_RERUN = 1024 * 1024


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
