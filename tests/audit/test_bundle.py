"""Ed25519-signed export bundles: complete, verifiable offline with the pinned public key only,
any changed byte is caught and a changed event is named."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import msgspec
import pytest

from services.audit.bundle import EVENTS_FILE, seals_from, verify_bundle, write_bundle
from services.audit.integrity import SealInputs, verify_store
from services.audit.keys import Signer, generate
from services.audit.seals import ensure_schema
from services.blobs import BlobStore
from services.commands import Commands
from services.config import Settings
from services.db import Database
from services.domain.values import DocumentKind
from services.eventstore.chain import GENESIS, link_hash
from services.eventstore.store import EventStore
from tests.factories import World, document


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return generate(tmp_path / "audit.pem")


@pytest.fixture
def db(store: EventStore) -> Iterator[Database]:
    database = Database(store.settings)
    ensure_schema(database)
    yield database
    database.close()


@pytest.fixture
def bundle(store: EventStore, db: Database, signer: Signer, tmp_path: Path) -> Path:
    world = World(Commands(store))
    iid = world.complete_draft()
    world.commands.submit(world.ctx(world.operator), iid)
    out = tmp_path / "bundle.zip"
    write_bundle(store, db, out, signer)
    return out


def _rebuilt(bundle: Path, out: Path, name: str, change: tuple[bytes, bytes]) -> Path:
    """A valid zip whose member ``name`` differs (the comment copied, so it no longer fits)."""
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == name:
                assert change[0] in data
                data = data.replace(change[0], change[1], 1)
            dst.writestr(info, data)
        dst.comment = src.comment
    return out


def test_bundle_holds_every_event_the_rubrics_and_verifies_offline(
    bundle: Path, store: EventStore, signer: Signer
) -> None:
    report = verify_bundle(bundle, signer.public_raw)
    assert report.ok and report.log_intact, report.message
    assert all(c["ok"] for c in report.checks)
    assert report.manifest is not None
    assert report.manifest["events"] == store.max_notification_id()
    assert report.manifest["key_id"] == signer.key_id
    assert report.seals is not None and report.seals["checkpoints"] == 1
    assert report.seals["sealed_through"] == store.max_notification_id()  # verifiable today
    with zipfile.ZipFile(bundle) as zf:
        lines = zf.read(EVENTS_FILE).splitlines()
        assert len(lines) == report.manifest["events"]
        for entry in resources.files("services.domain.rubrics").iterdir():
            if entry.name.endswith(".json"):
                assert zf.read(f"rubrics/{entry.name}") == entry.read_bytes()
        assert "password_hash" in zf.read(EVENTS_FILE).decode()  # the record is complete
        source = resources.files("services.audit").joinpath("verify_bundle.py").read_bytes()
        assert zf.read("verify_bundle.py") == source
        keys = json.loads(zf.read("keys.json"))
        assert keys["signing_key"]["public_key"] == signer.public_raw.hex()
        readme = zf.read("BACA-SAYA.txt").decode()
        assert signer.key_id in readme and "links_digest" in readme


def test_any_single_changed_byte_fails_verification(
    bundle: Path, tmp_path: Path, signer: Signer
) -> None:
    data = bundle.read_bytes()
    positions = sorted({*range(0, len(data), max(1, len(data) // 40)), len(data) - 1})
    for position in positions:
        tampered = tmp_path / f"t{position}.zip"
        changed = bytearray(data)
        changed[position] ^= 0x01
        tampered.write_bytes(bytes(changed))
        report = verify_bundle(tampered, signer.public_raw)
        assert not report.ok, f"byte {position} changed but the bundle still verified"


def test_a_rewritten_event_line_is_named(bundle: Path, tmp_path: Path, signer: Signer) -> None:
    """One changed byte inside events.jsonl: the report names the line and the event."""
    with zipfile.ZipFile(bundle) as zf:
        lines = zf.read(EVENTS_FILE).splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if b"sk-1.pdf" in line)
    offset = sum(len(line) for line in lines[: number - 1])
    nid = json.loads(lines[number - 1])["notification_id"]
    rebuilt = _rebuilt(bundle, tmp_path / "rebuilt.zip", EVENTS_FILE, (b"sk-1.pdf", b"sk-2.pdf"))
    report = verify_bundle(rebuilt, signer.public_raw)
    failed = {c["name"] for c in report.checks if not c["ok"]}
    assert not report.ok
    assert {"file_signature", f"file:{EVENTS_FILE}", "chain", "seals"} <= failed
    assert report.first_change is not None
    assert (report.first_change["line"], report.first_change["byte_from"]) == (number, offset)
    assert report.first_change["notification_id"] == nid
    assert f"baris {number}" in report.first_change["message"]
    assert report.seals is not None and report.seals["first_break"]["kind"] == "event_changed"
    assert report.seals["first_break"]["notification_id"] == nid


def test_a_bundle_signed_by_another_key_is_refused(bundle: Path, tmp_path: Path) -> None:
    other = generate(tmp_path / "lain.pem")
    report = verify_bundle(bundle, other.public_raw)
    assert not report.ok
    assert "kunci" in report.message


def test_without_a_pinned_key_the_report_says_so(bundle: Path) -> None:
    report = verify_bundle(bundle, None)
    assert report.ok
    assert any("tidak ada kunci publik yang dipatok" in c["detail"] for c in report.checks)


def test_garbage_is_reported_not_raised(tmp_path: Path, signer: Signer) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK" + b"\x00" * 200)
    assert not verify_bundle(junk, signer.public_raw).ok


def test_a_same_day_bundle_catches_a_consistently_rewritten_history(
    sqlite_settings: Settings, tmp_path: Path, signer: Signer
) -> None:
    """Rewrite an event AND its chain links today: the chain alone cannot tell; the checkpoint
    signed into this morning's bundle can, and names the event."""
    store = EventStore(sqlite_settings)
    db = Database(sqlite_settings)
    try:
        ensure_schema(db)
        world = World(Commands(store))
        iid = world.complete_draft()
        old = tmp_path / "pagi.zip"
        write_bundle(store, db, old, signer)
        seals, sealed, keys, anchors = seals_from(old, signer.public_raw)
        assert anchors == []  # nothing of today is a closed day yet …
        inputs = SealInputs(seals=seals, keys=keys, sealed=sealed)
        assert verify_store(store, seals=inputs).ok  # … but the checkpoint holds today

        with sqlite3.connect(sqlite_settings.event_db_path) as conn:
            conn.execute("DROP TRIGGER stored_events_no_update")
            conn.execute("DROP TRIGGER stored_events_chain_no_update")
            conn.execute(
                "UPDATE stored_events SET state = CAST(replace(CAST(state AS TEXT), 'sk-1.pdf', "
                "'sk-9.pdf') AS BLOB) WHERE originator_id=? AND originator_version=2",
                (iid.hex,),
            )
            prev = GENESIS
            rows = conn.execute(
                "SELECT originator_version, topic, state FROM stored_events "
                "WHERE originator_id=? ORDER BY originator_version",
                (iid.hex,),
            ).fetchall()
            for version, topic, state in rows:
                prev = link_hash(prev, iid, version, topic, bytes(state))
                conn.execute(
                    "UPDATE stored_events_chain SET hash=? "
                    "WHERE originator_id=? AND originator_version=?",
                    (prev, iid.hex, version),
                )
            nid = conn.execute(
                "SELECT notification_id FROM stored_events_chain "
                "WHERE originator_id=? AND originator_version=2",
                (iid.hex,),
            ).fetchone()[0]
        assert verify_store(store).ok  # consistent rewrite: every link checks out
        report = verify_store(store, seals=SealInputs(seals=seals, keys=keys, sealed=sealed))
        assert not report.ok
        assert report.first_break is not None and report.first_break.kind == "event_changed"
        assert (report.first_break.notification_id, report.first_break.originator_version) == (
            nid,
            2,
        )
    finally:
        store.close()
        db.close()


def test_old_bundle_day_roots_still_anchor_closed_days(
    sqlite_settings: Settings, tmp_path: Path, signer: Signer
) -> None:
    store = EventStore(sqlite_settings)
    db = Database(sqlite_settings)
    try:
        ensure_schema(db)
        World(Commands(store), now=datetime.now(UTC) - timedelta(days=3)).complete_draft()
        old = tmp_path / "old.zip"
        write_bundle(store, db, old, signer)
        _, _, _, anchors = seals_from(old, signer.public_raw)
        assert anchors
        assert verify_store(store, anchors).anchors_checked == len(anchors)
        assert verify_store(store, anchors).ok
    finally:
        store.close()
        db.close()


def test_evidence_documents_travel_with_the_bundle(
    store: EventStore, db: Database, signer: Signer, tmp_path: Path
) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    world = World(Commands(store))
    iid = world.complete_draft()
    other = world.complete_draft("Inovasi lain")
    content = b"%PDF-1.4 bukti laporan kegiatan"
    stored = blobs.put_bytes(content)
    doc = msgspec.structs.replace(
        document(DocumentKind.REPORT, indicator=3),
        sha256=stored.sha256,
        storage_key=stored.key,
        size=len(content),
    )
    world.commands.attach_document(world.ctx(world.operator), iid, doc)
    out = tmp_path / "dengan-bukti.zip"
    manifest = write_bundle(store, db, out, signer, blobs=blobs, evidence_for={iid})
    # Only documents whose bytes exist are carried; the factory's others have none.
    assert manifest.evidence["included"] == 1
    assert stored.sha256 not in manifest.evidence["missing"]
    assert str(other) not in manifest.evidence["scope"]
    with zipfile.ZipFile(out) as zf:
        assert zf.read(f"evidence/{stored.sha256}") == content
        assert hashlib.sha256(content).hexdigest() == stored.sha256
    report = verify_bundle(out, signer.public_raw)
    assert report.ok, report.message
    assert any(c["name"] == "evidence" and c["ok"] for c in report.checks)

    forged = _rebuilt(
        out, tmp_path / "bukti-palsu.zip", f"evidence/{stored.sha256}", (b"1.4", b"1.7")
    )
    failed = {c["name"] for c in verify_bundle(forged, signer.public_raw).checks if not c["ok"]}
    assert {"evidence", f"file:evidence/{stored.sha256}"} <= failed


def test_bundle_can_be_copied_and_still_verifies(
    bundle: Path, tmp_path: Path, signer: Signer
) -> None:
    copy = tmp_path / "salinan.zip"
    shutil.copy(bundle, copy)
    assert verify_bundle(copy, signer.public_raw).ok
