"""Content-addressed blob store for supporting documents (a folder; shareable as a volume).

Bytes are written to a temporary file first and renamed into ``<sha[:2]>/<sha>`` only when
complete, so an aborted upload never leaves a partial blob under a real key. A blob that no event
references is harmless garbage (``orphans()`` lists them for cleanup).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgspec

CHUNK = 1024 * 1024


class StoredBlob(msgspec.Struct, frozen=True):
    key: str
    sha256: str
    size: int


class TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"Berkas melebihi batas {limit // (1024 * 1024)} MB.")
        self.limit = limit


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)

    @staticmethod
    def key_for(sha256: str) -> str:
        return f"{sha256[:2]}/{sha256}"

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("kunci penyimpanan tidak valid")
        return path

    def put_chunks(self, chunks: Iterable[bytes], max_size: int | None = None) -> StoredBlob:
        """Stream into a temp file, hashing as it goes; raise TooLarge past ``max_size``."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.root / "tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                for chunk in chunks:
                    size += len(chunk)
                    if max_size is not None and size > max_size:
                        raise TooLarge(max_size)
                    digest.update(chunk)
                    tmp.write(chunk)
                tmp.flush()
                os.fsync(tmp.fileno())
            sha = digest.hexdigest()
            key = self.key_for(sha)
            final = self.path(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                os.unlink(tmp_name)
            else:
                os.replace(tmp_name, final)
            return StoredBlob(key=key, sha256=sha, size=size)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_chunks([data])

    def open(self, key: str) -> Iterator[bytes]:
        with self.path(key).open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def orphans(self, referenced: set[str]) -> list[str]:
        keys = []
        for path in self.root.glob("??/*"):
            key = f"{path.parent.name}/{path.name}"
            if key not in referenced:
                keys.append(key)
        return keys
