"""Signed export bundles: complete, verifiable offline, and any changed byte is caught."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from services.audit.bundle import EVENTS_FILE, anchors_from, verify_bundle, write_bundle
from services.audit.chain import GENESIS, link_hash
from services.audit.integrity import verify_store
from services.commands import Commands
from services.config import Settings
from services.store import EventStore
from tests.factories import World

KEY = b"kunci-rahasia-uji-0123456789abcdef"


@pytest.fixture
def bundle(store: EventStore, tmp_path: Path) -> Path:
    world = World(Commands(store))
    iid = world.complete_draft()
    world.commands.submit(world.ctx(world.operator), iid)
    out = tmp_path / "bundle.zip"
    write_bundle(store, out, KEY)
    return out


def test_bundle_holds_every_event_the_rubrics_and_verifies_offline(
    bundle: Path, store: EventStore
) -> None:
    report = verify_bundle(bundle, KEY)
    assert report.ok and report.log_intact, report.message
    assert report.manifest is not None
    assert report.manifest.events == store.max_notification_id()
    assert report.manifest.head == verify_store(store).head
    with zipfile.ZipFile(bundle) as zf:
        lines = zf.read(EVENTS_FILE).splitlines()
        assert len(lines) == report.manifest.events
        for entry in resources.files("services.domain.rubrics").iterdir():
            if entry.name.endswith(".json"):
                assert zf.read(f"rubrics/{entry.name}") == entry.read_bytes()
        assert "password_hash" in zf.read(EVENTS_FILE).decode()  # the record is complete
    assert all(c.ok for c in report.checks)


def test_any_single_changed_byte_fails_verification(bundle: Path, tmp_path: Path) -> None:
    data = bundle.read_bytes()
    positions = sorted({*range(0, len(data), max(1, len(data) // 40)), len(data) - 1})
    for position in positions:
        tampered = tmp_path / f"t{position}.zip"
        changed = bytearray(data)
        changed[position] ^= 0x01
        tampered.write_bytes(bytes(changed))
        report = verify_bundle(tampered, KEY)
        assert not report.ok, f"byte {position} changed but the bundle still verified"


def test_a_rewritten_event_line_is_named(bundle: Path, tmp_path: Path) -> None:
    """A valid zip whose events.jsonl differs by one byte: the checks say where."""
    rebuilt = tmp_path / "rebuilt.zip"
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(rebuilt, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == EVENTS_FILE:
                data = data.replace(b"sk-1.pdf", b"sk-2.pdf", 1)
            dst.writestr(info, data)
        dst.comment = src.comment
    report = verify_bundle(rebuilt, KEY)
    failed = {c.name for c in report.checks if not c.ok}
    assert not report.ok
    assert {"file_signature", f"file:{EVENTS_FILE}", "chain"} <= failed
    assert report.chain is not None and report.chain.first_break is not None
    assert report.chain.first_break.kind == "altered"


def test_the_wrong_key_is_refused(bundle: Path) -> None:
    report = verify_bundle(bundle, b"kunci-lain")
    assert not report.ok
    assert "kunci" in report.message


def test_garbage_is_reported_not_raised(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK" + b"\x00" * 200)
    assert not verify_bundle(junk, KEY).ok


def test_old_bundle_anchors_catch_a_consistently_rewritten_history(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    """Rewrite an event AND its chain links: the chain alone cannot tell, yesterday's roots can."""
    store = EventStore(sqlite_settings)
    try:
        past = datetime.now(UTC) - timedelta(days=3)
        world = World(Commands(store), now=past)
        iid = world.complete_draft()
        old = tmp_path / "old.zip"
        write_bundle(store, old, KEY)
        anchors = anchors_from(old, KEY)
        assert anchors and verify_store(store, anchors).ok

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
        assert verify_store(store).ok  # consistent rewrite: every link checks out
        report = verify_store(store, anchors)
        assert not report.ok
        assert report.first_break is not None and report.first_break.kind == "anchor_mismatch"
        assert report.first_break.day == anchors[0].day
    finally:
        store.close()


def test_bundle_can_be_copied_and_still_verifies(bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "salinan.zip"
    shutil.copy(bundle, copy)
    assert verify_bundle(copy, KEY).ok
