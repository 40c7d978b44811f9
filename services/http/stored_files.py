"""How a stored file (a blob in ``services.blobs``) is sent back: one rule for every download.

The type is the one sniffed at upload; only types a browser shows without running anything are
ever inline (PDF, JPEG/PNG/WebP, MP4), everything else is a download; ``nosniff`` so the browser
never guesses another type; ``private`` so no shared cache keeps a non-public file. A blob the
record names but the store lacks is a 404 of its own kind (``blob-missing``), logged.
"""

from __future__ import annotations

import logging

from litestar.datastructures import ETag
from litestar.response import File

from services.blobs import BlobStore
from services.http.problems import problem

log = logging.getLogger(__name__)

INLINE_SAFE = frozenset({"application/pdf", "image/jpeg", "image/png", "image/webp", "video/mp4"})
HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=0"}


def stored_file(
    blobs: BlobStore,
    *,
    storage_key: str,
    name: str,
    content_type: str,
    sha256: str | None = None,
    inline: bool = False,
) -> File:
    """The file as a response; ``inline``: shown in the browser when its type is safe to."""
    if not blobs.exists(storage_key):
        log.error("blob missing", extra={"storage_key": storage_key})
        raise problem(404, "Berkas tidak ditemukan di penyimpanan.", "blob-missing")
    shown = inline and content_type in INLINE_SAFE
    return File(
        path=blobs.path(storage_key),
        filename=name,
        media_type=content_type,
        content_disposition_type="inline" if shown else "attachment",
        etag=ETag(value=sha256) if sha256 else None,
        headers=dict(HEADERS),
    )
