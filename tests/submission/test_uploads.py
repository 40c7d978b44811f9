"""The upload pieces on their own: sniffing, file-name cleaning, the blob store's streaming writer
and garbage collection, and an upload the client abandons half-way (no event, no blob)."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from services.blobs import BlobStore, TooLarge, blob_store
from services.submission.uploads import safe_filename, sniff
from tests.submission.conftest import Api, docx_bytes, pdf_bytes, png_bytes


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        (pdf_bytes(), "application/pdf"),
        (png_bytes(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32, "image/jpeg"),
        (docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 32, "video/mp4"),
        (b"<html><script>alert(1)</script></html>", None),
        (b"MZ\x90\x00\x03" + b"\x00" * 64, None),  # a Windows executable
        (b"PK\x03\x04" + b"\x00" * 26 + b"payload.txt" + b"\x00" * 40, None),  # plain zip
        (b"", None),
    ],
    ids=["pdf", "png", "jpeg", "docx", "mp4", "html", "exe", "zip", "empty"],
)
def test_sniff_decides_by_content(content: bytes, mime: str | None) -> None:
    assert sniff(content) == mime


@pytest.mark.parametrize(
    ("raw", "mime", "clean"),
    [
        ("SK Bupati.pdf", "application/pdf", "SK Bupati.pdf"),
        ("laporan", "application/pdf", "laporan.pdf"),
        ("foto.JPEG", "image/jpeg", "foto.jpeg"),
        ("virus.exe", "application/pdf", "virus.exe.pdf"),
        ("...hidden.pdf", "application/pdf", "hidden.pdf"),
        ('a<b>:c"d|e?f*.pdf', "application/pdf", "a_b__c_d_e_f_.pdf"),
        ("tab\there\x00nul.pdf", "application/pdf", "tabherenul.pdf"),
        ("", "image/png", "dokumen.png"),
        ("  .  ", "application/pdf", "dokumen.pdf"),
    ],
)
def test_safe_filename(raw: str, mime: str, clean: str) -> None:
    assert safe_filename(raw, mime) == clean


def test_safe_filename_bounds_length_and_keeps_the_extension() -> None:
    name = safe_filename("x" * 1000 + ".pdf", "application/pdf")
    assert len(name) == 150 and name.endswith(".pdf")


def test_blob_writer_is_content_addressed_and_all_or_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    first = store.put_chunks([b"abc", b"def"])
    again = store.put_bytes(b"abcdef")
    assert first == again and store.keys() == [first.key]
    assert store.read(first.key) == b"abcdef"
    with pytest.raises(TooLarge):
        store.put_chunks([b"x" * 10, b"y" * 10], max_size=15)
    assert store.keys() == [first.key] and store.temp_files() == []
    with store.writer() as writer:
        writer.write(b"never committed")
    assert store.keys() == [first.key] and store.temp_files() == []
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")


def test_garbage_collection_spares_referenced_and_recent_blobs(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    kept = store.put_bytes(b"referenced")
    recent = store.put_bytes(b"unreferenced but new")
    old = store.put_bytes(b"unreferenced and old")
    long_ago = time.time() - 7200
    for key in (kept.key, old.key):
        os.utime(store.path(key), (long_ago, long_ago))
    removed = store.collect_garbage({kept.key}, grace=timedelta(hours=1))
    assert removed == [old.key]
    assert sorted(store.keys()) == sorted([kept.key, recent.key])


def test_an_abandoned_upload_leaves_no_event_and_no_blob(api: Api) -> None:
    """The client sends half the body and disconnects: nothing is recorded or kept."""
    iid = api.propose("Unggah Terputus")["id"]
    token = api.auth("op.dukcapil")["Authorization"]
    blobs = blob_store(api.runtime)
    before = (api.max_notification_id(), blobs.keys())
    boundary = b"putus123"
    head = (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="kind"\r\n\r\nsk\r\n'
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="sk.pdf"\r\nContent-Type: application/pdf\r\n\r\n' + pdf_bytes()
    )
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": head, "more_body": True},
        {"type": "http.request", "body": b"0" * 4096, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/api/innovations/{iid}/documents",
        "raw_path": f"/api/innovations/{iid}/documents".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", token.encode()),
            (b"content-type", b"multipart/form-data; boundary=" + boundary),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(api.client.app(scope, receive, send))  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"upload-aborted" in body
    assert (api.max_notification_id(), blobs.keys()) == before
    assert blobs.temp_files() == []


def test_referenced_keys_come_from_the_log(api: Api) -> None:
    from services.submission.cli import referenced_keys

    iid = api.propose("Kunci Terpakai")["id"]
    up = api.upload(iid)
    assert up.status_code == 201
    key = up.json()["document"]["storage_key"]
    keys = referenced_keys(api.runtime.store)
    assert key in keys
    assert set(blob_store(api.runtime).orphans(keys)).isdisjoint(keys)
