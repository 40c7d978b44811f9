"""Files of research outputs (final report, policy brief, data, RIPJ document, HAKI proof):
upload and download under ``/api/research/proposals/{id}/outputs/{output_id}/file``.

The upload goes through the innovations' own machinery, imported, not copied: the body streams
into the shared blob store (``services.submission.uploads.read_upload_form``: 413 at the first
byte past ``SIRISMA_MAX_UPLOAD_MB``, 400 for a malformed body), the type is sniffed from the
bytes (``sniff``: 415 unless PDF, JPEG, PNG, DOCX, XLSX or MP4), the name is cleaned
(``safe_filename``). The order is the documents' one: the caller, the status and ``If-Match`` are
checked before a byte is read; the aggregate's rule runs on the loaded record before the blob is
kept; only then is ``ResearchOutputFileAttached`` recorded (name, type, size, SHA-256; never the
bytes).

Download follows the proposal's visibility (``access.record_or_public``): the team, Bappeda and
the assigned reviewers read every file; everyone else only the files of disseminated research
(404 otherwise; 403 for a conflicted reviewer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.concurrency import sync_to_thread
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromPath, QueryParameter
from litestar.response import File

from services.blobs import MB, BlobStore, blob_store
from services.domain.aggregate import Context
from services.domain.research.lifecycle import Command, next_status
from services.domain.research.proposal import ResearchProposal
from services.domain.research.values import OutputFile
from services.eventstore.store import ConcurrencyConflict
from services.http.context import command_context, principal_of, runtime_of
from services.http.problems import problem
from services.http.stored_files import stored_file
from services.research import access
from services.research.service import ResearchCommands
from services.research.views import ProposalView, proposal_view
from services.review.http import IfMatch, if_match, write_headers
from services.submission.common import problems
from services.submission.uploads import (
    ALLOWED,
    ALLOWED_TEXT,
    UploadForm,
    read_request_upload,
    safe_filename,
    sniff,
)

TAG = "research"
PATH = "/api/research/proposals/{id:uuid}/outputs/{output_id:uuid}/file"


@dataclass
class OutputUploadOperation(Operation):
    """The multipart form in the OpenAPI document (the body is parsed by hand, streaming)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description=f"Satu berkas pada kolom `file` ({ALLOWED_TEXT}; jenis dari isi berkas).",
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        required=["file"],
                        properties={
                            "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                        },
                    )
                )
            },
        )


def output_file(form: UploadForm, ignored: frozenset[str] = frozenset()) -> OutputFile:
    """What the log records of an uploaded output file (the blob still uncommitted).

    Raises a problem (400 no file or an unknown field, 415 a type not accepted)."""
    unknown = sorted(set(form.fields) - ignored)
    if unknown:
        raise problem(
            400,
            f"Kolom '{unknown[0]}' tidak dikenal. Unggahan luaran hanya memakai kolom 'file'.",
            "validation",
            field=unknown[0],
        )
    writer = form.writer
    if writer is None:
        raise problem(400, "Pilih berkas luaran yang akan diunggah (kolom 'file').", "validation")
    mime = sniff(bytes(writer.head))
    if mime is None:
        raise problem(
            415,
            f"Jenis berkas tidak didukung. Yang diterima: {ALLOWED_TEXT} "
            "(ditentukan dari isi berkas, bukan nama atau jenis yang dikirim).",
            "unsupported-type",
            allowed=sorted(ALLOWED),
        )
    return OutputFile(
        name=safe_filename(form.filename, mime),
        content_type=mime,
        size=writer.size,
        sha256=writer.sha256,
        storage_key=BlobStore.key_for(writer.sha256),
    )


def check_before_reading(
    request: Request[Any, Any, Any], proposal: ResearchProposal, output_id: UUID
) -> None:
    """Everything that can refuse the upload without its body: caller, status, output, version,
    announced size."""
    access.ensure_command(principal_of(request), Command.ADD_OUTPUT, proposal)
    next_status(proposal.status, Command.ADD_OUTPUT, command_context(request).actor.role)
    if output_id not in proposal.outputs:
        raise problem(404, f"Luaran {output_id} tidak ditemukan.", "not-found")
    expected = if_match(request)
    if expected is not None and expected != proposal.version:
        raise ConcurrencyConflict(proposal.id, expected + 1, proposal.version)


def keep(
    research: ResearchCommands,
    ctx: Context,
    proposal: ResearchProposal,
    output_id: UUID,
    form: UploadForm,
    file: OutputFile,
) -> None:
    """The aggregate's rule on the loaded record (never saved), then the blob is kept."""
    proposal.attach_output_file(ctx, output_id, file)
    assert form.writer is not None
    form.writer.commit()


@post(
    PATH,
    tags=[TAG],
    summary="Unggah berkas luaran riset (laporan akhir, policy brief, data, RIPJ, bukti HAKI)",
    status_code=201,
    guards=[access.guard(Command.ADD_OUTPUT)],
    request_max_body_size=None,  # enforced while streaming (settings.max_upload_mb)
    operation_class=OutputUploadOperation,
    responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
)
async def upload_output_file(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    output_id: FromPath[UUID],
    if_match_header: IfMatch = None,
) -> Response[ProposalView]:
    runtime = runtime_of(request)
    research = ResearchCommands(runtime.store)
    proposal = await sync_to_thread(research.proposal, id)
    check_before_reading(request, proposal, output_id)
    form = await read_request_upload(
        request, blob_store(runtime), runtime.settings.max_upload_mb * MB
    )
    ctx = command_context(request)
    try:
        file = output_file(form)
        await sync_to_thread(keep, research, ctx, proposal, output_id, form, file)
    finally:
        form.abort()  # no-op after a commit

    def record() -> Response[ProposalView]:
        outcome = research.attach_output_file(ctx, id, output_id, file)
        saved = research.proposal(id, outcome.version)
        view = proposal_view(saved, principal_of(request), record=True)
        headers = write_headers(view.version, outcome.notification_id)
        headers["Location"] = f"/api/research/proposals/{id}/outputs/{output_id}/file"
        return Response(view, status_code=201, headers=headers)

    return await sync_to_thread(record)


@get(
    PATH,
    tags=[TAG],
    summary="Unduh berkas luaran riset (publik setelah diseminasi; sebelumnya hanya tim)",
    media_type="application/octet-stream",
    responses=problems(400, 403, 404),
)
async def download_output_file(
    request: Request[Any, Any, Any],
    id: FromPath[UUID],
    output_id: FromPath[UUID],
    disposition: Annotated[
        str,
        QueryParameter(
            pattern="^(attachment|inline)$",
            description="`inline` untuk pratinjau PDF/gambar; selain itu `attachment`.",
        ),
    ] = "attachment",
) -> File:
    """Async: the path is shared with the upload (see ``services.submission.documents``)."""
    runtime = runtime_of(request)
    proposal = await sync_to_thread(ResearchCommands(runtime.store).proposal, id)
    access.record_or_public(principal_of(request), proposal)  # 404 / 403 for the others
    output = proposal.outputs.get(output_id)
    if output is None or output.file is None:
        raise problem(404, f"Berkas luaran {output_id} tidak ditemukan.", "not-found")
    f = output.file
    return stored_file(
        blob_store(runtime),
        storage_key=f.storage_key,
        name=f.name,
        content_type=f.content_type,
        sha256=f.sha256,
        inline=disposition == "inline",
    )


route_handlers: list[Any] = [upload_output_file, download_output_file]
