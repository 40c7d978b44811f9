"""Content-addressed blob store for supporting documents (a folder; shareable as a volume).

Bytes are written to a temporary file first and renamed into ``<sha[:2]>/<sha>`` only when
complete, so an aborted upload never leaves a partial blob under a real key. Identical content is
stored once. A blob that no event references (an upload whose command was then refused by a
concurrent change) is harmless garbage: ``collect_garbage`` removes such blobs once they are older
than a grace period, so an upload still in flight is never touched. Events only ever reference a
key after the blob is complete on disk.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from services.runtime import Runtime

CHUNK = 1024 * 1024
MB = 1024 * 1024


class StoredBlob(msgspec.Struct, frozen=True):
    key: str
    sha256: str
    size: int


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Berkas melebihi batas {limit // MB} MB.")
        self.limit = limit


class BlobWriter:
    """One upload in progress: feed chunks, then ``commit()`` (or ``abort()``).

    Hashes as it writes, keeps the first ``head_size`` bytes for content sniffing, and raises
    ``TooLarge`` as soon as ``max_size`` is passed (the temp file is removed then). Used as a
    context manager, anything but a successful commit removes the temp file.
    """

    def __init__(self, store: BlobStore, max_size: int | None, head_size: int = 8192) -> None:
        self.store = store
        self.max_size = max_size
        self.head_size = head_size
        self.head = bytearray()
        self.size = 0
        self._digest = hashlib.sha256()
        fd, self._tmp_name = tempfile.mkstemp(dir=store.root / "tmp", prefix="upload-")
        self._file: Any = os.fdopen(fd, "wb")
        self.done = False

    def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.max_size is not None and self.size > self.max_size:
            self.abort()
            raise TooLarge(self.max_size)
        if len(self.head) < self.head_size:
            self.head.extend(chunk[: self.head_size - len(self.head)])
        self._digest.update(chunk)
        self._file.write(chunk)

    @property
    def sha256(self) -> str:
        """The hash of what was written so far (the key the blob will have once committed)."""
        return self._digest.hexdigest()

    def commit(self) -> StoredBlob:
        """Make the blob durable under its content key; identical content is kept once."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        sha = self._digest.hexdigest()
        key = self.store.key_for(sha)
        final = self.store.path(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            os.unlink(self._tmp_name)
            os.utime(final)  # a fresh reference: keep it out of garbage collection's grace window
        else:
            os.replace(self._tmp_name, final)
        self.done = True
        return StoredBlob(key=key, sha256=sha, size=self.size)

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        self._file.close()
        if os.path.exists(self._tmp_name):
            os.unlink(self._tmp_name)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)

    @staticmethod
    def key_for(sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}"

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents or path.parent.name == "tmp":
            raise ValueError("kunci penyimpanan tidak valid")
        return path

    def writer(self, max_size: int | None = None, head_size: int = 8192) -> BlobWriter:
        return BlobWriter(self, max_size, head_size)

    def put_chunks(self, chunks: Iterable[bytes], max_size: int | None = None) -> StoredBlob:
        """Stream into a temp file, hashing as it goes; raise TooLarge past ``max_size``."""
        with self.writer(max_size) as writer:
            for chunk in chunks:
                writer.write(chunk)
            return writer.commit()

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_chunks([data])

    def open(self, key: str) -> Iterator[bytes]:
        with self.path(key).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except ValueError:
            return False

    def keys(self) -> list[str]:
        return sorted(f"{p.parent.name}/{p.name}" for p in self.root.glob("??/*") if p.is_file())

    def temp_files(self) -> list[Path]:
        return sorted((self.root / "tmp").iterdir())

    def orphans(self, referenced: set[str]) -> list[str]:
        return [key for key in self.keys() if key not in referenced]

    def collect_garbage(
        self, referenced: set[str], grace: timedelta = timedelta(hours=1)
    ) -> list[str]:
        """Delete unreferenced blobs (and stale temp files) older than ``grace``; return keys."""
        cutoff = time.time() - grace.total_seconds()
        removed = []
        for key in self.orphans(referenced):
            path = self.path(key)
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed.append(key)
        for tmp in self.temp_files():
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink(missing_ok=True)
        return removed


def blob_store(runtime: Runtime) -> BlobStore:
    """The process's blob store (under ``SIRISMA_BLOB_DIR``), created on first use and shared
    by the submission and review contexts through the runtime."""
    blobs = runtime.extensions.get("blobs")
    if blobs is None:
        blobs = runtime.extensions.setdefault("blobs", BlobStore(runtime.settings.blob_path))
    return blobs  # type: ignore[no-any-return]
