"""Files attached to care records: monev photos and mentoring session attachments.

The one place that says which types each kind of file may be, how many one record holds, how
large a photo may be, and that a photo carries alt text. The upload routes sniff the type from the
bytes (``services.submission.uploads.sniff``) and stop the stream at the size limit; the
aggregates check the rest here before recording the file's event.
"""

from __future__ import annotations

from services.domain.errors import InvalidValue
from services.domain.events import FileRef

#: Photos of a monev visit or report: JPEG, PNG or WebP, decided from the bytes.
PHOTO_TYPES: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PHOTO_TYPES_TEXT = "JPEG, PNG, WebP"
#: A mentoring session's attachments: its documents (invitation, attendance list, minutes) and
#: photos, the evidence the "Bimtek inovasi" indicator asks for.
ATTACHMENT_TYPES: dict[str, str] = PHOTO_TYPES | {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
ATTACHMENT_TYPES_TEXT = "PDF, DOCX, XLSX, JPEG, PNG, WebP"
PHOTO_MAX_MB = 5
MAX_PHOTOS = 10  # per visit or report
MAX_ATTACHMENTS = 10  # per mentoring session
CAPTION_MAX = 200


def checked_file(
    file: FileRef,
    *,
    types: dict[str, str],
    types_text: str,
    held: int,
    limit: int,
    caption_required: bool,
) -> FileRef:
    """The file with its caption trimmed, or ``InvalidValue`` (type, count, caption, hash)."""
    if file.content_type not in types:
        raise InvalidValue("file", f"Jenis berkas tidak didukung. Yang diterima: {types_text}.")
    if held >= limit:
        raise InvalidValue("file", f"Paling banyak {limit} berkas per catatan.")
    if len(file.sha256) != 64 or file.size <= 0 or not file.storage_key:
        raise InvalidValue("file", "Berkas belum tersimpan utuh.")
    caption = " ".join(file.caption.split())
    if caption_required and not caption:
        raise InvalidValue("caption", "Keterangan foto (teks alternatif) wajib diisi.")
    if len(caption) > CAPTION_MAX:
        raise InvalidValue("caption", f"Keterangan paling panjang {CAPTION_MAX} karakter.")
    return FileRef(
        id=file.id,
        name=file.name,
        content_type=file.content_type,
        size=file.size,
        sha256=file.sha256,
        storage_key=file.storage_key,
        caption=caption,
    )
