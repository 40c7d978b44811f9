"""Signed export bundles of the whole event log, verifiable offline.

``write_bundle`` streams the log page by page into a zip:

- ``events.jsonl``: one stored event per line (notification id, stream id, version, topic, time,
  link hash and the stored state exactly as recorded, so every link can be recomputed);
- ``rubrics/<year>.json``: the scoring rubrics in force, byte for byte;
- ``BACA-SAYA.txt``: what the bundle is and how to check it;
- ``manifest.json``: sha256 and size of every file, event counts, the daily roots and the head
  root, and the live verification result at export time;
- ``manifest.sig``: HMAC-SHA256 of ``manifest.json`` with the deployment's ``SIRISMA_SECRET_KEY``.

On top of that the zip's archive comment holds an HMAC-SHA256 over every byte of the file before
it, so changing ANY byte (content, zip headers, timestamps) fails verification, while the manifest
says which part changed. ``verify_bundle`` needs only the file and the key: no database.
"""

from __future__ import annotations

import hashlib
import hmac
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import msgspec

from services.audit.chain import DayRoot, from_micros, jakarta_day, to_micros
from services.audit.integrity import MAX_LISTED, PAGE, Report, Verifier, chained
from services.audit.recorders import LinkRecord
from services.store import EventStore

FORMAT = "sirisma-audit-bundle/1"
COMMENT_PREFIX = b"SIRISMA-HMAC-SHA256:"
COMMENT_LEN = len(COMMENT_PREFIX) + 64
EVENTS_FILE = "events.jsonl"
README = """\
Bundel audit SI-RISMA
=====================

Isi:
- events.jsonl   : seluruh peristiwa (satu baris satu peristiwa) persis seperti tersimpan,
                   termasuk hash rantai tiap peristiwa.
- rubrics/*.json : rubrik penilaian per tahun yang berlaku.
- manifest.json  : sha256 setiap berkas, jumlah peristiwa, akar harian dan akar terakhir (head),
                   serta hasil pemeriksaan integritas saat ekspor.
- manifest.sig   : tanda tangan HMAC-SHA256 atas manifest.json.
- komentar zip   : tanda tangan HMAC-SHA256 atas seluruh berkas zip (perubahan satu bait pun
                   akan terdeteksi).

Pemeriksaan (tanpa basis data):
    sirisma audit verify --bundle <berkas.zip>
dengan SIRISMA_SECRET_KEY yang sama dengan saat ekspor (atau --key-file).

Rumus hash rantai: lihat services/audit/chain.py.
"""


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
    files: dict[str, FileEntry]
    verification: dict[str, Any]
    signature: dict[str, str]


class Line(msgspec.Struct, kw_only=True, omit_defaults=True):
    notification_id: int
    originator_id: UUID
    originator_version: int
    topic: str
    recorded_at: str | None
    hash: str | None
    state: msgspec.Raw  # the stored bytes verbatim (JSON null when they are not JSON)
    state_hex: str | None = None  # only when the stored bytes are not JSON


class Check(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    ok: bool
    detail: str


class BundleReport(msgspec.Struct, kw_only=True):
    ok: bool  # the bundle is authentic and unmodified, and agrees with itself
    log_intact: bool | None  # the exported log had no broken link (None: not checked)
    checks: list[Check]
    message: str
    manifest: Manifest | None = None
    chain: Report | None = None


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"sirisma-key-id:" + key).hexdigest()[:16]


def _mac(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


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


def _records(store: EventStore) -> Iterator[LinkRecord]:
    recorder = chained(store)
    position = 0
    while True:
        page = recorder.link_page(position, PAGE)
        yield from page
        if len(page) < PAGE:
            return
        position = page[-1].notification_id


def write_bundle(store: EventStore, out: Path, key: bytes) -> Manifest:
    """Write the signed bundle to ``out`` (streamed; memory does not grow with the log)."""
    verifier = Verifier()
    files: dict[str, FileEntry] = {}
    first = last = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(EVENTS_FILE, "w", force_zip64=True) as member:
            sink = _Hashing(member)
            for rec in _records(store):
                verifier.feed(rec)
                first = first or rec.notification_id
                last = rec.notification_id
                sink.write(_line_for(rec))
            files[EVENTS_FILE] = sink.entry()
        for orphan in chained(store).orphan_links(MAX_LISTED):
            verifier.orphan(
                orphan.originator_id, orphan.originator_version, orphan.notification_id, orphan.hash
            )
        for entry in sorted(resources.files("services.domain.rubrics").iterdir(), key=str):
            if entry.name.endswith(".json"):
                data = entry.read_bytes()
                name = f"rubrics/{entry.name}"
                zf.writestr(name, data)
                files[name] = FileEntry(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
        readme = README.encode()
        zf.writestr("BACA-SAYA.txt", readme)
        files["BACA-SAYA.txt"] = FileEntry(
            sha256=hashlib.sha256(readme).hexdigest(), size=len(readme)
        )
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
            files=files,
            verification={
                "ok": report.ok,
                "breaks_total": report.breaks_total,
                "first_break": msgspec.to_builtins(report.first_break),
                "message": report.message,
            },
            signature={"alg": "HMAC-SHA256", "key_id": key_id(key)},
        )
        manifest_bytes = msgspec.json.format(msgspec.json.encode(manifest), indent=2)
        zf.writestr("manifest.json", manifest_bytes)
        sig = {"alg": "HMAC-SHA256", "key_id": key_id(key), "mac": _mac(key, manifest_bytes)}
        zf.writestr("manifest.sig", msgspec.json.encode(sig))
        zf.comment = COMMENT_PREFIX + b"0" * 64  # placeholder, replaced below
    _seal_file(out, key)
    return manifest


def _file_mac(path: Path, key: bytes) -> tuple[str, bytes]:
    """(HMAC over everything but the trailing comment, the trailing comment bytes)."""
    size = path.stat().st_size
    mac = hmac.new(key, digestmod=hashlib.sha256)
    with path.open("rb") as f:
        remaining = size - COMMENT_LEN
        while remaining > 0:
            chunk = f.read(min(1 << 20, remaining))
            if not chunk:
                break
            mac.update(chunk)
            remaining -= len(chunk)
        tail = f.read(COMMENT_LEN)
    return mac.hexdigest(), tail


def _seal_file(path: Path, key: bytes) -> None:
    digest, _ = _file_mac(path, key)
    with path.open("r+b") as f:
        f.seek(-COMMENT_LEN, 2)
        f.write(COMMENT_PREFIX + digest.encode())


# ==== offline verification =====================================================================


def verify_bundle(path: Path, key: bytes) -> BundleReport:
    """Check a bundle with only the file and the key: signatures, file hashes, every link."""
    checks: list[Check] = []

    def check(name: str, ok: bool, detail: str) -> bool:
        checks.append(Check(name=name, ok=ok, detail=detail))
        return ok

    def done(manifest: Manifest | None = None, chain: Report | None = None) -> BundleReport:
        ok = all(c.ok for c in checks)
        failed = [c for c in checks if not c.ok]
        if not ok:
            message = f"Bundel TIDAK utuh: {failed[0].detail}"
        elif chain is not None and not chain.ok:
            message = f"Bundel utuh, tetapi log yang diekspor memuat rantai putus: {chain.message}"
        else:
            message = "Bundel utuh: tanda tangan, berkas, rantai dan akar harian cocok."
        return BundleReport(
            ok=ok,
            log_intact=chain.ok if chain is not None else None,
            checks=checks,
            message=message,
            manifest=manifest,
            chain=chain,
        )

    if path.stat().st_size <= COMMENT_LEN:
        check("file", False, "Berkas terlalu kecil untuk sebuah bundel.")
        return done()
    digest, tail = _file_mac(path, key)
    check(
        "file_signature",
        hmac.compare_digest(tail, COMMENT_PREFIX + digest.encode()),
        "Tanda tangan seluruh berkas cocok."
        if tail == COMMENT_PREFIX + digest.encode()
        else "Tanda tangan seluruh berkas tidak cocok (berkas diubah atau kunci berbeda).",
    )
    try:
        with zipfile.ZipFile(path) as zf:
            return _verify_members(zf, key, check, done)
    except Exception as exc:  # untrusted input: any failure to read it is a failed check
        check("archive", False, f"Arsip rusak: {exc}")
        return done()


def _verify_members(zf: zipfile.ZipFile, key: bytes, check: Any, done: Any) -> BundleReport:
    manifest_bytes = zf.read("manifest.json")
    sig = msgspec.json.decode(zf.read("manifest.sig"))
    mac_ok = isinstance(sig, dict) and hmac.compare_digest(
        str(sig.get("mac", "")), _mac(key, manifest_bytes)
    )
    if not check(
        "manifest_signature",
        mac_ok,
        "Tanda tangan manifest cocok."
        if mac_ok
        else "Tanda tangan manifest tidak cocok (manifest diubah atau kunci berbeda: "
        f"kunci bundel {sig.get('key_id') if isinstance(sig, dict) else '?'}, "
        f"kunci ini {key_id(key)}).",
    ):
        return done()
    manifest = msgspec.json.decode(manifest_bytes, type=Manifest)
    check("format", manifest.format == FORMAT, f"Format bundel {manifest.format}.")
    names = set(zf.namelist()) - {"manifest.json", "manifest.sig"}
    check(
        "members",
        names == set(manifest.files),
        "Daftar berkas sesuai manifest."
        if names == set(manifest.files)
        else f"Berkas tidak sesuai manifest: {sorted(names ^ set(manifest.files))}",
    )
    for name, entry in sorted(manifest.files.items()):
        if name not in names:
            continue
        digest, size = hashlib.sha256(), 0
        with zf.open(name) as member:
            while chunk := member.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        same = digest.hexdigest() == entry.sha256 and size == entry.size
        check(f"file:{name}", same, f"{name}: {'cocok' if same else 'hash/ukuran berbeda'}.")
    verifier = Verifier()
    with zf.open(EVENTS_FILE) as member:
        for raw in member:
            line = msgspec.json.decode(raw, type=Line)
            state = bytes.fromhex(line.state_hex) if line.state_hex else bytes(line.state)
            ts = (
                to_micros(datetime.fromisoformat(line.recorded_at))
                if line.recorded_at is not None
                else None
            )
            verifier.feed(
                LinkRecord(
                    line.notification_id,
                    line.originator_id,
                    line.originator_version,
                    line.topic,
                    state,
                    line.hash,
                    line.notification_id,
                    ts,
                )
            )
    chain = verifier.report()
    # The chain recomputed from the lines must tell the same story the manifest recorded.
    check(
        "chain",
        chain.ok == bool(manifest.verification.get("ok"))
        and chain.breaks_total == manifest.verification.get("breaks_total"),
        f"Rantai dalam bundel: {chain.message}",
    )
    same_roots = [d.root for d in chain.days] == [d.root for d in manifest.days]
    check(
        "daily_roots",
        same_roots and chain.head == manifest.head and chain.events == manifest.events,
        "Akar harian dan head cocok dengan manifest."
        if same_roots
        else "Akar harian tidak cocok dengan manifest.",
    )
    return done(manifest, chain)


def anchors_from(path: Path, key: bytes) -> list[DayRoot]:
    """The closed days' roots of an earlier, verified bundle, to compare with today's log.

    The export's own day (Asia/Jakarta) is left out: events could still arrive on it after.
    """
    report = verify_bundle(path, key)
    if not report.ok or report.manifest is None:
        raise ValueError(report.message)
    export_day = jakarta_day(datetime.fromisoformat(report.manifest.created_at))
    return [d for d in report.manifest.days if d.day < export_day]
