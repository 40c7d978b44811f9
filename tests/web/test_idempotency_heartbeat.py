"""Idempotency-Key heartbeat lease (services/http/idempotency.py), on SQLite and real PostgreSQL.

A claim whose process died (it stopped heartbeating) is taken over by the next request with the
key, which runs once; a request that runs longer than ``stale_after`` keeps its claim because it
heartbeats; two requests taking over the same stale claim: exactly one runs; a table created by
the version without heartbeats is upgraded in place; a heartbeat that cannot be written does not
fail the request.

Small ``heartbeat``/``stale_after`` values are injected through the constructors. Sleeps only
create the conditions (a claim older than ``stale_after``); the assertions are about outcomes.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import anyio
import httpx
import pytest
from litestar import Litestar, post
from litestar.datastructures import State
from litestar.params import JSONBody

from services.config import Settings
from services.db import Database
from services.domain.actor import Actor
from services.domain.aggregate import Context
from services.domain.values import OrganisationKind
from services.http import problems
from services.http.idempotency import IdempotencyMiddleware, KeyStore
from services.migrate import migrate
from services.ops import logs
from services.runtime import Runtime
from services.startup import start_runtime

OWNER = "anonymous"  # the test app has no authentication: every caller shares this scope
PATH = "/orgs"
HEARTBEAT = timedelta(seconds=0.1)
STALE = timedelta(seconds=1)


@dataclass
class Probe:
    """The test app's one POST route: records an OrganisationRegistered event per run; a run
    can be held at a gate until the test opens it."""

    runtime: Runtime
    hold: bool = False
    runs: int = 0
    started: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)

    def app(self, **params: Any) -> Litestar:
        probe = self

        @post(PATH, status_code=201)
        async def register(data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
            probe.runs += 1
            probe.started.set()
            if probe.hold:
                # Bounded, so a failing test cannot leave the handler waiting forever.
                await anyio.to_thread.run_sync(probe.gate.wait, 60)
            ctx = Context(actor=Actor.system(), now=datetime.now(UTC))
            outcome = await anyio.to_thread.run_sync(
                partial(
                    probe.runtime.commands.register_organisation,
                    ctx,
                    kind=OrganisationKind.OPD,
                    code=f"T{uuid.uuid4().hex[:10]}",  # a new organisation (event) per run
                    name=data["name"],
                )
            )
            return {"id": str(outcome.id), "run": probe.runs}

        return Litestar(
            route_handlers=[register],
            state=State({"runtime": self.runtime}),
            plugins=[problems.plugin()],
            middleware=[IdempotencyMiddleware(**params)],
            logging_config=logs.litestar_config(),  # as the real app: records reach caplog
        )

    def events(self) -> int:
        return self.runtime.store.max_notification_id()


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = start_runtime(settings, background=False)
    try:
        yield rt
    finally:
        rt.close()


def serve(app: Litestar, body: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    """Run ``body`` with an async client on ``app`` (httpx's ASGI transport, no lifespan)."""

    async def main() -> Any:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        with anyio.fail_after(120):  # a hang fails the test instead of stalling the run
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await body(client)

    return anyio.run(main)


def new_key() -> str:
    return str(uuid.uuid4())


def dead_claim(db: Database, key: str) -> str:
    """A claim like the one a process SIGKILLed mid-request leaves: taken, never refreshed."""
    token = KeyStore(db, stale_after=STALE).claim(OWNER, key, "POST", PATH)
    assert token is not None
    return token


def replayed(response: httpx.Response) -> bool:
    return response.headers.get("idempotent-replayed") == "true"


# ============================================================================================
# (1) a claim whose owner stopped heartbeating is taken over, and the request runs once
# ============================================================================================


@pytest.mark.parametrize("arrives", ["while-fresh", "after-stale"])
def test_a_dead_claim_is_taken_over_and_the_repeat_runs_once(
    runtime: Runtime, arrives: str
) -> None:
    probe = Probe(runtime)
    app = probe.app(heartbeat=HEARTBEAT, stale_after=STALE, wait_seconds=30)
    key = new_key()
    dead = dead_claim(runtime.db, key)
    if arrives == "after-stale":
        anyio.run(anyio.sleep, STALE.total_seconds() * 1.2)
    # "while-fresh": the repeat finds a fresh claim, waits, and takes it over once it is stale.
    mark = probe.events()

    async def body(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        headers = {"Idempotency-Key": key}
        first = await client.post(PATH, json={"name": "Dinas Baru"}, headers=headers)
        again = await client.post(PATH, json={"name": "Dinas Baru"}, headers=headers)
        return first, again

    first, again = serve(app, body)
    assert first.status_code == 201, first.text
    assert not replayed(first)
    assert probe.runs == 1
    assert probe.events() == mark + 1  # exactly one event recorded
    assert again.status_code == 201 and replayed(again)
    assert again.json() == first.json()
    assert probe.events() == mark + 1

    # The dead owner (had it only been paused) can neither refresh, overwrite nor free the claim
    # of the request that took over.
    keys = KeyStore(runtime.db, stale_after=STALE)
    assert keys.refresh(OWNER, key, dead) is False
    assert keys.complete(OWNER, key, dead, "x", 500, [], b"") is False
    assert keys.release(OWNER, key, dead) is False
    row = keys.get(OWNER, key)
    assert row is not None and row["state"] == "done" and row["status"] == 201


# ============================================================================================
# (2) a request slower than stale_after keeps its claim: it heartbeats
# ============================================================================================


@pytest.mark.parametrize("repeat_waits", [True, False], ids=["replay", "409"])
def test_a_long_request_keeps_its_claim(runtime: Runtime, repeat_waits: bool) -> None:
    probe = Probe(runtime, hold=True)
    # The repeat waits either long enough to see the first finish (replay) or not (409).
    app = probe.app(
        heartbeat=HEARTBEAT, stale_after=STALE, wait_seconds=60 if repeat_waits else 0.5
    )
    key = new_key()
    headers = {"Idempotency-Key": key}
    mark = probe.events()

    async def body(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        results: dict[str, httpx.Response] = {}

        async def send(name: str) -> None:
            results[name] = await client.post(PATH, json={"name": "Unggah Lama"}, headers=headers)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send, "first")
            await anyio.to_thread.run_sync(probe.started.wait)
            # Without a heartbeat the claim would now be abandoned.
            await anyio.sleep(STALE.total_seconds() * 2)
            if repeat_waits:
                tasks.start_soon(send, "repeat")
                await anyio.sleep(STALE.total_seconds() * 2)  # the repeat is waiting meanwhile
            else:
                await send("repeat")  # gives up while the first still runs
            probe.gate.set()
        return results["first"], results["repeat"]

    first, repeat = serve(app, body)
    assert first.status_code == 201, first.text
    assert not replayed(first)
    assert probe.runs == 1, "the repeat took over a claim that was still heartbeating"
    assert probe.events() == mark + 1
    if repeat_waits:
        assert repeat.status_code == 201 and replayed(repeat)
        assert repeat.json() == first.json()
    else:
        assert repeat.status_code == 409, repeat.text
        problem = repeat.json()
        assert problem["type"].endswith("/idempotency-in-progress")
        assert "masih berjalan" in problem["detail"]
        retry_after = int(repeat.headers["retry-after"])
        assert 1 <= retry_after <= STALE.total_seconds() + 1
        assert problem["retry_after"] == retry_after


# ============================================================================================
# (3) two (or more) concurrent takeovers of the same stale claim: exactly one runs
# ============================================================================================


def test_concurrent_takeovers_of_a_stale_claim_run_once(runtime: Runtime) -> None:
    probe = Probe(runtime)
    app = probe.app(heartbeat=HEARTBEAT, stale_after=STALE, wait_seconds=30)
    key = new_key()
    dead_claim(runtime.db, key)
    anyio.run(anyio.sleep, STALE.total_seconds() * 1.2)
    mark = probe.events()

    async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
        responses: list[httpx.Response] = []

        async def send() -> None:
            response = await client.post(
                PATH, json={"name": "Balapan"}, headers={"Idempotency-Key": key}
            )
            responses.append(response)

        async with anyio.create_task_group() as tasks:
            for _ in range(6):
                tasks.start_soon(send)
        return responses

    responses = serve(app, body)
    assert [r.status_code for r in responses] == [201] * 6, [r.text for r in responses]
    assert sum(1 for r in responses if not replayed(r)) == 1
    assert len({r.text for r in responses}) == 1
    assert probe.runs == 1
    assert probe.events() == mark + 1


def test_keystore_takeover_is_atomic(runtime: Runtime) -> None:
    """Threads (own database connections) take over the same stale claims at the same moment:
    for each key exactly one gets it."""
    keys = [new_key() for _ in range(6)]
    for key in keys:
        dead_claim(runtime.db, key)
    anyio.run(anyio.sleep, STALE.total_seconds() * 1.2)
    store = KeyStore(runtime.db, stale_after=STALE)
    for key in keys:
        barrier = threading.Barrier(6)
        won: list[str | None] = []

        def take(
            key: str = key, barrier: threading.Barrier = barrier, won: list[str | None] = won
        ) -> None:
            barrier.wait()
            won.append(store.claim(OWNER, key, "POST", PATH))

        threads = [threading.Thread(target=take) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [token for token in won if token is not None]
        assert len(won) == 6 and len(winners) == 1, won
        row = store.get(OWNER, key)
        assert row is not None and row["state"] == "running"
        assert store.refresh(OWNER, key, winners[0]) is True


# ============================================================================================
# (4) a table created by the version without heartbeats is upgraded in place
# ============================================================================================

OLD_SCHEMA = [  # services/http/idempotency.py SCHEMA before the heartbeat lease, verbatim
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


def columns(db: Database) -> set[str]:
    if db.dialect == "postgres":
        rows = db.rows(
            "SELECT column_name AS name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'idempotency_keys'"
        )
    else:
        rows = db.rows("SELECT name FROM pragma_table_info('idempotency_keys')")
    return {row["name"] for row in rows}


def test_an_old_table_gets_the_heartbeat_columns(settings: Settings) -> None:
    db = Database(settings)
    try:
        db.execute_script(OLD_SCHEMA)
        now = datetime.now(UTC)
        old_rows = [  # written by the old version: no heartbeat, no token
            ("abandoned-long-ago", "running", None, (now - timedelta(hours=1)).isoformat()),
            ("running-just-now", "running", None, (now - timedelta(seconds=5)).isoformat()),
            ("done", "done", 201, (now - timedelta(minutes=5)).isoformat()),
        ]
        with db.transaction() as tx:
            tx.executemany(
                "INSERT INTO idempotency_keys (owner, idem_key, method, path, state, status, "
                "headers, body, fingerprint, created_at) "
                "VALUES (?, ?, 'POST', '/orgs', ?, ?, '[]', '', 'f', ?)",
                [(OWNER, key, state, status, created) for key, state, status, created in old_rows],
            )
        assert "heartbeat_at" not in columns(db)

        migrate(db)
        migrate(db)  # again: nothing left to add, nothing fails
        assert {"heartbeat_at", "claim_token"} <= columns(db)

        keys = KeyStore(db, stale_after=timedelta(seconds=1))
        # The old version's promise holds for its claims: 30 minutes without a heartbeat.
        assert keys.claim(OWNER, "running-just-now", "POST", PATH) is None
        token = keys.claim(OWNER, "abandoned-long-ago", "POST", PATH)
        assert token is not None
        assert keys.refresh(OWNER, "abandoned-long-ago", token) is True
        assert keys.claim(OWNER, "done", "POST", PATH) is None
        done = keys.get(OWNER, "done")
        assert done is not None and done["state"] == "done" and done["status"] == 201
    finally:
        db.close()

    # The whole app starts on the upgraded database and runs a request end to end.
    rt = start_runtime(settings, background=False)
    try:
        probe = Probe(rt)
        app = probe.app(heartbeat=HEARTBEAT, stale_after=STALE)

        async def body(client: httpx.AsyncClient) -> list[httpx.Response]:
            headers = {"Idempotency-Key": new_key()}
            return [
                await client.post(PATH, json={"name": "Sesudah Upgrade"}, headers=headers)
                for _ in range(2)
            ]

        first, again = serve(app, body)
        assert first.status_code == again.status_code == 201
        assert replayed(again) and probe.runs == 1
    finally:
        rt.close()


# ============================================================================================
# (5) a heartbeat that cannot be written does not fail the request
# ============================================================================================


def test_failed_heartbeats_are_logged_and_the_request_completes(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """While the request runs, every refresh fails (the table is renamed away: a real error
    from the database, on both backends); the request is not disturbed, the heartbeat resumes
    when the table is back, and the answer is stored as usual."""
    caplog.set_level(logging.INFO, logger="sirisma.web")
    probe = Probe(runtime, hold=True)
    app = probe.app(heartbeat=HEARTBEAT, stale_after=timedelta(seconds=30))
    key = new_key()
    mark = probe.events()

    def logged_since(count: int, text: str) -> bool:
        return any(text in r.getMessage() for r in caplog.records[count:])

    def rename(old: str, new: str) -> None:
        with runtime.db.transaction() as tx:
            tx.execute(f"ALTER TABLE {old} RENAME TO {new}")

    async def body(client: httpx.AsyncClient) -> httpx.Response:
        result: list[httpx.Response] = []

        async def send() -> None:
            result.append(
                await client.post(
                    PATH, json={"name": "Saat Gangguan"}, headers={"Idempotency-Key": key}
                )
            )

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send)
            await anyio.to_thread.run_sync(probe.started.wait)
            await anyio.to_thread.run_sync(rename, "idempotency_keys", "idempotency_keys_away")
            seen = len(caplog.records)
            try:
                while not logged_since(seen, "heartbeat failed"):
                    await anyio.sleep(0.05)
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(
                        rename, "idempotency_keys_away", "idempotency_keys"
                    )
            seen = len(caplog.records)
            while not logged_since(seen, "heartbeat written again"):
                await anyio.sleep(0.05)
            probe.gate.set()
        return result[0]

    response = serve(app, body)
    assert response.status_code == 201, response.text
    assert probe.runs == 1
    assert probe.events() == mark + 1
    row = KeyStore(runtime.db).get(OWNER, key)
    assert row is not None and row["state"] == "done" and row["status"] == 201
    assert not any("claim lost" in r.getMessage() for r in caplog.records)
