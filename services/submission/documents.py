"""Supporting documents: upload (streamed, sniffed, content-addressed), download, remove.

Order of an upload, so that a refused upload costs nothing and leaves nothing:

1. the caller, the status and ``If-Match`` are checked against the stored innovation (404/403/
   409) before a byte of the body is read; an announced body past the limit is refused (413);
2. the body streams into a temp file (413 at the first byte past the limit; 400 if malformed or
   cut off; the temp file is removed on any error);
3. the type is sniffed from the bytes (415), the form fields checked (400/422), and the domain's
   own rule run on the loaded record (a dry run of ``attach_document``, never saved);
4. only then is the blob kept under its SHA-256 key and the command recorded through ``Commands``.

If step 4's command then loses a race (a concurrent change), the kept blob is unreferenced:
``BlobStore.collect_garbage`` removes it after its grace period. No event ever names a blob that
is not complete on disk. Removing or replacing a document keeps the old blob: history and the
audit trail still show and serve it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID, uuid4

from litestar import Request, Response, delete, get, post
from litestar.concurrency import sync_to_thread
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import File

from services.blobs import MB, BlobStore, blob_store
from services.domain.aggregate import Context
from services.domain.lifecycle import Command, next_status
from services.domain.rubric import load_rubric
from services.domain.values import Document, DocumentKind
from services.eventstore.store import ConcurrencyConflict
from services.http.context import command_context, principal_of, runtime_of
from services.http.problems import problem
from services.http.stored_files import stored_file
from services.http.writes import write_headers
from services.identity.command_route import load_for_command
from services.identity.policy import document_public, record_or_public
from services.submission.common import (
    COMMAND_ROUTE,
    TAG,
    IfMatch,
    command_response,
    if_match,
    innovation_view,
    load_innovation,
    problems,
    submission_command,
)
from services.submission.schemas import DocumentUploaded, InnovationView, VisibilityRequest
from services.submission.uploads import (
    ALLOWED,
    ALLOWED_TEXT,
    IMAGE_TYPES,
    UploadForm,
    public_mark,
    read_request_upload,
    safe_filename,
    safe_url,
    sniff,
    video_link,
)

log = logging.getLogger("sirisma.submission")


@dataclass
class UploadOperation(Operation):
    """The multipart form in the OpenAPI document (the body is parsed by hand, streaming)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=(
                "Satu berkas (kolom `file`: PDF, JPEG, PNG, DOCX, XLSX atau MP4; jenis ditentukan "
                "dari isi berkas) ATAU, untuk `kind=video`, satu tautan `url` tanpa berkas."
            ),
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["kind"],
                        properties={
                            "kind": Schema(
                                type=OpenAPIType.STRING, enum=[str(k) for k in DocumentKind]
                            ),
                            "indicator": Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=99),
                            "replaces": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.UUID),
                            "url": Schema(type=OpenAPIType.STRING, max_length=2048),
                            "public": Schema(
                                type=OpenAPIType.BOOLEAN,
                                description=(
                                    "Tampil di katalog publik bila inovasi dipublikasikan. "
                                    "Bawaan: ya untuk video, tidak untuk jenis lain."
                                ),
                            ),
                            "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
                        },
                    )
                )
            },
        )


@dataclass
class DownloadOperation(Operation):
    """A download answers with the document's own (sniffed) type, one of ``ALLOWED``."""

    def __post_init__(self) -> None:
        if self.responses is not None and "200" in self.responses:
            self.responses["200"] = OpenAPIResponse(
                description="Isi dokumen, dengan Content-Disposition dan nama berkas yang aman.",
                content={
                    mime: OpenAPIMediaType(
                        schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                    )
                    for mime in sorted(ALLOWED)
                },
            )


def _field_error(field: str, message: str) -> Exception:
    return problem(400, message, "validation", errors=[{"field": field, "message": message}])


def build_document(form: UploadForm) -> Document:
    """The document metadata from a parsed form; the file (if any) is still uncommitted."""
    fields = form.fields
    raw_kind = fields.get("kind", "")
    if not raw_kind:
        raise _field_error("kind", "Kolom 'kind' (jenis dokumen) wajib diisi.")
    try:
        kind = DocumentKind(raw_kind)
    except ValueError:
        raise _field_error(
            "kind",
            f"Jenis dokumen '{raw_kind[:40]}' tidak dikenal. Pilihan: "
            + ", ".join(str(k) for k in DocumentKind)
            + ".",
        ) from None
    indicator: int | None = None
    if fields.get("indicator"):
        try:
            indicator = int(fields["indicator"])
        except ValueError:
            raise _field_error("indicator", "Kolom 'indicator' harus nomor indikator.") from None
    replaces: UUID | None = None
    if fields.get("replaces"):
        try:
            replaces = UUID(fields["replaces"])
        except ValueError:
            raise _field_error("replaces", "Kolom 'replaces' harus id dokumen.") from None
    public = public_mark(fields.get("public"), kind)
    if public is None:
        raise _field_error("public", "Kolom 'public' harus true atau false.")
    url = fields.get("url", "")
    writer = form.writer
    if writer is None:
        if not url:
            raise _field_error("file", "Kolom 'file' wajib diisi (atau 'url' untuk video).")
        if kind != DocumentKind.VIDEO:
            raise _field_error("url", "Tautan tanpa berkas hanya untuk dokumen jenis 'video'.")
        return video_link(safe_url(url), indicator, replaces, public)
    if url:
        raise _field_error("url", "Kirim berkas atau tautan, tidak keduanya.")
    mime = sniff(bytes(writer.head))
    if mime is None:
        raise problem(
            415,
            f"Jenis berkas tidak didukung. Yang diterima: {ALLOWED_TEXT} "
            "(ditentukan dari isi berkas, bukan nama atau jenis yang dikirim).",
            "unsupported-type",
            allowed=sorted(ALLOWED),
        )
    if kind == DocumentKind.PHOTO and mime not in IMAGE_TYPES:
        raise problem(422, "Dokumen jenis 'photo' harus gambar JPEG atau PNG.", "invalid-value")
    if kind == DocumentKind.VIDEO and mime != "video/mp4":
        raise problem(422, "Dokumen jenis 'video' harus MP4 atau tautan ('url').", "invalid-value")
    sha = writer.sha256
    return Document(
        doc_id=uuid4(),
        kind=kind,
        name=safe_filename(form.filename, mime),
        content_type=mime,
        size=writer.size,
        sha256=sha,
        storage_key=BlobStore.key_for(sha),
        indicator=indicator,
        replaces=replaces,
        public=public,
    )


@post(
    "/api/innovations/{id:uuid}/documents",
    tags=[TAG],
    summary="Unggah dokumen pendukung",
    status_code=201,
    request_max_body_size=None,  # enforced while streaming, per file (settings.max_upload_mb)
    operation_class=UploadOperation,
    responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
)
async def upload_document(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    if_match_header: IfMatch = None,
) -> Response[DocumentUploaded]:
    """Multipart: ``kind``, ``indicator``?, ``replaces``? (keeps the old one in history), and
    ``file`` — or ``url`` for a video link."""
    runtime = runtime_of(request)
    principal = principal_of(request)
    innovation = await sync_to_thread(
        load_for_command, runtime, principal, id, Command.ATTACH_DOCUMENT
    )
    ctx = command_context(request)
    next_status(innovation.status, Command.ATTACH_DOCUMENT, ctx.actor.role)  # 409 before reading
    expected = if_match(request, required=False)
    if expected is not None and expected != innovation.version:
        raise ConcurrencyConflict(id, expected + 1, innovation.version)
    blobs = blob_store(runtime)
    form = await read_request_upload(request, blobs, runtime.settings.max_upload_mb * MB)
    try:
        document = build_document(form)
        # The domain's own rule on the loaded record (never saved): indicator, replaces, status.
        innovation.attach_document(ctx, document, load_rubric(innovation.rubric_year))
        if form.writer is not None:
            await sync_to_thread(form.writer.commit)
    finally:
        form.abort()  # no-op after a commit
    return await sync_to_thread(_attach, request, ctx, id, document, expected)


def _attach(
    request: Request[Any, Any, Any],
    ctx: Context,
    id: UUID,
    document: Document,
    expected: int | None,
) -> Response[DocumentUploaded]:
    """The command on the record as it is now (the upload took time; the one checked above was
    changed by the trial run), answered from the aggregate it saved."""
    runtime = runtime_of(request)
    innovation = load_innovation(runtime, id)
    outcome = runtime.commands.attach_document(
        ctx, id, document, expected_version=expected, loaded=innovation
    )
    doc_id = document.doc_id
    view = innovation_view(runtime, principal_of(request), innovation, outcome.notification_id)
    document = next(d for d in view.documents if d.doc_id == doc_id)
    headers = write_headers(outcome.version, outcome.notification_id)
    headers["Location"] = f"/api/innovations/{outcome.id}/documents/{doc_id}"
    return Response(
        DocumentUploaded(
            id=outcome.id,
            version=outcome.version,
            notification_id=outcome.notification_id,
            document=document,
            innovation=view,
        ),
        status_code=201,
        headers=headers,
    )


@get(
    "/api/innovations/{id:uuid}/documents/{doc_id:uuid}",
    tags=[TAG],
    summary="Unduh dokumen",
    media_type="application/octet-stream",
    operation_class=DownloadOperation,
    responses=problems(400, 404, 409),
)
async def download_document(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    doc_id: FromPath[UUID],
    disposition: Annotated[
        str,
        QueryParameter(
            pattern="^(attachment|inline)$",
            description="`inline` untuk pratinjau PDF/gambar/video; selain itu `attachment`.",
        ),
    ] = "attachment",
) -> File:
    """Staff and the owning organisation may download every document, including replaced and
    removed ones (they stay in the record's history); everyone else, once the innovation is
    published, only its live documents marked public (404 for the others).

    Async on purpose: Litestar 2.25 wraps a sync GET that shares its path with another method
    twice for the thread pool, and the response then is a coroutine; the blocking load runs in
    a worker thread here instead."""
    runtime = runtime_of(request)
    principal = principal_of(request)
    innovation = await sync_to_thread(load_innovation, runtime, id)
    internal = record_or_public(principal, innovation)
    state = innovation.documents.get(doc_id)
    if state is None or not (
        internal or (document_public(state.document) and not state.removed)
    ):  # outside staff and the owning organisation only public, live documents exist
        raise problem(404, f"Dokumen {doc_id} tidak ditemukan.", "not-found")
    doc = state.document
    if not doc.storage_key:
        raise problem(
            409, "Dokumen ini berupa tautan video, bukan berkas.", "link-document", url=doc.url
        )
    return stored_file(
        blob_store(runtime),
        storage_key=doc.storage_key,
        name=doc.name,
        content_type=doc.content_type,
        sha256=doc.sha256,
        inline=disposition == "inline",
    )


@delete(
    "/api/innovations/{id:uuid}/documents/{doc_id:uuid}",
    tags=[TAG],
    summary="Hapus dokumen (tetap tercatat dalam riwayat)",
    status_code=200,
    responses=problems(400, 401, 403, 404, 409, 422),
)
async def remove_document(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    doc_id: FromPath[UUID],
    reason: Annotated[str, QueryParameter(max_length=2000)] = "",
    if_match_header: IfMatch = None,
) -> Response[InnovationView]:
    """Async (the work in a worker thread) for the reason given at ``download_document``: the path
    is shared with GET."""
    return await sync_to_thread(_remove_document, request, id, doc_id, reason)


def _remove_document(
    request: Request[Any, Any, Any], id: UUID, doc_id: UUID, reason: str
) -> Response[InnovationView]:
    c = submission_command(request, id, Command.REMOVE_DOCUMENT)
    outcome = c.commands.remove_document(
        c.ctx, id, doc_id, reason=reason, expected_version=c.expected_version, loaded=c.innovation
    )
    return command_response(request, outcome, checked=c)


@post(
    "/api/innovations/{id:uuid}/documents/{doc_id:uuid}/visibility",
    summary="Buka atau tutup dokumen untuk umum",
    **COMMAND_ROUTE,
)
def set_document_visibility(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    doc_id: FromPath[UUID],
    data: JSONBody[VisibilityRequest],
    if_match_header: IfMatch = None,
) -> Response[InnovationView]:
    """Change a document's public mark without uploading it again (the owner or Bappeda, in any
    status: a file published by mistake can be hidden at once)."""
    c = submission_command(request, id, Command.SET_DOCUMENT_VISIBILITY)
    outcome = c.commands.set_document_visibility(
        c.ctx,
        id,
        doc_id,
        data.public,
        reason=data.reason,
        expected_version=c.expected_version,
        loaded=c.innovation,
    )
    return command_response(request, outcome, checked=c)


route_handlers: list[Any] = [
    upload_document,
    download_document,
    remove_document,
    set_document_visibility,
]
