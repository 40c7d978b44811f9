#!/usr/bin/env python3
"""Pemeriksa bundel audit SI-RISMA yang berdiri sendiri (standalone bundle verifier).

Needs only the Python standard library and ``cryptography`` (Ed25519): an auditor runs it on a
bundle with the public key they pinned, without the server, its database or this project::

    python verify_bundle.py bundle.zip --public-key <64 hex | file.pem> [--json]

It is also the one implementation of the formulas (link hash, seal root, file signature) and of
the seal check, imported by the server (``integrity.py``, ``bundle.py``) so both agree byte for
byte. The formulas are stated in Bahasa Indonesia in the bundle's BACA-SAYA.txt.

Exit codes: 0 authentic and intact; 1 not authentic, changed, or the log differs from what was
signed; 2 authentic, but the exported log already had a broken link when it was exported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
BUNDLE_FORMAT = "sirisma-audit-bundle/2"
SEAL_FORMAT = "sirisma-audit-root/1"
COMMENT_PREFIX = b"SIRISMA-ED25519:"
COMMENT_LEN = len(COMMENT_PREFIX) + 128
FILE_CONTEXT = b"sirisma-bundle-file/1\n"
EVENTS, INDEX, SEALS, LINKS, KEYS = (
    "events.jsonl",
    "events.index",
    "seals.jsonl",
    "sealed-links.txt",
    "keys.json",
)
STATE_MARKER = b',"state":'
DOCUMENT_ATTACHED = "innovation.DocumentAttached"
MAX_LISTED = 100
# Reading a damaged member of an untrusted archive can raise nearly anything (bad CRC, inflate
# errors, truncation, an unknown compression method): every such failure is a failed check.
READ_ERRORS: tuple[type[Exception], ...] = (Exception,)


# ==== formulas ==================================================================================


def link_hash(prev: str, originator_id: str, version: int, topic: str, state: bytes) -> str:
    """h_v = sha256( h_{v-1} "\\n" stream id "\\n" v "\\n" topic "\\n" || state bytes )."""
    oid = str(uuid.UUID(str(originator_id)))
    digest = hashlib.sha256(f"{prev}\n{oid}\n{version}\n{topic}\n".encode())
    digest.update(state)
    return digest.hexdigest()


def links_digest(links: Iterable[str]) -> str:
    h = hashlib.sha256()
    for link in links:
        h.update(link.encode("ascii"))
    return h.hexdigest()


def seal_root(
    previous_root: str, kind: str, day: str, after: int, last: int, events: int, digest: str
) -> str:
    text = f"{previous_root}\n{kind}\n{day}\n{after}\n{last}\n{events}\n{digest}"
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def signature_ok(public_raw: bytes, data: bytes, signature_hex: str) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(bytes.fromhex(signature_hex), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def file_message(prefix_sha256: str) -> bytes:
    """What the zip comment signs: a fixed context line and the sha256 of every earlier byte."""
    return FILE_CONTEXT + prefix_sha256.encode("ascii")


def load_public(text: str) -> bytes:
    """A pinned public key: 64 hex characters, PEM text, or the path of a PEM file."""
    text = text.strip()
    if not text.startswith("-----BEGIN") and len(text) != 64:
        with open(text, encoding="ascii") as f:
            text = f.read().strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("bukan kunci publik Ed25519")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = bytes.fromhex(text)
    if len(raw) != 32:
        raise ValueError("kunci publik Ed25519 harus 32 bait (64 karakter heksadesimal)")
    return raw


# ==== the seal check (shared with the server) ===================================================


def _finding(kind: str, message: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "message": message, **{k: v for k, v in fields.items() if v is not None}}


class SealChecker:
    """Checks signed seals against links recomputed from the stored events.

    ``seals``: dicts with ``seal_id``, ``payload`` (the signed JSON text) and ``signature``;
    ``keys``: key id → raw public key of every key accepted (the pinned ones);
    ``sealed``: (notification id, link) as sealed, ascending, to name the first changed event.
    Feed every event in notification order with its recomputed link, then ``finish()``.
    """

    def __init__(
        self,
        seals: Iterable[dict[str, Any]],
        keys: dict[str, bytes],
        sealed: Iterable[tuple[int, str]] = (),
    ) -> None:
        self.keys = keys
        self.findings: list[dict[str, Any]] = []
        self.total = 0
        self.seals: list[dict[str, Any]] = []
        for seal in seals:
            try:
                payload = json.loads(seal["payload"])
                if not isinstance(payload, dict):
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                self._add(
                    _finding("seal_unreadable", "Segel tidak terbaca.", seal=seal.get("seal_id"))
                )
                continue
            self.seals.append({"row": seal, "p": payload, "h": hashlib.sha256(), "n": 0})
        self.seals.sort(
            key=lambda s: (int(s["p"].get("after_notification_id", 0)), s["row"]["seal_id"])
        )
        self.last_sealed = max(
            (int(s["p"].get("last_notification_id", 0)) for s in self.seals), default=0
        )
        self._sealed: Iterator[tuple[int, str]] = iter(sealed)
        self._next_sealed = next(self._sealed, None)
        self._active: list[dict[str, Any]] = []
        self._start = 0
        self.events = 0
        self.unsealed = 0
        self.first_event_break: dict[str, Any] | None = None

    def _add(self, finding: dict[str, Any]) -> None:
        self.total += 1
        if len(self.findings) < MAX_LISTED:
            self.findings.append(finding)

    def _event_break(self, finding: dict[str, Any]) -> None:
        if self.first_event_break is None:
            self.first_event_break = finding
        self._add(finding)

    def feed(self, nid: int, originator_id: Any, version: int, topic: str, link: str) -> None:
        self.events += 1
        where = {
            "notification_id": nid,
            "originator_id": str(originator_id),
            "originator_version": version,
            "topic": topic,
        }
        while self._next_sealed is not None and self._next_sealed[0] < nid:
            gone = self._next_sealed
            self._event_break(
                _finding(
                    "event_removed",
                    "Peristiwa yang sudah ditandatangani hilang dari log.",
                    notification_id=gone[0],
                    expected=gone[1],
                )
            )
            self._next_sealed = next(self._sealed, None)
        if self._next_sealed is not None and self._next_sealed[0] == nid:
            if self._next_sealed[1] != link:
                self._event_break(
                    _finding(
                        "event_changed",
                        "Isi peristiwa berbeda dari yang ditandatangani (data ditulis ulang).",
                        expected=self._next_sealed[1],
                        found=link,
                        **where,
                    )
                )
            self._next_sealed = next(self._sealed, None)
        elif nid <= self.last_sealed:
            inside = any(
                int(s["p"].get("after_notification_id", 0))
                < nid
                <= int(s["p"].get("last_notification_id", 0))
                for s in self.seals
            )
            if inside:
                self._event_break(
                    _finding(
                        "event_added",
                        "Peristiwa ini tidak ada saat rentangnya ditandatangani (disisipkan).",
                        found=link,
                        **where,
                    )
                )
        # Seals whose range holds this event (day seals are disjoint; checkpoints overlap them).
        while self._start < len(self.seals) and (
            int(self.seals[self._start]["p"].get("after_notification_id", 0)) < nid
        ):
            self._active.append(self.seals[self._start])
            self._start += 1
        self._active = [
            s for s in self._active if nid <= int(s["p"].get("last_notification_id", 0))
        ]
        for s in self._active:
            s["h"].update(link.encode("ascii"))
            s["n"] += 1
        if nid > self.last_sealed:
            self.unsealed += 1

    def finish(self) -> dict[str, Any]:
        for gone in [self._next_sealed, *self._sealed]:
            if gone is not None:
                self._event_break(
                    _finding(
                        "event_removed",
                        "Peristiwa yang sudah ditandatangani hilang dari log.",
                        notification_id=gone[0],
                        expected=gone[1],
                    )
                )
        days = sorted(
            (s for s in self.seals if s["p"].get("kind") == "day"),
            key=lambda s: (int(s["p"].get("last_notification_id", 0)), str(s["p"].get("day"))),
        )
        roots = {GENESIS: 0}
        previous_root, previous_last, previous_day = GENESIS, 0, None
        for s in days:
            p = s["p"]
            roots[str(p.get("root"))] = int(p.get("last_notification_id", 0))
            if p.get("previous_root") != previous_root or (
                int(p.get("after_notification_id", -1)) != previous_last
            ):
                self._add(
                    _finding(
                        "seal_chain",
                        "Akar hari ini tidak tersambung ke akar hari sebelumnya "
                        "(segel hari dihapus, disisipkan atau diganti).",
                        seal=s["row"].get("seal_id"),
                        day=p.get("day"),
                        expected=previous_root,
                        found=p.get("previous_root"),
                    )
                )
            if previous_day is not None and not _next_day(previous_day, str(p.get("day"))):
                self._add(
                    _finding(
                        "seal_chain",
                        f"Segel hari setelah {previous_day} hilang.",
                        seal=s["row"].get("seal_id"),
                        day=p.get("day"),
                    )
                )
            previous_root = str(p.get("root"))
            previous_last = int(p.get("last_notification_id", 0))
            previous_day = str(p.get("day"))
        for s in self.seals:
            self._check_seal(s, roots)
        for finding in self.findings:  # an event's day: the day root whose range holds it
            nid = finding.get("notification_id")
            if nid is not None and "day" not in finding:
                for s in days:
                    p = s["p"]
                    if (
                        int(p.get("after_notification_id", 0))
                        < nid
                        <= int(p.get("last_notification_id", 0))
                    ):
                        finding["day"] = p.get("day")
                        break
        first = self.first_event_break or (self.findings[0] if self.findings else None)
        ok = self.total == 0
        checkpoints = [s for s in self.seals if s["p"].get("kind") == "checkpoint"]
        if ok:
            message = (
                f"Segel bertanda tangan cocok: {len(days)} hari dan {len(checkpoints)} titik "
                f"periksa, {self.events - self.unsealed} peristiwa tercakup."
            )
        else:
            assert first is not None
            where = (
                f"notifikasi {first['notification_id']}"
                + (
                    f" (aliran {first['originator_id']} versi {first['originator_version']}, "
                    f"{first['topic']})"
                    if "originator_id" in first
                    else ""
                )
                if "notification_id" in first
                else f"segel {first.get('seal') or first.get('day')}"
            )
            message = (
                f"Log BERBEDA dari yang ditandatangani: {self.total} temuan; pertama di {where}: "
                f"{first['message']}"
            )
        return {
            "ok": ok,
            "seals_checked": len(self.seals),
            "days": len(days),
            "checkpoints": len(checkpoints),
            "last_sealed_day": str(days[-1]["p"].get("day")) if days else None,
            "sealed_through": self.last_sealed,
            "events_checked": self.events,
            "unsealed_events": self.unsealed,
            "key_ids": sorted({str(s["p"].get("key_id")) for s in self.seals}),
            "first_break": first,
            "breaks": self.findings,
            "breaks_total": self.total,
            "message": message,
        }

    def _check_seal(self, s: dict[str, Any], roots: dict[str, int]) -> None:
        row, p = s["row"], s["p"]
        name = row.get("seal_id")
        key = self.keys.get(str(p.get("key_id")))
        if key is None:
            self._add(
                _finding(
                    "seal_key",
                    "Segel ditandatangani kunci yang tidak dipatok pemeriksa.",
                    seal=name,
                    found=p.get("key_id"),
                )
            )
            return
        if not signature_ok(key, str(row.get("payload", "")).encode(), str(row.get("signature"))):
            self._add(_finding("seal_signature", "Tanda tangan segel tidak sah.", seal=name))
            return
        try:
            after, last = int(p["after_notification_id"]), int(p["last_notification_id"])
            claimed = seal_root(
                str(p["previous_root"]),
                str(p["kind"]),
                str(p["day"]),
                after,
                last,
                int(p["events"]),
                str(p["links_digest"]),
            )
        except (KeyError, TypeError, ValueError):
            self._add(_finding("seal_unreadable", "Isi segel tidak lengkap.", seal=name))
            return
        if p.get("format") != SEAL_FORMAT or claimed != p.get("root"):
            self._add(_finding("seal_unreadable", "Akar segel tidak sesuai rumusnya.", seal=name))
            return
        if p.get("kind") == "checkpoint" and roots.get(str(p["previous_root"])) != after:
            self._add(
                _finding(
                    "seal_chain",
                    "Titik periksa tidak tersambung ke segel hari yang ada.",
                    seal=name,
                    day=p.get("day"),
                )
            )
        if s["n"] != int(p["events"]) or s["h"].hexdigest() != p["links_digest"]:
            where = self.first_event_break
            inside = where is not None and after < int(where.get("notification_id", 0)) <= last
            self._add(
                _finding(
                    "seal_mismatch",
                    f"Peristiwa {after + 1}…{last} tidak lagi menghasilkan akar yang "
                    f"ditandatangani ({p['events']} ditandatangani, {s['n']} sekarang)"
                    + ("." if inside else "; salinan tautan yang disegel pun ditulis ulang."),
                    seal=name,
                    day=p.get("day"),
                    expected=p["links_digest"],
                    found=s["h"].hexdigest(),
                )
            )


def _next_day(previous: str, day: str) -> bool:
    from datetime import date, timedelta

    try:
        return date.fromisoformat(previous) + timedelta(days=1) == date.fromisoformat(day)
    except ValueError:
        return False


# ==== the bundle ================================================================================


def split_line(raw: bytes) -> tuple[dict[str, Any], bytes]:
    """One events.jsonl line → (its fields, the stored state bytes exactly as recorded).

    ``state`` is always the line's last key, written verbatim, so its bytes are the line's
    tail; ``state_hex`` replaces it when the stored bytes were not JSON.
    """
    line = raw.rstrip(b"\n")
    cut = line.find(STATE_MARKER)
    if cut < 0 or not line.endswith(b"}"):
        raise ValueError("baris tanpa kunci 'state' di akhir")
    fields = json.loads(line[:cut] + b"}")
    state = line[cut + len(STATE_MARKER) : -1]
    if fields.get("state_hex"):
        state = bytes.fromhex(fields["state_hex"])
    return fields, state


class Result:
    def __init__(self) -> None:
        self.checks: list[dict[str, Any]] = []
        self.chain: dict[str, Any] | None = None
        self.seals: dict[str, Any] | None = None
        self.first_change: dict[str, Any] | None = None
        self.manifest: dict[str, Any] | None = None
        self.documents: set[str] = set()  # sha256 of every document an event attached

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append({"name": name, "ok": ok, "detail": detail})
        return ok

    def as_dict(self) -> dict[str, Any]:
        authentic = all(c["ok"] for c in self.checks)
        log_intact = self.chain["ok"] if self.chain is not None else None
        failed = [c for c in self.checks if not c["ok"]]
        if failed:
            message = f"Bundel TIDAK utuh: {failed[0]['detail']}"
        elif log_intact is False:
            message = (
                "Bundel utuh, tetapi log yang diekspor memuat rantai putus: "
                f"{self.chain['message'] if self.chain else ''}"
            )
        else:
            message = "Bundel utuh: tanda tangan, berkas, rantai dan akar bertanda tangan cocok."
        return {
            "ok": authentic,
            "log_intact": log_intact,
            "message": message,
            "first_change": self.first_change,
            "checks": self.checks,
            "chain": self.chain,
            "seals": self.seals,
            "manifest": self.manifest,
        }


def _prefix_sha256(path: str, size: int) -> tuple[str, bytes]:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        remaining = size - COMMENT_LEN
        while remaining > 0:
            chunk = f.read(min(1 << 20, remaining))
            if not chunk:
                break
            h.update(chunk)
            remaining -= len(chunk)
        tail = f.read(COMMENT_LEN)
    return h.hexdigest(), tail


def verify(path: str, pinned: bytes | None = None) -> dict[str, Any]:
    """Check a bundle with only the file and (ideally) the auditor's pinned public key."""
    import os

    result = Result()
    size = os.path.getsize(path)
    if size <= COMMENT_LEN:
        result.check("file", False, "Berkas terlalu kecil untuk sebuah bundel.")
        return result.as_dict()
    try:
        zf = zipfile.ZipFile(path)
    except READ_ERRORS as exc:
        result.check("archive", False, f"Arsip rusak: {exc}")
        return result.as_dict()
    with zf:
        try:
            manifest_bytes = zf.read("manifest.json")
            manifest = json.loads(manifest_bytes)
            sig = json.loads(zf.read("manifest.sig"))
            bundle_key = bytes.fromhex(str(manifest["public_key"]))
        except Exception as exc:  # untrusted input: any failure to read it is a failed check
            result.check("manifest", False, f"Manifest tidak terbaca: {exc}")
            return result.as_dict()
        key = pinned if pinned is not None else bundle_key
        if pinned is None:
            result.check(
                "pinned_key",
                True,
                "PERINGATAN: tidak ada kunci publik yang dipatok; bundel hanya diperiksa terhadap "
                f"kuncinya sendiri ({key_id_of(bundle_key)}). Patok kunci dengan --public-key.",
            )
        else:
            result.check(
                "pinned_key",
                bundle_key == pinned,
                f"Bundel ditandatangani kunci yang dipatok ({key_id_of(pinned)})."
                if bundle_key == pinned
                else f"Bundel ditandatangani kunci {key_id_of(bundle_key)}, bukan kunci yang "
                f"dipatok {key_id_of(pinned)}.",
            )
        digest, tail = _prefix_sha256(path, size)
        file_ok = tail.startswith(COMMENT_PREFIX) and signature_ok(
            key, file_message(digest), tail[len(COMMENT_PREFIX) :].decode("ascii", "replace")
        )
        result.check(
            "file_signature",
            file_ok,
            "Tanda tangan seluruh berkas (Ed25519) cocok."
            if file_ok
            else "Tanda tangan seluruh berkas tidak cocok (ada bait yang diubah, atau kunci lain).",
        )
        manifest_ok = signature_ok(key, manifest_bytes, str(sig.get("signature", "")))
        if not result.check(
            "manifest_signature",
            manifest_ok,
            "Tanda tangan manifest cocok."
            if manifest_ok
            else "Tanda tangan manifest tidak cocok (manifest diubah atau kunci lain).",
        ):
            return result.as_dict()
        result.manifest = {k: v for k, v in manifest.items() if k != "files"}
        result.check(
            "format", manifest.get("format") == BUNDLE_FORMAT, f"Format {manifest.get('format')}."
        )
        files: dict[str, dict[str, Any]] = manifest.get("files", {})
        names = set(zf.namelist()) - {"manifest.json", "manifest.sig"}
        result.check(
            "members",
            names == set(files),
            "Daftar berkas sesuai manifest."
            if names == set(files)
            else f"Berkas tidak sesuai manifest: {sorted(names ^ set(files))}",
        )
        for name in sorted(names & set(files)):
            _check_member(zf, name, files[name], result)
        if EVENTS in names and INDEX in names:
            _locate_change(zf, result)
        _check_log(zf, manifest, key, result)
        _check_evidence(zf, names, result)
    return result.as_dict()


def _check_member(zf: zipfile.ZipFile, name: str, entry: dict[str, Any], result: Result) -> None:
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(name) as member:
            while chunk := member.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except READ_ERRORS as exc:
        result.check(f"file:{name}", False, f"{name}: data terkompresi rusak ({exc}).")
        return
    same = digest.hexdigest() == entry.get("sha256") and size == entry.get("size")
    result.check(f"file:{name}", same, f"{name}: {'cocok' if same else 'hash/ukuran berbeda'}.")


def _locate_change(zf: zipfile.ZipFile, result: Result) -> None:
    """events.jsonl against the signed per-line hashes: name the first changed line."""
    if all(c["ok"] for c in result.checks if c["name"] == f"file:{EVENTS}"):
        return
    try:
        with zf.open(INDEX) as index_member:
            index = [line.strip().decode("ascii") for line in index_member]
        offset = number = 0
        with zf.open(EVENTS) as member:
            for number, raw in enumerate(member, start=1):
                expected = index[number - 1] if number <= len(index) else None
                if hashlib.sha256(raw).hexdigest() != expected:
                    try:
                        fields, _ = split_line(raw)
                    except ValueError:
                        fields = {}
                    result.first_change = {
                        "file": EVENTS,
                        "line": number,
                        "byte_from": offset,
                        "byte_to": offset + len(raw),
                        "notification_id": fields.get("notification_id"),
                        "originator_id": fields.get("originator_id"),
                        "originator_version": fields.get("originator_version"),
                        "topic": fields.get("topic"),
                        "message": (
                            f"Bait pertama yang berubah ada di {EVENTS} baris {number} (bait "
                            f"{offset}–{offset + len(raw) - 1}), peristiwa notifikasi "
                            f"{fields.get('notification_id')}."
                        ),
                    }
                    return
                offset += len(raw)
            if number < len(index):
                result.first_change = {
                    "file": EVENTS,
                    "line": number + 1,
                    "byte_from": offset,
                    "message": f"{EVENTS} terpotong setelah baris {number}.",
                }
    except READ_ERRORS:
        return


def _check_log(zf: zipfile.ZipFile, manifest: dict[str, Any], key: bytes, result: Result) -> None:
    """Recompute every link from the exported states; check the signed seals over them."""
    try:
        seals = [json.loads(line) for line in zf.open(SEALS) if line.strip()]
        sealed = [
            (int(a), b.decode("ascii"))
            for a, b in (line.split() for line in zf.open(LINKS) if line.strip())
        ]
        keys_doc = json.loads(zf.read(KEYS))
    except Exception as exc:  # untrusted input
        result.check("seals", False, f"Segel dalam bundel tidak terbaca: {exc}")
        return
    accepted = {key_id_of(key): key}
    # Older keys of this server, as recorded in its log; accepted only because the bundle's own
    # (pinned) key vouches for the manifest that lists them.
    for old in keys_doc.get("history", []):
        accepted.setdefault(str(old["key_id"]), bytes.fromhex(str(old["public_key"])))
    checker = SealChecker(seals, accepted, sealed)
    last: dict[str, str] = {}
    versions: dict[str, int] = {}
    breaks: list[dict[str, Any]] = []
    events = 0
    try:
        with zf.open(EVENTS) as member:
            for raw in member:
                fields, state = split_line(raw)
                events += 1
                oid = str(fields["originator_id"])
                version = int(fields["originator_version"])
                nid = int(fields["notification_id"])
                link = link_hash(last.get(oid, GENESIS), oid, version, fields["topic"], state)
                if version != versions.get(oid, 0) + 1:
                    breaks.append(
                        _finding(
                            "missing_event",
                            "Ada versi yang hilang dari aliran ini.",
                            notification_id=nid,
                            originator_id=oid,
                            originator_version=version,
                        )
                    )
                elif fields.get("hash") != link:
                    breaks.append(
                        _finding(
                            "altered",
                            "Isi peristiwa tidak cocok dengan hash rantainya.",
                            notification_id=nid,
                            originator_id=oid,
                            originator_version=version,
                            topic=fields["topic"],
                            expected=link,
                            found=fields.get("hash"),
                        )
                    )
                last[oid], versions[oid] = link, version
                checker.feed(nid, oid, version, fields["topic"], link)
                if fields["topic"] == DOCUMENT_ATTACHED and state[:1] == b"{":
                    document = json.loads(state).get("document") or {}
                    result.documents.add(str(document.get("sha256")))
    except READ_ERRORS as exc:
        result.check("events", False, f"{EVENTS} tidak terbaca: {exc}")
        return
    report = checker.finish()
    result.seals = report
    result.check("seals", report["ok"], report["message"])
    claimed = manifest.get("verification", {})
    result.chain = {
        "ok": not breaks,
        "events": events,
        "streams": len(last),
        "breaks_total": len(breaks),
        "first_break": breaks[0] if breaks else None,
        "message": (
            f"Rantai utuh: {events} peristiwa di {len(last)} aliran."
            if not breaks
            else f"Rantai PUTUS: {len(breaks)} temuan; pertama: {breaks[0]['message']} "
            f"(notifikasi {breaks[0]['notification_id']})"
        ),
    }
    result.check(
        "chain",
        events == manifest.get("events") and (not breaks) == bool(claimed.get("ok")),
        f"Rantai dalam bundel: {result.chain['message']}",
    )


def _check_evidence(zf: zipfile.ZipFile, names: set[str], result: Result) -> None:
    """Every evidence file is named by the sha256 of its bytes (what the events recorded)."""
    evidence = sorted(n for n in names if n.startswith("evidence/"))
    if not evidence:
        return
    wrong = []
    for name in evidence:
        h = hashlib.sha256()
        try:
            with zf.open(name) as member:
                while chunk := member.read(1 << 20):
                    h.update(chunk)
        except READ_ERRORS:
            wrong.append(name)
            continue
        sha = name.removeprefix("evidence/")
        if h.hexdigest() != sha or sha not in result.documents:
            wrong.append(name)
    result.check(
        "evidence",
        not wrong,
        f"{len(evidence)} berkas bukti cocok dengan hash yang dicatat peristiwa DocumentAttached."
        if not wrong
        else f"Berkas bukti tidak cocok dengan hashnya atau tidak dirujuk peristiwa: {wrong[:5]}",
    )


# ==== command line ==============================================================================


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Periksa bundel audit SI-RISMA secara luring.")
    parser.add_argument("bundle", help="berkas bundel .zip")
    parser.add_argument(
        "--public-key",
        help="kunci publik yang dipatok: 64 karakter heksadesimal, teks PEM, atau berkas PEM",
    )
    parser.add_argument("--fingerprint", help="sidik kunci (sha256 kunci publik) yang dipatok")
    parser.add_argument("--json", action="store_true", help="cetak laporan lengkap sebagai JSON")
    args = parser.parse_args(argv)
    pinned = load_public(args.public_key) if args.public_key else None
    report = verify(args.bundle, pinned)
    if args.fingerprint:
        found = (report.get("manifest") or {}).get("key_id")
        ok = found == args.fingerprint.strip().lower()
        report["checks"].append(
            {
                "name": "pinned_fingerprint",
                "ok": ok,
                "detail": f"Sidik kunci bundel {found}"
                + (" cocok." if ok else f" bukan {args.fingerprint}."),
            }
        )
        if not ok:
            report["ok"] = False
            report["message"] = f"Bundel TIDAK sah: sidik kunci {found} bukan yang dipatok."
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for c in report["checks"]:
            print(f"  [{'OK' if c['ok'] else 'GAGAL'}] {c['name']}: {c['detail']}")
        print(report["message"])
        if report["first_change"]:
            print(f"  {report['first_change']['message']}")
        seals = report.get("seals") or {}
        first = seals.get("first_break")
        if first:
            print(f"  Temuan segel pertama: {json.dumps(first, ensure_ascii=False)}")
    if not report["ok"]:
        return 1
    return 0 if report["log_intact"] is not False else 2


if __name__ == "__main__":
    sys.exit(main())
