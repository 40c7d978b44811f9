"""The write path's yardsticks: Litestar apps served by the same uvicorn settings as SI-RISMA.

``uvicorn bench.baseline_apps:create_app --factory`` (``BENCH_DATABASE_URL`` set) serves:

* ``GET /health/live`` — a bare Litestar route (no middleware, no hooks): the CPU floor of one
  request through this framework and server;
* ``PUT /floor/{n}`` — the "floor route": the same two INSERTs (an event row and its chain row)
  and COMMIT as a command, through a psycopg pool, nothing else;
* ``PUT /plain/{n}`` — the "plain-library route": the eventsourcing library's own
  ``Application.save`` of one new event (its PostgreSQL recorder, no hash chain, no
  authentication, no policy), in a table of its own.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import psycopg_pool
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from litestar import Litestar, get, put

STATE = (
    b'{"originator_id":"00000000-0000-0000-0000-000000000000","originator_version":1,'
    b'"timestamp":"2026-01-01T00:00:00+00:00","no":3,"level":2,"note":"klaim uji beban"}'
)
LINK = "0" * 64


class Claim(Aggregate):
    @event("Claimed")
    def __init__(self, no: int, level: int, note: str) -> None:
        self.no, self.level, self.note = no, level, note


class PlainApp(Application[uuid.UUID]):
    name = "benchplain"


def create_app() -> Litestar:
    url = os.environ["BENCH_DATABASE_URL"]
    pool = psycopg_pool.ConnectionPool(url, min_size=4, max_size=20, open=True)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        **{f"POSTGRES_{k}": v for k, v in _libpq(url).items()},
        "POSTGRES_POOL_SIZE": "20",
        "CREATE_TABLE": "y",
    }
    plain = PlainApp(env=env)

    @get("/health/live", sync_to_thread=False)
    def live() -> dict[str, str]:
        return {"status": "ok"}

    @put("/floor/{n:int}", sync_to_thread=True)
    def floor(n: int) -> dict[str, Any]:
        oid = uuid.uuid4()
        with pool.connection() as conn:
            nid = conn.execute(
                "INSERT INTO bench_raw_events (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, 'innovation.IndicatorClaimed', %s) RETURNING notification_id",
                (oid, STATE),
            ).fetchone()[0]  # type: ignore[index]
            conn.execute("INSERT INTO bench_raw_chain VALUES (%s, 1, %s, 0, %s)", (oid, nid, LINK))
        return {"id": str(oid), "notification_id": nid}

    @put("/plain/{n:int}", sync_to_thread=True)
    def plain_save(n: int) -> dict[str, Any]:
        claim = Claim(no=n % 19 + 1, level=n % 3 + 1, note="klaim uji beban")
        recordings = plain.save(claim)
        return {"id": str(claim.id), "notification_id": recordings[-1].notification.id}

    return Litestar(route_handlers=[live, floor, plain_save], on_shutdown=[pool.close])


def _libpq(url: str) -> dict[str, str]:
    from urllib.parse import unquote, urlparse

    u = urlparse(url)
    return {
        "DBNAME": u.path.lstrip("/"),
        "HOST": u.hostname or "127.0.0.1",
        "PORT": str(u.port or 5432),
        "USER": unquote(u.username or "postgres"),
        "PASSWORD": unquote(u.password or ""),
    }
