"""Uploads and downloads of the files attached to care records (monev photos, mentoring session
attachments), on the innovations' own upload machinery.

The body streams into the shared blob store (``services.submission.uploads.read_upload_form``:
never in memory, 413 at the first byte past the limit), the type is sniffed from the bytes against
the care record's own table (``services.domain.care_files``), and the name made safe by the same
function documents use. The blob is kept only after the aggregate accepted the command (the
services call ``keep`` between deciding and saving), so a refused upload leaves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

from litestar import Request
from litestar.response import File

from services.blobs import MB, blob_store
from services.domain.events import FileRef
from services.http.context import runtime_of
from services.http.problems import problem
from services.http.stored_files import stored_file
from services.submission.uploads import UploadForm, read_request_upload, safe_filename
from services.submission.uploads import sniff as sniff_type

API_FIELDS = frozenset({"caption"})
PAGE_FIELDS = frozenset({"caption", "_csrf_token"})


def limit_bytes(request: Request[Any, Any, Any], max_mb: int | None = None) -> int:
    """The smaller of the care record's own limit and the deployment's upload limit."""
    settings_mb = runtime_of(request).settings.max_upload_mb
    return min(max_mb or settings_mb, settings_mb) * MB


async def read_form(
    request: Request[Any, Any, Any], max_bytes: int, fields: frozenset[str] = API_FIELDS
) -> UploadForm:
    """The multipart body, streamed into an uncommitted blob (413 when announced too large)."""
    return await read_request_upload(
        request, blob_store(runtime_of(request)), max_bytes, extra_fields=fields
    )


def file_of(form: UploadForm, types: dict[str, str], types_text: str) -> FileRef:
    """What the log will say of the uploaded file (its blob key is its SHA-256): 422 without a
    file, 415 for a type the record does not take."""
    writer = form.writer
    if writer is None:
        raise problem(422, "Pilih berkas yang akan diunggah.", "invalid-value", field="file")
    content_type = sniff_type(bytes(writer.head), types)
    if content_type is None:
        raise problem(
            415,
            f"Jenis berkas tidak didukung. Yang diterima: {types_text}.",
            "unsupported-media-type",
            field="file",
        )
    sha = writer.sha256
    return FileRef(
        id=uuid4(),
        name=safe_filename(form.filename, content_type, types),
        content_type=content_type,
        size=writer.size,
        sha256=sha,
        storage_key=writer.store.key_for(sha),
        caption=form.fields.get("caption", ""),
    )


def keeper(form: UploadForm) -> Callable[[], object]:
    """Called by a service once the aggregate accepted the file: the blob becomes durable."""
    return lambda: form.writer.commit()


def serve(request: Request[Any, Any, Any], file: FileRef) -> File:
    """The stored file with its sniffed type; images and PDF inline, the rest as a download."""
    return stored_file(
        blob_store(runtime_of(request)),
        storage_key=file.storage_key,
        name=file.name,
        content_type=file.content_type,
        inline=True,
    )
