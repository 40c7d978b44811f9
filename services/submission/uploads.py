"""Upload handling: stream a multipart body straight into the blob store, check what it is.

* The body is parsed as it arrives (``multipart.PushMultipartParser``, the parser Litestar itself
  uses) and the file part is written chunk by chunk into a ``BlobWriter``: a 20 MB document never
  sits in memory, and the size limit stops the upload at the first byte past it (413).
* The type is decided from the bytes with ``filetype`` (magic numbers, including the OOXML check
  that tells DOCX/XLSX from any other zip), never from the name or the client's Content-Type.
  Only the types in ``ALLOWED`` are kept (415 otherwise).
* File names are reduced to a safe display name (no directories, control characters, reserved
  characters; bounded length; the extension matches the detected type). The name is only shown
  and used in ``Content-Disposition``: storage is by content hash.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Mapping
from typing import Any
from uuid import UUID, uuid4

import filetype
import msgspec
from litestar import Request
from litestar.exceptions import InternalServerException
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from services.blobs import MB, BlobStore, TooLarge
from services.domain.values import PUBLIC_BY_DEFAULT, Document, DocumentKind
from services.http.input_guard import check_text
from services.http.problems import problem

ALLOWED: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "video/mp4": "mp4",
}
ALLOWED_TEXT = "PDF, JPEG, PNG, DOCX, XLSX, MP4"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
VIDEO_LINK_TYPE = "text/uri-list"

MAX_NAME = 150
MAX_FIELD = 4096
MAX_PARTS = 12
FORM_FIELDS = frozenset({"kind", "indicator", "replaces", "url", "public", "file"})
_RESERVED = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
_URL = re.compile(r"^https?://[^\s<>\"'\x00-\x1f\x7f]{3,2040}$", re.IGNORECASE)


def sniff(head: bytes, allowed: Mapping[str, str] = ALLOWED) -> str | None:
    """The MIME type of these leading bytes if it is one we accept (``allowed``: type →
    extension, the innovation documents' table by default), else None."""
    kind = filetype.guess(bytes(head)) if head else None
    mime = kind.mime if kind is not None else None
    return mime if mime in allowed else None


def safe_filename(
    raw: str | None, content_type: str, extensions: Mapping[str, str] = ALLOWED
) -> str:
    """A display name that is safe in a header and on any file system.

    Drops any directory part (``../../etc/passwd`` → ``passwd``), control and format characters
    and characters reserved on Windows; folds whitespace; strips leading dots (no hidden files);
    bounds the length; and makes the extension the one of the detected type.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _RESERVED.sub("_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    ext = extensions.get(content_type, "")
    stem, dot, current = name.rpartition(".")
    if not dot:
        stem, current = name, ""
    if ext and current.lower() not in (ext, "jpeg" if ext == "jpg" else ext):
        stem = name  # keep the whole given name, add the true extension
        current = ext
    stem = stem.strip(" .") or "dokumen"
    suffix = f".{current.lower()}" if current else ""
    return stem[: MAX_NAME - len(suffix)].rstrip(" .") + suffix


def check_filename(raw: str) -> None:
    """Refuse a name that tries to name a path (a browser sends only the base name) or holds
    control characters (services/http/limits.py); anything else odd in it is cleaned."""
    check_text("file", raw, MAX_NAME * 4)
    if "/" in raw or "\\" in raw or raw.strip().strip(".") == "" and raw.strip() != "":
        raise problem(
            400,
            "Nama berkas tidak boleh memuat folder atau '..' (kirim nama berkas saja).",
            "invalid-filename",
            field="file",
        )


def safe_url(raw: str) -> str:
    url = raw.strip()
    if not _URL.match(url):
        raise problem(
            422,
            "Tautan video harus alamat http(s) yang lengkap, mis. https://youtu.be/abc.",
            "invalid-value",
            field="url",
        )
    return url


class UploadForm(msgspec.Struct, kw_only=True):
    """What the multipart body held: text fields and, if a file was sent, its writer."""

    fields: dict[str, str]
    filename: str | None = None
    client_type: str | None = None
    writer: Any = None  # BlobWriter, uncommitted

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()


PUBLIC_YES = frozenset({"true", "1", "ya", "on"})
PUBLIC_NO = frozenset({"false", "0", "tidak", "off"})


def public_mark(raw: str | None, kind: DocumentKind) -> bool | None:
    """The form's ``public`` field: absent or empty → the kind's default
    (``PUBLIC_BY_DEFAULT``); true/1/ya/on or false/0/tidak/off; anything else None (invalid)."""
    value = (raw or "").strip().lower()
    if not value:
        return kind in PUBLIC_BY_DEFAULT
    if value in PUBLIC_YES:
        return True
    if value in PUBLIC_NO:
        return False
    return None


def video_link(
    link: str, indicator: int | None, replaces: UUID | None, public: bool = True
) -> Document:
    """A video given as an already checked web address: recorded as a link, no bytes stored."""
    return Document(
        doc_id=uuid4(),
        kind=DocumentKind.VIDEO,
        name=link[:150],
        content_type=VIDEO_LINK_TYPE,
        size=0,
        sha256="",
        storage_key="",
        indicator=indicator,
        replaces=replaces,
        url=link,
        public=public,
    )


def _boundary(content_type_header: str) -> bytes:
    media, _, params = content_type_header.partition(";")
    if media.strip().lower() != "multipart/form-data":
        raise problem(
            415,
            "Unggahan harus dikirim sebagai multipart/form-data.",
            "multipart-required",
        )
    match = re.search(r'boundary="?([^";]{1,200})"?', params)
    if not match:
        raise problem(400, "Batas multipart (boundary) tidak ada.", "invalid-multipart")
    return match.group(1).encode("latin-1", "replace")


async def read_upload_form(
    content_type_header: str,
    stream: AsyncIterator[bytes],
    blobs: BlobStore,
    max_size: int,
    extra_fields: frozenset[str] = frozenset(),
) -> UploadForm:
    """Parse the body as it streams in; the file goes to a temp blob, never into memory.

    Raises a problem response for a body that is not multipart (415), malformed (400), has more
    than one file, unknown fields, or a file past ``max_size`` (413). On any error the temp file
    is removed.
    """
    boundary = _boundary(content_type_header)
    form = UploadForm(fields={})
    texts: dict[str, bytearray] = {}
    current: list[MultipartSegment | None] = [None]

    def handle(event: MultipartSegment | bytes | bytearray | None) -> None:
        if isinstance(event, MultipartSegment):
            current[0] = event
            _start_part(event, form, texts, blobs, max_size, extra_fields)
            return
        segment = current[0]
        if event is None:
            current[0] = None
        elif segment is not None and segment.filename is not None:
            form.writer.write(bytes(event))
        elif segment is not None:
            buffer = texts[segment.name]
            if len(buffer) + len(event) > MAX_FIELD:
                raise problem(
                    400,
                    f"Kolom '{segment.name}' terlalu panjang.",
                    "validation",
                    field=segment.name,
                )
            buffer.extend(event)

    try:
        with PushMultipartParser(
            boundary, max_segment_count=MAX_PARTS, max_segment_size=max_size + MB
        ) as parser:
            async for chunk in stream:
                if chunk and not parser.closed:
                    for event in parser.parse(chunk):
                        handle(event)
            if not parser.closed:
                for event in parser.parse(b""):  # end of input: raises for a truncated body
                    handle(event)
            if not parser.closed:
                raise ParserError("unexpected end of multipart body")
    except TooLarge as exc:
        form.abort()
        raise problem(
            413,
            f"Berkas melebihi batas {max_size // MB} MB.",
            "too-large",
            limit_bytes=max_size,
        ) from exc
    except (ParserError, ParserLimitReached, UnicodeDecodeError) as exc:
        form.abort()
        raise problem(
            400, "Isi multipart/form-data tidak valid atau terpotong.", "invalid-multipart"
        ) from exc
    except BaseException:
        form.abort()
        raise
    _decode_fields(form, texts)
    if form.writer is not None and form.writer.size == 0:
        form.abort()  # a browser sends an empty file part when no file was chosen
        form.writer, form.filename, form.client_type = None, None, None
    return form


def _start_part(
    event: MultipartSegment,
    form: UploadForm,
    texts: dict[str, bytearray],
    blobs: BlobStore,
    max_size: int,
    extra_fields: frozenset[str],
) -> None:
    """A new part: the file opens a temp blob (only on the field ``file``), a text field a
    buffer; unknown or repeated fields are refused."""
    _check_field(event.name, form, texts, extra_fields)
    if event.filename is not None:
        if event.name != "file":
            raise problem(400, "Berkas harus dikirim pada kolom 'file'.", "validation")
        check_filename(event.filename)
        form.writer = blobs.writer(max_size)
        form.filename = event.filename
        form.client_type = event.content_type
    else:
        if event.name == "file":
            raise problem(400, "Kolom 'file' harus berupa berkas (dengan filename).", "validation")
        texts[event.name] = bytearray()


def _decode_fields(form: UploadForm, texts: dict[str, bytearray]) -> None:
    """The text fields as checked UTF-8 text; on a bad one the temp file is removed."""
    try:
        form.fields = {name: bytes(value).decode("utf-8").strip() for name, value in texts.items()}
        for name, value in form.fields.items():
            check_text(name, value, MAX_FIELD)
    except UnicodeDecodeError as exc:
        form.abort()
        raise problem(400, "Kolom teks harus UTF-8.", "invalid-multipart") from exc
    except BaseException:
        form.abort()
        raise


def _check_field(
    name: str, form: UploadForm, texts: dict[str, bytearray], extra: frozenset[str]
) -> None:
    if name not in FORM_FIELDS and name not in extra:
        raise problem(
            400,
            f"Kolom '{name}' tidak dikenal. Kolom yang diterima: kind, indicator, replaces, "
            "url, public, file.",
            "validation",
            field=name,
        )
    if name in texts or (name == "file" and form.writer is not None):
        raise problem(400, f"Kolom '{name}' dikirim lebih dari sekali.", "validation", field=name)


FORM_OVERHEAD = 64 * 1024  # room for the form's other fields and part headers


async def _body(request: Request[Any, Any, Any]) -> AsyncIterator[bytes]:
    """The request body; a client that goes away mid-upload is a 400, not a server error."""
    try:
        async for chunk in request.stream():
            yield chunk
    except InternalServerException as exc:
        if "disconnect" in str(exc.detail):
            raise problem(400, "Unggahan terputus sebelum selesai.", "upload-aborted") from exc
        raise


async def read_request_upload(
    request: Request[Any, Any, Any],
    blobs: BlobStore,
    max_size: int,
    extra_fields: frozenset[str] = frozenset(),
) -> UploadForm:
    """Every upload route's body: 413 at once when the announced length is already too large,
    else streamed through ``read_upload_form`` (a dropped connection is a 400)."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > max_size + FORM_OVERHEAD:
        raise problem(
            413, f"Berkas melebihi batas {max_size // MB} MB.", "too-large", limit_bytes=max_size
        )
    return await read_upload_form(
        request.headers.get("content-type", ""), _body(request), blobs, max_size, extra_fields
    )
