"""BACA-SAYA.txt states the formulas; recomputing a real bundle from that text (with hashlib and
the signature library only, not the project's functions) must give exactly what was signed."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.audit.bundle import write_bundle
from services.audit.keys import generate
from services.audit.seals import ensure_schema, seal_days
from services.commands import Commands
from services.config import Settings
from services.db import Database
from services.eventstore.store import EventStore
from tests.factories import World


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_every_formula_in_baca_saya_recomputes_the_bundle(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    signer = generate(tmp_path / "k.pem")
    store, db = EventStore(sqlite_settings), Database(sqlite_settings)
    try:
        ensure_schema(db)
        World(Commands(store), now=datetime.now(UTC) - timedelta(days=2)).complete_draft()
        seal_days(store, db, signer)
        out = tmp_path / "b.zip"
        write_bundle(store, db, out, signer)
    finally:
        store.close()
        db.close()
    with zipfile.ZipFile(out) as zf:
        readme = zf.read("BACA-SAYA.txt").decode()
        events = zf.read("events.jsonl").splitlines(keepends=True)
        index = zf.read("events.index").decode().split()
        seals = [json.loads(line) for line in zf.read("seals.jsonl").splitlines()]
        manifest_bytes = zf.read("manifest.json")
        sig = json.loads(zf.read("manifest.sig"))
    public = bytes.fromhex(json.loads(manifest_bytes)["public_key"])
    key = Ed25519PublicKey.from_public_bytes(public)

    # 1. key_id = sha256( 32 raw public key bytes )
    assert "key_id = sha256( 32 bait kunci publik Ed25519 mentah )" in readme
    assert _sha(public) == json.loads(manifest_bytes)["key_id"] == signer.key_id
    # 2. h_v = sha256( h_(v-1) "\n" stream "\n" v "\n" topic "\n" || state ), h_0 = "0" x 64
    assert (
        'h_v = sha256( h_(v-1) "\\n" id_aliran "\\n" v "\\n" topik "\\n" || bait_state )' in readme
    )
    links: dict[int, str] = {}
    last: dict[str, str] = {}
    for number, raw in enumerate(events):
        assert _sha(raw) == index[number]  # events.index: sha256 of each line, "\n" included
        line = raw.rstrip(b"\n")
        cut = line.index(b',"state":')
        fields, state = json.loads(line[:cut] + b"}"), line[cut + 9 : -1]
        oid = fields["originator_id"]
        text = f"{last.get(oid, '0' * 64)}\n{oid}\n{fields['originator_version']}\n"
        link = _sha(text.encode() + f"{fields['topic']}\n".encode() + state)
        assert link == fields["hash"]
        last[oid] = links[fields["notification_id"]] = link
    # 3.–5. links_digest, root, payload (sorted keys, no spaces, ASCII) and its signature
    assert (
        'root = sha256( previous_root "\\n" kind "\\n" day "\\n" after "\\n" last "\\n" n' in readme
    )
    kinds = set()
    for seal in seals:
        p = json.loads(seal["payload"])
        kinds.add(p["kind"])
        covered = [
            links[n]
            for n in sorted(links)
            if p["after_notification_id"] < n <= p["last_notification_id"]
        ]
        digest = _sha("".join(covered).encode())
        assert (digest, len(covered)) == (p["links_digest"], p["events"])
        root_text = (
            f"{p['previous_root']}\n{p['kind']}\n{p['day']}\n{p['after_notification_id']}\n"
            f"{p['last_notification_id']}\n{p['events']}\n{digest}"
        )
        assert _sha(root_text.encode()) == p["root"]
        assert (
            json.dumps(p, sort_keys=True, separators=(",", ":")).encode()
            == seal["payload"].encode()
        )
        key.verify(bytes.fromhex(seal["signature"]), seal["payload"].encode())
    assert kinds == {"day", "checkpoint"}
    # 6. manifest.sig over manifest.json; the zip comment over sha256 of every earlier byte
    key.verify(bytes.fromhex(sig["signature"]), manifest_bytes)
    data = out.read_bytes()
    comment = data[-(16 + 128) :]
    assert comment[:16] == b"SIRISMA-ED25519:"
    message = b"sirisma-bundle-file/1\n" + _sha(data[: -(16 + 128)]).encode()
    key.verify(bytes.fromhex(comment[16:].decode()), message)
    assert '"sirisma-bundle-file/1\\n" || sha256(' in readme
