"""Ed25519-signed export bundles of the whole event log, verifiable offline by anyone.

``write_bundle`` first signs a checkpoint (``seals.py``: the log up to its last event, chained to
the last day root), then streams the log page by page into a zip:

- ``events.jsonl``: one stored event per line (notification id, stream id, version, topic, time,
  link hash and, always last, the stored state exactly as recorded);
- ``events.index``: sha256 of each line of events.jsonl, so a changed line is named;
- ``seals.jsonl`` / ``sealed-links.txt``: every signed day root and checkpoint of the server,
  and the links they sealed;
- ``keys.json``: the signing key and every key the log records as activated;
- ``rubrics/<year>.json``: the scoring rubrics in force, byte for byte;
- ``evidence/<sha256>`` (on request): the documents whose hashes the events name;
- ``verify_bundle.py``: the standalone verifier (stdlib + ``cryptography``);
- ``BACA-SAYA.txt``: every formula, in Bahasa Indonesia;
- ``manifest.json`` (sha256 and size of every file, counts, daily roots, the checkpoint, the
  verification at export time, the public key) and ``manifest.sig`` (Ed25519 over it).

The zip's archive comment holds an Ed25519 signature over the sha256 of every byte before it,
so changing ANY byte fails verification, while the manifest says which part changed. Verifying
needs the public key only: whoever checks a bundle can never sign one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import msgspec

from services.audit import verify_bundle as standalone
from services.audit.integrity import MAX_LISTED, PAGE, Verifier, chained
from services.audit.keys import Signer, key_history
from services.audit.readme import bundle_readme
from services.audit.seals import all_seals, checkpoint, sealed_links
from services.db import Database
from services.eventstore.chain import DayRoot, from_micros, jakarta_day
from services.eventstore.recorders import LinkRecord
from services.eventstore.store import EventStore

FORMAT = standalone.BUNDLE_FORMAT
EVENTS_FILE = standalone.EVENTS
DOCUMENT_ATTACHED = standalone.DOCUMENT_ATTACHED


class FileEntry(msgspec.Struct, frozen=True, kw_only=True):
    sha256: str
    size: int


class Manifest(msgspec.Struct, kw_only=True):
    format: str
    created_at: str
    database: str
    events: int
    streams: int
    first_notification_id: int
    last_notification_id: int
    head: str
    days: list[DayRoot]
    checkpoint: dict[str, Any]
    key_id: str
    public_key: str
    evidence: dict[str, Any]
    files: dict[str, FileEntry]
    verification: dict[str, Any]


class Line(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One events.jsonl line; ``state`` is last so the verifier can cut its bytes verbatim."""

    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    recorded_at: str | None
    hash: str | None
    state_hex: str | None = None  # only when the stored bytes are not JSON
    state: msgspec.Raw  # the stored bytes verbatim (JSON null when they are not JSON)


class _Hashing:
    """Wraps a writable zip member: counts and hashes what is written through it."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink, self.digest, self.size = sink, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.sink.write(data)
        self.digest.update(data)
        self.size += len(data)

    def entry(self) -> FileEntry:
        return FileEntry(sha256=self.digest.hexdigest(), size=self.size)


_line = msgspec.json.Encoder()


def _line_for(rec: LinkRecord) -> bytes:
    recorded = from_micros(rec.ts).isoformat() if rec.ts is not None else None
    line = Line(
        notification_id=rec.notification_id,
        originator_id=rec.originator_id,
        originator_version=rec.originator_version,
        topic=rec.topic,
        recorded_at=recorded,
        hash=rec.hash,
        state=msgspec.Raw(b"null"),
    )
    try:
        msgspec.json.decode(rec.state)
        line.state = msgspec.Raw(rec.state)
    except msgspec.DecodeError:
        line.state_hex = rec.state.hex()
    return _line.encode(line) + b"\n"


def _records(store: EventStore, upto: int) -> Iterator[LinkRecord]:
    recorder = chained(store)
    position = 0
    while True:
        page = recorder.link_page(position, PAGE)
        for rec in page:
            if rec.notification_id > upto:
                return
            yield rec
        if len(page) < PAGE:
            return
        position = page[-1].notification_id


class _Document(msgspec.Struct):
    sha256: str
    storage_key: str
    url: str = ""


class _Attached(msgspec.Struct):
    originator_id: UUID
    document: _Document


_attached = msgspec.json.Decoder(_Attached)


def write_bundle(
    store: EventStore,
    db: Database,
    out: Path,
    signer: Signer,
    *,
    blobs: Any = None,
    evidence_for: set[UUID] | None = None,
) -> Manifest:
    """Write the signed bundle to ``out`` (streamed; memory does not grow with the log).

    ``blobs`` (a BlobStore) adds the evidence files: of every innovation, or only of those in
    ``evidence_for``.
    """
    point = checkpoint(store, db, signer)
    upto = point.last_notification_id
    verifier = Verifier()
    files: dict[str, FileEntry] = {}
    wanted: dict[str, str] = {}  # sha256 → storage key
    out.parent.mkdir(parents=True, exist_ok=True)

    def put(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
        zf.writestr(name, data)
        files[name] = FileEntry(sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        first, last = _write_events(
            zf, store, upto, verifier, files, wanted, evidence=blobs is not None, only=evidence_for
        )
        for orphan in chained(store).orphan_links(MAX_LISTED):
            verifier.orphan(
                orphan.originator_id, orphan.originator_version, orphan.notification_id, orphan.hash
            )
        seals = [s for s in all_seals(db) if s.last_notification_id <= upto]
        put(zf, standalone.SEALS, b"".join(msgspec.json.encode(s) + b"\n" for s in seals))
        links = "".join(f"{nid} {link}\n" for nid, link in sealed_links(db) if nid <= upto)
        put(zf, standalone.LINKS, links.encode())
        put(zf, standalone.KEYS, json.dumps(_keys_document(store, signer), indent=2).encode())
        for entry in sorted(resources.files("services.domain.rubrics").iterdir(), key=str):
            if entry.name.endswith(".json"):
                put(zf, f"rubrics/{entry.name}", entry.read_bytes())
        missing = _write_evidence(zf, blobs, wanted, files)
        put(
            zf,
            "verify_bundle.py",
            resources.files("services.audit").joinpath("verify_bundle.py").read_bytes(),
        )
        put(zf, "BACA-SAYA.txt", bundle_readme(signer.key_id).encode())
        report = verifier.report()
        manifest = Manifest(
            format=FORMAT,
            created_at=datetime.now(UTC).isoformat(),
            database="postgresql" if store.settings.is_postgres else "sqlite",
            events=report.events,
            streams=report.streams,
            first_notification_id=first,
            last_notification_id=last,
            head=report.head,
            days=report.days,
            checkpoint={"seal_id": point.seal_id, "root": point.root, "day": point.day},
            key_id=signer.key_id,
            public_key=signer.public_raw.hex(),
            evidence=_evidence_summary(blobs is not None, len(wanted), missing, evidence_for),
            files=files,
            verification={
                "ok": report.ok,
                "breaks_total": report.breaks_total,
                "first_break": msgspec.to_builtins(report.first_break),
                "message": report.message,
            },
        )
        manifest_bytes = msgspec.json.format(msgspec.json.encode(manifest), indent=2)
        zf.writestr("manifest.json", manifest_bytes)
        sig = {"alg": "Ed25519", "key_id": signer.key_id, "signature": signer.sign(manifest_bytes)}
        zf.writestr("manifest.sig", msgspec.json.encode(sig))
        zf.comment = standalone.COMMENT_PREFIX + b"0" * 128  # placeholder, replaced below
    _seal_file(out, signer)
    return manifest


def _write_events(
    zf: zipfile.ZipFile,
    store: EventStore,
    upto: int,
    verifier: Verifier,
    files: dict[str, FileEntry],
    wanted: dict[str, str],
    *,
    evidence: bool,
    only: set[UUID] | None,
) -> tuple[int, int]:
    """The event log up to ``upto`` and its line index, each fed to the verifier; notes the
    evidence files wanted (sha256 → storage key). The first and last notification ids."""
    first = last = 0
    # The index is spooled aside: a zip takes one member written at a time.
    with tempfile.TemporaryFile() as spool:
        with zf.open(EVENTS_FILE, "w", force_zip64=True) as member:
            sink, index = _Hashing(member), _Hashing(spool)  # type: ignore[arg-type]
            for rec in _records(store, upto):
                verifier.feed(rec)
                first = first or rec.notification_id
                last = rec.notification_id
                line = _line_for(rec)
                sink.write(line)
                index.write(hashlib.sha256(line).hexdigest().encode() + b"\n")
                if evidence and rec.topic == DOCUMENT_ATTACHED:
                    doc = _attached.decode(rec.state)
                    if not doc.document.url and (only is None or doc.originator_id in only):
                        wanted[doc.document.sha256] = doc.document.storage_key
            files[EVENTS_FILE] = sink.entry()
        spool.seek(0)
        with zf.open(standalone.INDEX, "w", force_zip64=True) as index_member:
            shutil.copyfileobj(spool, index_member)
        files[standalone.INDEX] = index.entry()
    return first, last


def _keys_document(store: EventStore, signer: Signer) -> dict[str, Any]:
    """The signing key and every key the log has used, with the day each became valid."""
    history = [
        {"key_id": k.key_id, "public_key": k.public_key, "valid_from": k.valid_from.isoformat()}
        for k in key_history(store)
    ]
    return {
        "signing_key": {"key_id": signer.key_id, "public_key": signer.public_raw.hex()},
        "public_key_pem": signer.public_pem(),
        "history": history,
    }


def _evidence_summary(
    asked: bool, wanted: int, missing: list[str], evidence_for: set[UUID] | None
) -> dict[str, Any]:
    """The manifest's evidence entry: how many files are included, which are missing, of what."""
    if not asked:
        return {"included": 0, "missing": [], "scope": "tidak diminta"}
    return {
        "included": wanted - len(missing),
        "missing": missing,
        "scope": "semua" if evidence_for is None else sorted(str(i) for i in evidence_for),
    }


def _write_evidence(
    zf: zipfile.ZipFile, blobs: Any, wanted: dict[str, str], files: dict[str, FileEntry]
) -> list[str]:
    """The wanted evidence files, streamed; the sha256 of those not in the blob store."""
    missing: list[str] = []
    for sha in sorted(wanted):
        if not blobs.exists(wanted[sha]):
            missing.append(sha)
            continue
        with zf.open(f"evidence/{sha}", "w", force_zip64=True) as member:
            blob = _Hashing(member)
            for chunk in blobs.open(wanted[sha]):
                blob.write(chunk)
        files[f"evidence/{sha}"] = blob.entry()
    return missing


def _seal_file(path: Path, signer: Signer) -> None:
    size = path.stat().st_size
    digest, _ = standalone._prefix_sha256(str(path), size)
    signature = signer.sign(standalone.file_message(digest))
    with path.open("r+b") as f:
        f.seek(-standalone.COMMENT_LEN, 2)
        f.write(standalone.COMMENT_PREFIX + signature.encode("ascii"))


# ==== offline verification =====================================================================


class BundleReport(msgspec.Struct, kw_only=True):
    ok: bool  # authentic (pinned key), unmodified, and agrees with what was signed
    log_intact: bool | None  # the exported log had no broken link (None: not checked)
    message: str
    first_change: dict[str, Any] | None
    checks: list[dict[str, Any]]
    chain: dict[str, Any] | None
    seals: dict[str, Any] | None
    manifest: dict[str, Any] | None


def verify_bundle(path: Path, public_key: bytes | None) -> BundleReport:
    """The standalone verifier's check, as the CLI and the server run it."""
    return msgspec.convert(standalone.verify(str(path), public_key), BundleReport)


def seals_from(
    path: Path, public_key: bytes | None
) -> tuple[list[dict[str, Any]], list[tuple[int, str]], dict[str, bytes], list[DayRoot]]:
    """An earlier, verified bundle's signed seals (to hold the live log to) and its daily roots.

    The export's own day (Asia/Jakarta) is left out of the daily roots: events could still
    arrive on it after; the signed checkpoint covers that day up to the export instead.
    """
    report = verify_bundle(path, public_key)
    if not report.ok or report.manifest is None:
        raise ValueError(report.message)
    with zipfile.ZipFile(path) as zf:
        seals = [json.loads(line) for line in zf.open(standalone.SEALS) if line.strip()]
        sealed = [
            (int(a), b.decode("ascii"))
            for a, b in (line.split() for line in zf.open(standalone.LINKS) if line.strip())
        ]
        keys_doc = json.loads(zf.read(standalone.KEYS))
    key = bytes.fromhex(str(report.manifest["public_key"]))
    keys = {standalone.key_id_of(key): key}
    for old in keys_doc.get("history", []):
        keys.setdefault(str(old["key_id"]), bytes.fromhex(str(old["public_key"])))
    export_day = jakarta_day(datetime.fromisoformat(str(report.manifest["created_at"])))
    days = msgspec.convert(report.manifest["days"], list[DayRoot])
    return seals, sealed, keys, [d for d in days if d.day < export_day]
