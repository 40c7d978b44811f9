"""A document uploaded from the documents page: same parser and checks as the API's upload.

The body is streamed by ``services.submission.uploads.read_upload_form`` (the file goes into the
shared blob store through a writer that stops at the size limit, never into memory); the type is
decided from the bytes (``sniff``), never from the file name; the name is made safe by the same
function the API uses; only then is ``DocumentAttached`` recorded.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from litestar import Request
from litestar.enums import RequestEncodingType

from services.blobs import MB, blob_store
from services.commands import Outcome
from services.domain.innovation import Innovation
from services.domain.values import Document, DocumentKind
from services.http.context import runtime_of
from services.submission.uploads import (
    ALLOWED,
    ALLOWED_TEXT,
    IMAGE_TYPES,
    UploadForm,
    read_upload_form,
    safe_filename,
    safe_url,
    sniff,
    video_link,
)
from services.web.pages.common import run_command

PAGE_FIELDS = frozenset({"_csrf_token", "version"})  # the page form's fields besides the API's
ACCEPT = ",".join(sorted({f".{ext}" for ext in ALLOWED.values()} | set(ALLOWED)))


class UploadRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def link_document(
    kind: str, url: str, indicator: int | None, replaces: UUID | None, public: bool = True
) -> Document:
    """A video given as a web address: recorded as a link, no bytes stored."""
    from litestar.plugins.problem_details import ProblemDetailsException

    if kind != DocumentKind.VIDEO:
        raise UploadRefused(422, "Tautan tanpa berkas hanya untuk dokumen jenis Video.")
    try:
        link = safe_url(url)
    except ProblemDetailsException as exc:
        raise UploadRefused(422, str(exc.detail)) from None
    return video_link(link, indicator, replaces, public)


async def read_form(request: Request[Any, Any, Any]) -> UploadForm:
    """The page's multipart body, parsed as it streams in by the API's own parser: the file goes
    to an uncommitted blob (stopped at the size limit), never into memory."""
    runtime = runtime_of(request)
    if request.content_type[0] == RequestEncodingType.URL_ENCODED:  # a video link, no file
        form = await request.form()  # at most JSON_MAX_BYTES (services.http.security)
        return UploadForm(fields={k: str(v).strip() for k, v in form.items()})
    return await read_upload_form(
        request.headers.get("content-type", ""),
        request.stream(),
        blob_store(runtime),
        runtime.settings.max_upload_mb * MB,
        extra_fields=PAGE_FIELDS,
    )


def attach(
    request: Request[Any, Any, Any],
    innovation: Innovation,
    form: UploadForm,
    *,
    kind: str,
    indicator: int | None,
    expected: int | None,
    url: str = "",
    replaces: UUID | None = None,
    public: bool = False,
) -> Outcome:
    runtime = runtime_of(request)
    writer = form.writer
    if writer is None:
        document = link_document(kind, url, indicator, replaces, public)
        return run_command(
            request,
            lambda ctx: runtime.commands.attach_document(
                ctx, innovation.id, document, expected_version=expected
            ),
        )
    if url:
        raise UploadRefused(422, "Kirim berkas atau tautan, tidak keduanya.")
    content_type = sniff(bytes(writer.head))
    if content_type is None:
        raise UploadRefused(415, f"Jenis berkas tidak didukung. Yang diterima: {ALLOWED_TEXT}.")
    if kind == DocumentKind.PHOTO and content_type not in IMAGE_TYPES:
        raise UploadRefused(422, "Dokumen jenis Foto harus gambar JPEG atau PNG.")
    if kind == DocumentKind.VIDEO and content_type != "video/mp4":
        raise UploadRefused(422, "Dokumen jenis Video harus berkas MP4 atau tautan.")
    stored = writer.commit()
    document = Document(
        doc_id=uuid4(),
        kind=DocumentKind(kind),
        name=safe_filename(form.filename, content_type),
        content_type=content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        indicator=indicator,
        replaces=replaces,
        public=public,
    )
    return run_command(
        request,
        lambda ctx: runtime.commands.attach_document(
            ctx, innovation.id, document, expected_version=expected
        ),
    )
