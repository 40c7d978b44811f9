"""The insider of issue 17 on PostgreSQL: as the superuser, with triggers off, rewrite the reason
of an ``innovation.Rejected`` event and recompute its chain link with the project's own unkeyed
``link_hash``. The chain alone cannot tell; the Ed25519-signed day roots can, and name the event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import psycopg
import pytest

from services.audit.integrity import verify_store
from services.audit.keys import generate, load_signer
from services.audit.seals import checkpoint, seal_days
from services.config import Settings
from services.eventstore.chain import JAKARTA, link_hash
from services.notification import audit_trail
from tests.audit.conftest import AuditApp, seed_logins
from tests.factories import World

REASON, FORGED = "Belum ada kebaruan", "Duplikat usulan lain"
EVENTS, CHAIN = "sirisma_events", "sirisma_events_chain"


@dataclass
class Rejected:
    app: AuditApp
    settings: Settings
    iid: UUID
    nid: int


@pytest.fixture
def rejected(postgres_settings: Settings, tmp_path: Path) -> Iterator[Rejected]:
    from litestar.testing import TestClient

    from services.app import create_app
    from services.startup import start_runtime

    key = tmp_path / "audit-signing-key.pem"
    generate(key)
    settings = msgspec.structs.replace(postgres_settings, signing_key_file=str(key))
    runtime = start_runtime(settings, background=False)
    world = World(runtime.commands, now=datetime.now(UTC) - timedelta(days=2))
    logins = seed_logins(world)
    c = world.commands
    iid = world.complete_draft()
    c.submit(world.ctx(world.operator), iid)
    c.assign_reviewer(world.ctx(world.admin), iid, world.reviewer.account_id)
    c.score(world.ctx(world.reviewer), iid, world.verdicts())
    c.recommend(world.ctx(world.reviewer), iid, recommendation="reject", note="tidak baru")
    version = c.reject(world.ctx(world.admin), iid, REASON).version
    nid = next(
        n.id
        for n in runtime.store.notifications(1, 10_000)
        if n.originator_id == iid and n.originator_version == version
    )
    with TestClient(create_app(runtime=runtime)) as client:
        yield Rejected(AuditApp(client, runtime, world, iid, {}, logins, {}), settings, iid, nid)


def _rewrite_as_superuser(settings: Settings, iid: UUID, nid: int) -> None:
    """What the issue did: replica role (no triggers), new reason, link recomputed."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(
            f"UPDATE {EVENTS} SET state = convert_to(replace(convert_from(state, 'UTF8'), "
            "%s, %s), 'UTF8') WHERE notification_id = %s",
            (REASON, FORGED, nid),
        )
        version, topic, state = conn.execute(
            f"SELECT originator_version, topic, state FROM {EVENTS} WHERE notification_id = %s",
            (nid,),
        ).fetchone() or (0, "", b"")
        row = conn.execute(
            f"SELECT hash FROM {CHAIN} WHERE originator_id = %s AND originator_version = %s",
            (iid, version - 1),
        ).fetchone()
        assert row is not None
        conn.execute(
            f"UPDATE {CHAIN} SET hash = %s WHERE originator_id = %s AND originator_version = %s",
            (link_hash(row[0], iid, version, topic, bytes(state)), iid, version),
        )


def _named(first: dict[str, Any] | Any, r: Rejected) -> None:
    get = first.get if isinstance(first, dict) else lambda k: getattr(first, k)
    assert get("kind") == "event_changed"
    assert get("notification_id") == r.nid
    assert str(get("originator_id")) == str(r.iid)
    assert get("topic") == "innovation.Rejected"


def test_a_rewritten_event_with_a_recomputed_link_is_named(rejected: Rejected) -> None:
    r, rt = rejected, rejected.app.runtime
    audit_trail.seal(rt)  # the 00.15 beat: record digests and the signed event-chain day roots
    checkpoint(rt.store, rt.db, rt.extensions["audit.signer"])  # and one made today
    before = r.app.get("/api/audit/verify").json()
    assert before["ok"], before["message"]
    assert before["seals"]["days"] >= 2 and before["seals"]["checkpoints"] == 1

    _rewrite_as_superuser(r.settings, r.iid, r.nid)

    assert verify_store(rt.store).ok  # the unkeyed chain agrees with the forgery …
    response = r.app.get("/api/audit/verify")
    assert response.status_code == 200
    report = response.json()
    assert not report["ok"]  # … the signed roots do not, and name the event
    _named(report["first_break"], r)
    assert report["seals"]["first_break"]["found"] != report["seals"]["first_break"]["expected"]
    assert f"notifikasi {r.nid}" in report["message"]

    digests = audit_trail.verify(rt.db, rt.settings.secret_key, rt.store)
    assert not digests.ok
    assert digests.event_roots is not None and digests.event_roots.first_break is not None
    _named(digests.event_roots.first_break, r)
    day = (datetime.now(UTC) - timedelta(days=2)).astimezone(JAKARTA).date().isoformat()
    assert digests.first_broken_day == day


def test_public_key_is_published_and_checkpoints_are_for_auditors(rejected: Rejected) -> None:
    r = rejected
    key = r.app.client.get("/api/audit/public-key").json()
    signer = r.app.runtime.extensions.get("audit.signer")
    assert key["algorithm"] == "Ed25519" and len(key["public_key"]) == 64
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    made = r.app.client.post("/api/audit/checkpoints", headers=r.app.headers("auditor"))
    assert made.status_code == 201, made.text
    assert made.json()["kind"] == "checkpoint"
    assert made.json()["key_id"] == key["key_id"]
    assert signer is not None and signer.key_id == key["key_id"]
    assert made.json()["last_notification_id"] == r.app.runtime.store.max_notification_id()
    assert [k["key_id"] for k in r.app.client.get("/api/audit/public-key").json()["history"]] == [
        key["key_id"]
    ]
    refused = r.app.client.post("/api/audit/checkpoints", headers=r.app.headers("operator"))
    assert refused.status_code == 403
    roots = r.app.get("/api/audit/roots").json()
    assert roots["seals"][0]["seal_id"] == made.json()["seal_id"]


def test_seal_days_signs_nothing_twice(rejected: Rejected) -> None:
    rt = rejected.app.runtime
    signer = load_signer(rt.settings)
    first = seal_days(rt.store, rt.db, signer)
    assert first and seal_days(rt.store, rt.db, signer) == []


def test_a_process_without_the_private_key_publishes_the_activated_one(
    rejected: Rejected, tmp_path: Path
) -> None:
    rt = rejected.app.runtime
    signer = load_signer(rt.settings)
    checkpoint(rt.store, rt.db, signer)  # records the key's activation in the log
    rt.extensions.pop("audit.signer", None)
    rt.settings = msgspec.structs.replace(
        rt.settings, signing_key_file=str(tmp_path / "tidak-ada.pem")
    )
    key = rejected.app.client.get("/api/audit/public-key")
    assert key.status_code == 200, key.text
    assert (key.json()["key_id"], key.json()["public_key"]) == (
        signer.key_id,
        signer.public_raw.hex(),
    )
    assert key.json()["public_key_pem"] == signer.public_pem()
    assert rejected.app.get("/api/audit/verify").json()["ok"]  # seals checked by the log's keys
